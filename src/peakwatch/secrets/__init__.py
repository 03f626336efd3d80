"""Keep secrets out of the process and out of what it shows.

`names` says which names hold secrets, `environment` refuses or scrubs them at start,
`values` and `pairs` find secrets inside a text (by shape, by name), `entropy` tells
random-looking values from ids, `text` and `records` redact a string or a whole record,
and `logs` redacts the server's log lines.
"""

from peakwatch.secrets.environment import (
    SCRUB_FLAG,
    find_secret_env,
    refusal_message,
    scrub_secret_env,
)
from peakwatch.secrets.logs import RedactingFilter, install_log_redaction
from peakwatch.secrets.names import is_secret_env_name, is_secret_key, is_suspicious_key
from peakwatch.secrets.records import redact
from peakwatch.secrets.text import redact_text
from peakwatch.secrets.values import REDACTED

__all__ = [
    "REDACTED",
    "SCRUB_FLAG",
    "RedactingFilter",
    "find_secret_env",
    "install_log_redaction",
    "is_secret_env_name",
    "is_secret_key",
    "is_suspicious_key",
    "redact",
    "redact_text",
    "refusal_message",
    "scrub_secret_env",
]
