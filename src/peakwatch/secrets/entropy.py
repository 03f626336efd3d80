"""Tell random-looking values (keys, signatures, session cookies) from ordinary ones.

A value looks random when it is long, has no spaces, mixes at least two of upper case,
lower case and digits, switches between them often, holds few word-like runs and few
separators, and carries many bits per character. Ids meant to be read (UUIDs, git shas,
`run-20261203-abc123`, `ma_crossover_BTC2026`, paths, `BTC/EUR:USDT-PERP-2026Q1`) do not.
"""

from __future__ import annotations

import math
import re
from collections import Counter

MIN_LENGTH = 20  # shorter values are never judged random
MIN_HEX_LENGTH = 48  # hex up to a sha1 / git sha (40) is a digest; longer is key material
MIN_BITS_PER_CHAR = 3.5
MIN_SWITCH_RATIO = 0.3  # share of neighbouring characters of different classes
MAX_RUN_SHARE = 0.6  # share of characters in runs of 4+ of one class (words, years)
MAX_SEPARATOR_SHARE = 0.15  # share of characters that are not letters or digits (paths)
MAX_ANALYSED = 512  # characters looked at; a longer value is judged by its start

_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]+")
_TOKEN = re.compile(r"[A-Za-z0-9+/=_.~:%-]+")
# Runs of one class: lower case, upper case, digits, anything else.
_CLASS_RUN = re.compile(r"[a-z]+|[A-Z]+|[0-9]+|[^a-zA-Z0-9]+")


def bits_per_char(value: str) -> float:
    """Shannon entropy of the characters of `value`, in bits per character."""
    if not value:
        return 0.0
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in Counter(value).values())


def looks_random(value: str) -> bool:
    """True when `value` looks like key material rather than a word, an id or a digest."""
    sample = value[:MAX_ANALYSED]
    if len(sample) < MIN_LENGTH or not _TOKEN.fullmatch(sample) or _UUID.fullmatch(sample):
        return False
    if _HEX.fullmatch(sample):
        return len(sample) >= MIN_HEX_LENGTH
    body = sample.rstrip("=")  # base64 padding says nothing
    size = len(body)
    runs = _CLASS_RUN.findall(body)
    classes = {
        "digit" if run[0].isdigit() else "upper" if run[0].isupper() else "lower"
        for run in runs
        if run[0].isalnum()
    }
    separators = sum(len(run) for run in runs if not run[0].isalnum())
    in_long_runs = sum(len(run) for run in runs if len(run) >= 4 and run[0].isalnum())
    return (
        len(classes) >= 2
        and separators <= MAX_SEPARATOR_SHARE * size
        and len(runs) - 1 >= MIN_SWITCH_RATIO * (size - 1)
        and in_long_runs <= MAX_RUN_SHARE * size
        and bits_per_char(body) >= MIN_BITS_PER_CHAR
    )
