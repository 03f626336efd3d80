"""`redact_text`: one string with every secret peakwatch recognises replaced."""

from __future__ import annotations

from peakwatch.secrets.pairs import redact_named
from peakwatch.secrets.values import redact_shapes


def redact_text(text: str) -> str:
    """Replace secrets by their shape (keys, tokens, URL passwords) and by their name
    (`--api-key=abc`, `--secret abc`, `password: hunter2`, `?token=abc`)."""
    if not text:
        return text
    return redact_named(redact_shapes(text))
