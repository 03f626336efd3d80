"""Secrets are redacted by their value as well as by their key, and ordinary values stay.

A corpus of leaks a runner really writes (DSNs, bearer headers, cloud keys, JWTs, PEM
blocks, `key=value` pairs), each with the secret part that must go and the context that
must stay; a corpus of ordinary values that must come through unchanged; and a hostile
megabyte that is redacted in time proportional to its length.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from peakwatch.secrets import REDACTED, redact, redact_text
from peakwatch.secrets.entropy import looks_random

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ0cmFkZXItN2YzIiwiZXhwIjoxNzk4NzYxNjAwfQ."
    "Qm9hcmRpbmdQYXNzX3NpZ25hdHVyZV9oZXJlXzEyMzQ1Njc4OQ"
)
AWS_ID = "AKIAQX7PLM2KD4RT9WZB"
AWS_SECRET = "Jq8vR2mXk5Lp0Tz3Nw7Yb4Hc1Fd6Gs9Ua2Ve5Ri8"
GITHUB = "ghp_R7xk2Lq9Vm4Tz8Nc1Bw6Hy3Dp5Fs0Ga7Jk2Me"
PEM_BODY = "MIIEowIBAAKCAQEAq7Zl0Xk2Vf9Lm3Rt8Wn4Yb6Hc1Jd5Gs0Ue7Pi2Oa9"
SIGNATURE = "Zx8Qm3Lp9Rt2Vw5Yb7Nc4Kd6Hf1Gj0Ss"

# (text, secret parts that must be gone, context that must stay)
LEAKS: list[tuple[str, list[str], list[str]]] = [
    (
        "postgres://trader:Pg-Pass-2026@db.internal:5432/peak",
        ["Pg-Pass-2026"],
        ["postgres://trader:", "@db.internal:5432/peak"],
    ),
    ("redis://:r3d1s-pw@cache.local:6379/0", ["r3d1s-pw"], ["redis://:", "@cache.local:6379/0"]),
    (
        "amqp://guest:rabbitHole77@mq.example.net:5672/vhost",
        ["rabbitHole77"],
        ["amqp://guest:", "@mq.example.net:5672/vhost"],
    ),
    (
        "git clone https://alice:pa55w0rd@git.example.com/org/strategies.git",
        ["pa55w0rd"],
        ["git clone https://alice:", "@git.example.com/org/strategies.git"],
    ),
    (
        "mysql+pymysql://svc:p@ss:word!@10.0.0.7/orders",
        ["p@ss:word!"],
        ["mysql+pymysql://svc:", "@10.0.0.7/orders"],
    ),
    (
        f"curl -s -H 'Authorization: Bearer {JWT}' https://api.example.com/v1/positions",
        [JWT, "eyJzdWIi"],
        ["curl -s -H 'Authorization: Bearer", "https://api.example.com/v1/positions"],
    ),
    (
        "curl -H 'Authorization: Bearer abc' https://api.example.com",
        ["Bearer abc"],
        ["Authorization: Bearer", "https://api.example.com"],
    ),
    (
        "request failed: 401 for Authorization: Basic dHJhZGVyOmh1bnRlcjI=",
        ["dHJhZGVyOmh1bnRlcjI"],
        ["request failed: 401 for Authorization: Basic"],
    ),
    ("proxy sent Token 7f3a9c21e8b4d6f0 upstream", ["7f3a9c21e8b4d6f0"], ["proxy sent Token"]),
    (
        f"AWS_ACCESS_KEY_ID={AWS_ID} AWS_SECRET_ACCESS_KEY={AWS_SECRET} python run_live.py",
        [AWS_ID[4:], AWS_SECRET],
        ["AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "python run_live.py"],
    ),
    (
        f"aws configure set aws_secret_access_key {AWS_SECRET}",
        [AWS_SECRET],
        ["aws configure set aws_secret_access_key"],
    ),
    (f"boto3 rejected key {AWS_ID}: expired", [AWS_ID[4:]], ["boto3 rejected key", "expired"]),
    (
        f"websocket closed: invalid session token {JWT} (code 4001)",
        [JWT],
        ["websocket closed: invalid session token", "(code 4001)"],
    ),
    (
        f"operator note: key for the signer -----BEGIN RSA PRIVATE KEY----- {PEM_BODY} "
        "-----END RSA PRIVATE KEY----- rotate after the pilot",
        [PEM_BODY],
        ["operator note: key for the signer", "RSA PRIVATE KEY", "rotate after the pilot"],
    ),
    (
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n{PEM_BODY[::-1]}\n",
        [PEM_BODY, PEM_BODY[::-1]],
        ["-----BEGIN OPENSSH PRIVATE KEY-----"],
    ),
    (
        "GET https://api.example.com/v1/orders?api_key=k7Hq2mZx&symbol=BTCUSDT",
        ["k7Hq2mZx"],
        ["https://api.example.com/v1/orders?api_key=", "&symbol=BTCUSDT"],
    ),
    (
        "wss://stream.example.com/ws?token=abc123&x=1",
        ["abc123"],
        ["wss://stream.example.com/ws?token=", "&x=1"],
    ),
    ("api_key=abc123 symbol=BTC/EUR", ["abc123"], ["api_key=", "symbol=BTC/EUR"]),
    ("db password: hunter2 (rotated monthly)", ["hunter2"], ["db password:", "(rotated monthly)"]),
    (
        '{"exchange": "kraken", "api_secret": "kr-S3cr3t-value", "testnet": true}',
        ["kr-S3cr3t-value"],
        ['"exchange": "kraken"', '"api_secret": "', '"testnet": true'],
    ),
    (
        "settings {'passphrase': 'okx pass phrase', 'symbol': 'ETH/USDT'}",
        ["okx pass phrase"],
        ["'passphrase': '", "'symbol': 'ETH/USDT'"],
    ),
    (
        'upstream said {\\"access_token\\": \\"tok-991-abc\\"}',
        ["tok-991-abc"],
        ['upstream said {\\"access_token\\": \\"'],
    ),
    (
        "python run.py --verbose --password hunter2 --symbol BTC/EUR",
        ["hunter2"],
        ["--verbose --password", "--symbol BTC/EUR"],
    ),
    ("runner --api-secret='two words' --dry-run", ["two words"], ["--api-secret=", "--dry-run"]),
    (
        f"git push failed: token {GITHUB} lacks scope",
        [GITHUB[4:]],
        ["git push failed: token ghp_", "lacks scope"],
    ),
    (
        "GH_PAT=github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdefGHIJ",
        ["11ABCDEFG0aBcDeFgHiJkL"],
        ["GH_PAT=github_pat_"],
    ),
    (
        "slack webhook auth xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx failed",
        ["AbCdEfGhIjKlMnOpQrStUvWx"],
        ["slack webhook auth xoxb-", "failed"],
    ),
    (
        "LLM call with sk-proj-Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6 timed out",
        ["Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"],
        ["LLM call with sk-proj-", "timed out"],
    ),
    (
        "billing via sk_live_51HqLyjWDarjtT1zdp7dc2026 and rk_live_4eC39HqLyjWDarjtT1zd",
        ["51HqLyjWDarjtT1zdp7dc2026", "4eC39HqLyjWDarjtT1zd"],
        ["billing via sk_live_", "and rk_live_"],
    ),
    (
        "maps key AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe in config",
        ["SyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"],
        ["maps key AIza", "in config"],
    ),
    (
        "model pulled with hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        ["AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"],
        ["model pulled with hf_"],
    ),
    (
        "ci uses glpat-Xy12Ab34Cd56Ef78Gh90 for the mirror",
        ["Xy12Ab34Cd56Ef78Gh90"],
        ["ci uses glpat-", "for the mirror"],
    ),
    (
        f"POST /v3/order?symbol=BTCUSDT&timestamp=1767225600000&signature={SIGNATURE}",
        [SIGNATURE],
        ["POST /v3/order?symbol=BTCUSDT&timestamp=1767225600000&signature="],
    ),
    (
        f"Cookie: sid={SIGNATURE}; theme=dark",
        [SIGNATURE],
        ["Cookie: sid=", "; theme=dark"],
    ),
    ("my API key: zq9apikeyvalue", ["zq9apikeyvalue"], ["my API key:"]),
    (
        f"export GITHUB_TOKEN={GITHUB} && make deploy",
        [GITHUB[4:]],
        ["export GITHUB_TOKEN=", "&& make deploy"],
    ),
]

# Ordinary values that must come through unchanged.
ORDINARY = [
    "run-20261203-abc123",
    "session_20260101_000500_paper_a1b2c3",
    "550e8400-e29b-41d4-a716-446655440000",
    "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
    "config_hash: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "git_sha=2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
    "BTC/EUR",
    "BTCUSDT",
    "key: BTCUSDT",
    'key: "BTC/EUR:USDT-PERP-2026Q1"',
    'session: "s-2026-01"',
    "67012.55",
    "-0.0231",
    "2026-01-01T12:00:00+00:00",
    "2026-12-03 08:15:00Z",
    "/var/lib/peak_trade/live_runs/run-20261203-abc123/events.jsonl",
    "reports/experiments/live_sessions/20260101T000500_live_session_paper_a1b2c3.json",
    "password rotation scheduled for Friday",
    "token budget exceeded, retrying with a shorter prompt",
    "Token refreshed for run-20261203-abc123",
    "Basic authentication is disabled on the exchange",
    "the bearer of this note is the on-call operator",
    "require_confirm_token: true",
    "token_count=512 max_tokens: 4096",
    "aGVsbG8=",
    "ma_crossover",
    "MovingAverageCrossover2",
    "rsi_mean_reversion_v3",
    "https://api.example.com:8443/v1/ticker?symbol=BTCUSDT",
    "ssh://git@github.com/peak/strategies.git",
    "Order o17 buy 0.1 @ 67012.5: submitted",
    "Risk check blocked: max_position; daily_loss",
    "--symbol BTC/EUR --mode paper --token-count=5",
    "12:00:05 heartbeat ok",
]


@pytest.mark.parametrize(("text", "secrets", "context"), LEAKS, ids=range(len(LEAKS)))
def test_a_leaked_secret_is_gone_and_its_context_stays(
    text: str, secrets: list[str], context: list[str]
) -> None:
    shown = redact_text(text)
    assert REDACTED in shown
    for secret in secrets:
        assert secret not in shown, shown
    for kept in context:
        assert kept in shown, shown


def test_the_leak_corpus_is_big_enough() -> None:
    assert len(LEAKS) >= 30
    assert len(ORDINARY) >= 20


@pytest.mark.parametrize("text", ORDINARY)
def test_an_ordinary_value_comes_through_unchanged(text: str) -> None:
    assert redact_text(text) == text
    assert redact({"value": text, "items": [text]}) == {"value": text, "items": [text]}


def test_leaks_are_redacted_inside_records_and_argv_lists() -> None:
    record: dict[str, Any] = {
        "config": {
            "dsn": "postgres://trader:Pg-Pass-2026@db.internal:5432/peak",
            "signature": SIGNATURE,
            "key": "BTCUSDT",
            "session": "s-2026-01",
            "session_id": "550e8400-e29b-41d4-a716-446655440000",
            "git_sha": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
            "cookie": f"sid={SIGNATURE}",
        },
        "cli_args": [
            "curl",
            "-H",
            "Authorization: Bearer abc",
            "--sig",
            SIGNATURE,
            "--key",
            "BTCUSDT",
            "https://u:pw-2026@example.com/x",
        ],
    }
    shown = redact(record)
    assert shown["config"] == {
        "dsn": "postgres://trader:[redacted]@db.internal:5432/peak",
        "signature": REDACTED,
        "key": "BTCUSDT",
        "session": "s-2026-01",
        "session_id": "550e8400-e29b-41d4-a716-446655440000",
        "git_sha": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
        "cookie": REDACTED,
    }
    assert shown["cli_args"] == [
        "curl",
        "-H",
        "Authorization: Bearer [redacted]",
        "--sig",
        REDACTED,
        "--key",
        "BTCUSDT",
        "https://u:[redacted]@example.com/x",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SIGNATURE, True),
        (AWS_SECRET, True),
        ("dGhpcyBpcyBhIHJhbmRvbSBrZXkgMTIzNDU2Nzg5MA==", True),
        ("a3f5" * 16, True),  # 64 hex: key material, not a git sha
        ("2fd4e1c67a2d28fced849ee1bb76e7391b93eb12", False),
        ("550e8400-e29b-41d4-a716-446655440000", False),
        ("run-20261203-abc123", False),
        ("ma_crossover_BTC2026", False),
        ("BinanceFuturesUSDT2026", False),
        ("/var/lib/peak/runs/run-1/events.jsonl", False),
        ("short1A", False),
    ],
)
def test_looks_random_tells_key_material_from_ids(value: str, expected: bool) -> None:
    assert looks_random(value) is expected


HOSTILE_UNITS = [
    "key=",
    "token=",
    "a://b:",
    '"password": "',
    "-a ",
    "secret ",
    "Bearer ",
    "-----BEGIN RSA PRIVATE KEY-----",
    "eyJaaaaaaa.",
    f"sig={SIGNATURE}&",
    "x" * 97 + " ",
]


def _best_time(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        redact_text(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.timeout(120)
@pytest.mark.parametrize("unit", HOSTILE_UNITS)
def test_a_hostile_megabyte_costs_time_in_proportion_to_its_length(unit: str) -> None:
    small = unit * (100_000 // len(unit))
    big = unit * (1_000_000 // len(unit))
    ratio = _best_time(big) / max(_best_time(small), 1e-4)
    assert ratio < 30, f"10x the text took {ratio:.0f}x the time: not linear"
