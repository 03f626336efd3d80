"""Contract validation that never raises: an unexpected error becomes a Problem of that record.

`validate_record` turns validation failures into Problems; a value that makes a
converter fail some other way (a timestamp that overflows when moved to UTC, a bug)
must not stop the read of the rest of the file either.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from peakwatch.sources.problems import Problem
from peakwatch.sources.validation import validate_record

RecordT = TypeVar("RecordT", bound=BaseModel)
RECORD_NOT_READ = "record could not be read; skipped"
FILE_NOT_READ = "file could not be read (unexpected error); skipped"


def checked_record(
    model: type[RecordT],
    obj: dict[str, Any],
    file: str,
    *,
    line: int | None = None,
    offset: int | None = None,
) -> RecordT | Problem:
    """The record, or a Problem for a field the contract refuses or any other failure."""
    try:
        return validate_record(model, obj, file, line=line, offset=offset)
    except Exception:  # anything else one record can raise: skip it, keep the rest
        return Problem(file, RECORD_NOT_READ, line=line, offset=offset)
