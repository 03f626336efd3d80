"""Validate raw artifact objects against the contract, turning failures into Problems."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from peakwatch.sources.problems import Problem

RecordT = TypeVar("RecordT", bound=BaseModel)


def describe_validation_error(error: ValidationError) -> str:
    """A short reason naming the first bad field, without echoing the input value."""
    first = error.errors(include_url=False, include_input=False)[0]
    location = ".".join(str(part) for part in first["loc"]) or "record"
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "missing":
        return f"missing required field '{location}'"
    return f"field '{location}': {message}"


def validate_record(
    model: type[RecordT],
    obj: dict[str, Any],
    file: str,
    *,
    line: int | None = None,
    offset: int | None = None,
) -> RecordT | Problem:
    """The record, or a Problem saying which file and field is wrong."""
    try:
        return model.model_validate(obj)
    except ValidationError as error:
        return Problem(file=file, reason=describe_validation_error(error), line=line, offset=offset)
