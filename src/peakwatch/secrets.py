"""Keep secrets out of the process and out of what it shows.

Names are matched by whole words (split on `_`, `-` and camelCase), so
`KRAKEN_API_KEY` and `confirm_token` are secret-looking while
`TOKENIZERS_PARALLELISM`, `token_count` and `max_tokens` are not.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

REDACTED = "[redacted]"
SCRUB_FLAG = "--scrub-secret-env"

# A word, or a run of words, that names a secret wherever it appears in a name.
_SECRET_WORDS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("secret",),
        ("secrets",),
        ("token",),
        ("password",),
        ("passwd",),
        ("passphrase",),
        ("apikey",),
        ("apisecret",),
        ("secretkey",),
        ("privatekey",),
        ("accesskey",),
        ("credentials",),
        ("authorization",),
        ("api", "key"),
        ("api", "secret"),
        ("private", "key"),
        ("secret", "key"),
        ("access", "key"),
    }
)
# Single words that end a secret-looking compound such as BINANCEAPIKEY or AUTHTOKEN.
_SECRET_SUFFIXES: tuple[str, ...] = tuple(sorted(w[0] for w in _SECRET_WORDS if len(w) == 1))
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")
_INLINE_FLAG = re.compile(r"(?<!\S)(-{1,2}[A-Za-z][A-Za-z0-9_.-]*)(=|\s+)(\S+)")


def _words(name: str) -> list[str]:
    """Lower-case words of a name: `binanceApiKey` and `BINANCE-API_KEY` give the same words."""
    return [word for word in _SPLIT.split(_CAMEL.sub("_", name).lower()) if word]


def _has_secret_run(words: list[str], *, at_end: bool) -> bool:
    """True when a secret word (or run of words) occurs; at the end only if `at_end`."""
    for run in _SECRET_WORDS:
        size = len(run)
        starts = [len(words) - size] if at_end else range(len(words) - size + 1)
        for start in starts:
            if start >= 0 and tuple(words[start : start + size]) == run:
                return True
    if not words:
        return False
    candidates = words[-1:] if at_end else words
    return any(word.endswith(_SECRET_SUFFIXES) for word in candidates)


def is_secret_env_name(name: str) -> bool:
    """True when an environment variable's name says it holds a secret."""
    return _has_secret_run(_words(name), at_end=False)


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a secret: it ends with a secret word (`binance_api_key`)."""
    return _has_secret_run(_words(key), at_end=True)


def find_secret_env(environ: Mapping[str, str]) -> list[str]:
    """Sorted names of secret-looking variables that hold a non-blank value."""
    return sorted(
        name for name, value in environ.items() if value.strip() and is_secret_env_name(name)
    )


def scrub_secret_env(environ: MutableMapping[str, str]) -> list[str]:
    """Remove the secret-looking variables from `environ`; return their sorted names."""
    names = find_secret_env(environ)
    for name in names:
        del environ[name]
    return names


def refusal_message(names: Iterable[str]) -> str:
    """Why peakwatch will not start, naming the variables (never their values) and the way out."""
    listed = ", ".join(sorted(names))
    unset = " ".join(f"-u {name}" for name in sorted(names))
    return (
        f"peakwatch will not start: secret-looking environment variables are set: {listed}. "
        "A watch-only dashboard never holds secrets. "
        f"Unset them (for example `env {unset} peakwatch ...`) "
        f"or start with {SCRUB_FLAG} to remove them from this process."
    )


def redact(value: Any) -> Any:
    """A deep copy with secret-keyed values and secret command-line values replaced.

    Values under secret-looking keys become "[redacted]", except None and booleans,
    which hold no secret (`require_confirm_token: true` stays readable).
    """
    if isinstance(value, Mapping):
        return {key: _redact_item(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items = _redact_argv([redact(item) for item in value])
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, str):
        return redact_text(value)
    return copy.deepcopy(value)


def redact_text(text: str) -> str:
    """Replace the values of secret flags inside one string (`--api-key=abc`, `--secret abc`)."""

    def replace(match: re.Match[str]) -> str:
        flag, separator, argument = match.groups()
        if not is_secret_key(flag) or (separator != "=" and argument.startswith("--")):
            return match.group(0)
        return f"{flag}{separator}{REDACTED}"

    return _INLINE_FLAG.sub(replace, text)


def _redact_item(key: Any, item: Any) -> Any:
    if isinstance(key, str) and is_secret_key(key) and item is not None:
        return item if isinstance(item, bool) else REDACTED
    return redact(item)


def _is_bare_secret_flag(item: Any) -> bool:
    return (
        isinstance(item, str)
        and item.startswith("-")
        and "=" not in item
        and " " not in item
        and is_secret_key(item)
    )


def _redact_argv(items: list[Any]) -> list[Any]:
    """In an argv-like list, a bare secret flag's next element is its value: redact it."""
    result = list(items)
    for index in range(len(result) - 1):
        following = result[index + 1]
        if (
            _is_bare_secret_flag(result[index])
            and isinstance(following, str)
            and not following.startswith("--")
        ):
            result[index + 1] = REDACTED
    return result
