"""Which names say they hold a secret: environment variables, mapping keys, flags.

Names are matched by whole words (split on `_`, `-`, spaces and camelCase), so
`KRAKEN_API_KEY` and `confirm_token` are secret-looking while
`TOKENIZERS_PARALLELISM`, `token_count` and `max_tokens` are not.
"""

from __future__ import annotations

import re
from functools import lru_cache

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
# Last words of names whose values are often, but not always, secrets: a value under them
# is hidden only when it looks random (`key: BTCUSDT` stays, `sig: 9fQ...` goes).
_SUSPICIOUS_WORDS: frozenset[str] = frozenset(
    {
        "auth",
        "bearer",
        "cookie",
        "cookies",
        "credential",
        "dsn",
        "hmac",
        "jwt",
        "key",
        "pass",
        "pwd",
        "session",
        "sid",
        "sig",
        "signature",
    }
)
NAME_CACHE = 4096  # names repeat across records: answers are kept for this many
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


def words_of(name: str) -> list[str]:
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


@lru_cache(maxsize=NAME_CACHE)
def is_secret_env_name(name: str) -> bool:
    """True when an environment variable's name says it holds a secret."""
    return _has_secret_run(words_of(name), at_end=False)


@lru_cache(maxsize=NAME_CACHE)
def is_secret_key(key: str) -> bool:
    """True when a mapping key names a secret: it ends with a secret word (`binance_api_key`)."""
    return _has_secret_run(words_of(key), at_end=True)


@lru_cache(maxsize=NAME_CACHE)
def is_suspicious_key(key: str) -> bool:
    """True when a name ends with a word whose values are secret when they look random.

    `key`, `signature`, `cookie`, `session`, `dsn`, ... (`session_id` and `keyboard` are not).
    """
    words = words_of(key)
    return bool(words) and words[-1] in _SUSPICIOUS_WORDS
