"""A logging filter that runs every log line of the server through `redact_text`.

Log lines may carry artifact text (a run id, a path, an exception message that quotes a
config value); the filter hides secrets in the message, its arguments and the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from peakwatch.secrets.text import redact_text

LOGGERS = ("peakwatch", "uvicorn.error", "uvicorn.access")
_FORMATTER = logging.Formatter()


def _redacted_arg(value: Any) -> Any:
    return redact_text(value) if isinstance(value, str) else value


class RedactingFilter(logging.Filter):
    """Replaces secrets in a record's message, string arguments and exception text.

    Arguments stay arguments (uvicorn's access formatter unpacks them), each redacted. When
    the message itself names a secret (`"password=%s"`), the whole line is formatted first
    and redacted as one text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = {key: _redacted_arg(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_redacted_arg(value) for value in record.args)
        if isinstance(record.msg, str) and redact_text(record.msg) != record.msg:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a malformed line: redact what it says
                message = record.msg
            record.msg = redact_text(message)
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


def install_log_redaction(names: Iterable[str] = LOGGERS) -> None:
    """Put one RedactingFilter on each named logger (once, however often it is called)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(known, RedactingFilter) for known in logger.filters):
            logger.addFilter(RedactingFilter())
