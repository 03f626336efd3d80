"""Secrets recognised by their shape wherever they sit in a text, whatever names them.

Private key blocks, passwords in URLs, JWTs, cloud and service tokens with a well-known
prefix, AWS keys and `Bearer`/`Basic`/`Token` credentials. Every pattern is compiled once,
starts at a literal or a word boundary and uses possessive or bounded repeats, so a hostile
text costs time in proportion to its length.
"""

from __future__ import annotations

import re

from peakwatch.secrets.entropy import looks_random

REDACTED = "[redacted]"

_PEM = re.compile(
    r"-----BEGIN (?P<kind>[A-Z0-9 ]{0,40}?)PRIVATE KEY(?P<block>(?: BLOCK)?)-----"
    r".*?(?:-----END (?P=kind)PRIVATE KEY(?P=block)-----|\Z)",
    re.DOTALL,
)
_URL_PASSWORD = re.compile(
    r"(?P<head>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}+://[^\s:/?#@\[\]'\"<>]*+:)"
    r"(?P<password>[^\s/?#'\"<>]+)@"  # up to the last `@` of the authority
)
# Shapes that need no name: kept prefix (group `keep`), then the secret body.
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_-])(?:"
    r"(?P<jwt>eyJ[A-Za-z0-9_-]{6,}+\.[A-Za-z0-9_-]{6,}+\.[A-Za-z0-9_-]{6,}+)"
    r"|(?P<keep>"
    r"gh[pousr]_|github_pat_|glpat-|xox[bpars]-|xapp-|npm_|hf_|AIza|pypi-"
    r"|(?:sk|rk)_(?:live|test)_|sk-(?:proj-|ant-|svcacct-)?"
    r"|(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)(?=[A-Z0-9]{16}(?![A-Za-z0-9]))"
    r")(?P<body>[A-Za-z0-9_-]{12,}+)"
    r")"
)
# Where a token body must look random to count (the prefix alone is a common word part).
_RANDOM_BODY = frozenset({"sk-", "hf_", "npm_", "pypi-"})
# As HTTP writes them: lower-case `token` is too common in prose (`Authorization: token x`
# is caught by its name, in pairs.py).
_AUTH_SCHEMES = r"[Bb]earer|BEARER|Basic|BASIC|Token|TOKEN"
_AUTH = re.compile(
    rf"(?<![A-Za-z0-9_-])(?P<scheme>{_AUTH_SCHEMES})(?P<gap>[ \t]++)"
    r"(?P<credential>[A-Za-z0-9._~+/=-]{8,}+)"
)
# A 40-character AWS secret access key shortly after a name that says so.
_AWS_SECRET = re.compile(
    r"(?P<head>(?i:secret)[A-Za-z0-9_ -]{0,24}?[\s:=,'\"]{1,6}+)"
    r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
)
_UPPER_INSIDE = re.compile(r".[A-Z]")


def credential_like(text: str) -> bool:
    """True when a word after `Bearer`/`Basic`/`Token` is a credential, not an English word.

    `Bearer dXNlcjpwYXNz` and `Token 4f9a0c1e` are; `Basic authentication` and `Token
    refreshed` are not.
    """
    if len(text) < 8:
        return False
    has_digit = any(c.isdigit() for c in text)
    has_letter = any(c.isalpha() for c in text)
    mixed_case = bool(_UPPER_INSIDE.search(text)) and any(c.islower() for c in text)
    return (has_digit and has_letter) or mixed_case or any(c in "+/=" for c in text)


def _pem(match: re.Match[str]) -> str:
    label = f"{match['kind']}PRIVATE KEY{match['block']}"
    return f"-----BEGIN {label}-----{REDACTED}-----END {label}-----"


def _url_password(match: re.Match[str]) -> str:
    return f"{match['head']}{REDACTED}@"


def _token(match: re.Match[str]) -> str:
    if match["jwt"]:
        return REDACTED
    keep, body = match["keep"], match["body"]
    if keep in _RANDOM_BODY and not looks_random(body):
        return match.group(0)
    return f"{keep}{REDACTED}"


def _auth(match: re.Match[str]) -> str:
    if not credential_like(match["credential"]):
        return match.group(0)
    return f"{match['scheme']}{match['gap']}{REDACTED}"


def _aws_secret(match: re.Match[str]) -> str:
    if not looks_random(match["secret"]):
        return match.group(0)
    return f"{match['head']}{REDACTED}"


def redact_shapes(text: str) -> str:
    """`text` with every secret recognised by its shape replaced (see the module's note)."""
    if "PRIVATE KEY" in text:
        text = _PEM.sub(_pem, text)
    if "://" in text and "@" in text:
        text = _URL_PASSWORD.sub(_url_password, text)
    text = _TOKEN.sub(_token, text)
    text = _AUTH.sub(_auth, text)
    if "ecret" in text or "ECRET" in text:
        text = _AWS_SECRET.sub(_aws_secret, text)
    return text
