"""Secrets named inside a text: `key=value`, `key: value`, `"key": "value"`, `--flag value`.

A value is hidden when its name is secret-looking (`api_key=abc123`, `password: hunter2`,
`url?token=abc&x=1`, `--passphrase p1`), and also when the name is only suspicious (`sig`,
`cookie`, `session`, ...) and the value looks random. Booleans and nulls stay
(`require_confirm_token: true`). Names may be phrases of up to three words (`API key: x`).
"""

from __future__ import annotations

import re

from peakwatch.secrets.entropy import looks_random
from peakwatch.secrets.names import is_secret_key, is_suspicious_key
from peakwatch.secrets.values import REDACTED

# A flag and its separator, or a (quoted) name and `:`/`=`; the value is read after the match.
_NAMED = re.compile(
    r"(?<!\S)(?P<flag>-{1,2}[A-Za-z][A-Za-z0-9_.-]*+)(?:=|\s++(?!--))"
    r"|(?<![A-Za-z0-9_.-])(?P<quote>\\?[\"']|)"
    r"(?P<name>(?:[A-Za-z][A-Za-z0-9]*+ ){0,2}[A-Za-z_][A-Za-z0-9_.-]*+)"
    r"(?P=quote)[ \t]*+[:=][ \t]*+"
)
MAX_QUOTED = 4096  # a quoted value longer than this is read as if it had no quotes
_QUOTED = {
    quote: re.compile(rf"{quote}((?:[^{quote}\\\n]|\\.){{0,{MAX_QUOTED}}}+){quote}")
    for quote in ("'", '"')
}
# JSON held as text inside JSON: `{\"token\": \"abc\"}`.
_ESCAPED_QUOTED = re.compile(rf"\\([\"'])(.{{0,{MAX_QUOTED}}}?)\\\1")
# A value without quotes: up to a space, a quote or a separator of pairs and markup.
_BARE = re.compile(r"[^\s\"'&;,<>(){}\[\]|]*+")
# The value of a merely suspicious name: token characters only, so it stops at the next
# `=` or `:` and a later pair in it (`Cookie: sid=...`) is still looked at.
_TOKEN_VALUE = re.compile(r"[A-Za-z0-9+/_.~%-]*+")
_AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "digest", "bot"})
_SPACES = re.compile(r"[ \t]++")
_KEPT_VALUES = frozenset({"", "true", "false", "null", "none"})


def _value_span(text: str, start: int, *, secret: bool) -> tuple[int, int]:
    """Where the value that starts at `start` begins and ends (without its quotes)."""
    if text.startswith(('\\"', "\\'"), start):
        escaped = _ESCAPED_QUOTED.match(text, start)
        if escaped:
            return escaped.span(2)
        start += 2
    elif start < len(text) and text[start] in _QUOTED:
        quoted = _QUOTED[text[start]].match(text, start)
        if quoted:
            return quoted.span(1)
        start += 1  # an unterminated quote: the value runs as if unquoted
    bare = (_BARE if secret else _TOKEN_VALUE).match(text, start)
    assert bare is not None  # both patterns match the empty string
    return start, bare.end()


def _secret_value(text: str, start: int) -> tuple[int, int] | None:
    """The span to hide after a secret name, or None when the value holds no secret."""
    if text.startswith(REDACTED, start):
        return None
    begin, end = _value_span(text, start, secret=True)
    if text[begin:end].lower() in _AUTH_SCHEMES:  # `Authorization: Bearer abc`: keep the scheme
        gap = _SPACES.match(text, end)
        if gap:
            if text.startswith(REDACTED, gap.end()):
                return None
            begin, end = _value_span(text, gap.end(), secret=True)
    if text[begin:end].lower() in _KEPT_VALUES:
        return None
    return begin, end


def _random_value(text: str, start: int) -> tuple[int, int] | None:
    """The span to hide after a suspicious name: only a value that looks random."""
    begin, end = _value_span(text, start, secret=False)
    return (begin, end) if looks_random(text[begin:end]) else None


def _kind_of(name: str) -> str | None:
    """The kind of a name: "secret", "suspicious" or None."""
    if is_secret_key(name):
        return "secret"
    return "suspicious" if is_suspicious_key(name) else None


def redact_named(text: str) -> str:
    """`text` with the values of secret-looking names replaced by "[redacted]"."""
    if "=" not in text and ":" not in text and "-" not in text:
        return text
    parts: list[str] = []
    done = 0
    for match in _NAMED.finditer(text):
        if match.start() < done:
            continue  # inside a value already hidden
        kind = _kind_of(match["flag"] or match["name"])
        if kind is None:
            continue
        if kind == "secret":
            span = _secret_value(text, match.end())
        else:
            span = _random_value(text, match.end())
        if span is None:
            continue
        parts.append(text[done : span[0]])
        parts.append(REDACTED)
        done = span[1]
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)
