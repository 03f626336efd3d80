"""Secrets are redacted by their value as well as by their key, and ordinary values stay.

A corpus of leaks a runner really writes (DSNs, bearer headers, cloud keys, JWTs, PEM
blocks, `key=value` pairs), each with the secret part that must go and the context that
must stay; a corpus of ordinary values that must come through unchanged; and a hostile
megabyte that is redacted in time proportional to its length.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from peakwatch.audit import main as audit_main
from peakwatch.export import main as export_main
from peakwatch.producer import RunWriter, SessionRecorder
from peakwatch.secrets import REDACTED, redact, redact_text
from peakwatch.secrets.entropy import looks_random
from peakwatch.settings import Settings
from peakwatch.web import create_app
from peakwatch.web.metrics import label as metric_label
from worlds import RUN_ID, SESSION_ID, get_paths, settings_for

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
    for _ in range(5):
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
    # linear is 10x, quadratic 100x; a loaded shared machine was seen to stretch linear to 34x
    assert ratio < 50, f"10x the text took {ratio:.0f}x the time: not linear"


# -- end to end: a leaky run, session and config, seen through every door ------------------

E2E_JWT = (
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJydW5uZXItZTJlIiwic2NvcGUiOiJ0cmFkZSJ9."
    "SgnE2eLeakQ4m7Vx2Zp9Kd3Rt6Yw8Hb1Nc5Lf0Ja"
)
E2E_PEM = "MHcCAQEEIE2eLeakPemBodyQx7Vm3Rt9Kd2Hb6Nc1Lf5Ja0Yw8Zp4oAoGCCqGSM49"
E2E_AWS_ID = "AKIAE2ELEAKQX7PLM2KD"
E2E_AWS_SECRET = "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"
E2E_GITHUB = "ghp_E2eLeakR7xk2Lq9Vm4Tz8Nc1Bw6Hy3Dp5Fs0G"
E2E_SIG = "E2eSigQ8m3Lp9Rt2Vw5Yb7Nc4Kd6Hf1Gj0Ss"
E2E_CLI_SIG = "CliSigZx8Qm3Lp9Rt2Vw5Yb7Nc4Kd6Hf1Gj0"
# Every secret planted below; none may appear in anything peakwatch shows.
E2E_SECRETS = [
    "PgLeak-7731",
    E2E_SIG,
    "tokleak991",
    E2E_PEM,
    E2E_JWT.split(".")[1],
    E2E_JWT.split(".")[2],
    "RedisLeak88",
    E2E_GITHUB[4:],
    "BearerLeak123abc",
    "AlertLeak42",
    "OpsLeak55",
    E2E_AWS_ID[4:],
    "AmqpLeak66",
    "SessBearer9x7",
    E2E_CLI_SIG,
    E2E_AWS_SECRET,
    "SessPg77",
    "CfgRiskLeak31",
    "amqp-risk-leak-19",
    "FeedLeak404",
]


def build_leaky_world(base: Path) -> Settings:
    """A run (meta, events, alerts), a session and a safety config full of leaks."""
    settings = settings_for(base)
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    with RunWriter(
        settings.runs_dir,
        RUN_ID,
        mode="paper",
        strategy_name="ma_crossover",
        symbol="BTC/EUR",
        timeframe="1m",
        started_at=start,
        config_snapshot={
            "db": {"dsn": "postgres://trader:PgLeak-7731@db.internal:5432/peak"},
            "exchange": {
                "name": "kraken",
                "key": "BTCUSDT",
                "signature": E2E_SIG,
                "webhook": "https://hooks.example.com/x?token=tokleak991&channel=ops",
            },
            "git_sha": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
            "session": "s-2026-01",
        },
        notes=f"signer -----BEGIN EC PRIVATE KEY----- {E2E_PEM} -----END EC PRIVATE KEY----- "
        "kept offline",
    ) as run:
        run.event(
            "error",
            f"websocket closed: invalid session token {E2E_JWT}",
            level="error",
            data={"error": "redis://:RedisLeak88@cache.local:6379/0 refused", "attempt": 3},
            ts=start + timedelta(seconds=1),
        )
        run.event(
            "signal",
            "fetching: curl -H 'Authorization: Bearer BearerLeak123abc' https://api.example.com/v1",
            ts=start + timedelta(seconds=2),
        )
        run.decision(
            "buy",
            confidence=0.7,
            rationale="signal from feed wss://feed:FeedLeak404@md.example.com/ws",
            symbol="BTC/EUR",
            ts=start + timedelta(seconds=3),
        )
        run.risk(
            False,
            [f"exchange auth failed with {E2E_GITHUB}", "max_position"],
            ts=start + timedelta(seconds=3),
        )
        run.order("o1", "buy", 0.1, 100.0, status="blocked", ts=start + timedelta(seconds=3))
        run.position(0.0, 10_000.0, ts=start + timedelta(seconds=4))
        run.alert(
            "exchange_auth",
            "critical",
            "login failed: api_key=AlertLeak42 via https://ops:OpsLeak55@broker.example.com/api",
            ts=start + timedelta(seconds=5),
        )
    recorder = SessionRecorder(
        settings.sessions_dir,
        session_id=SESSION_ID,
        run_id=RUN_ID,
        mode="paper",
        env_name="kraken_testnet",
        symbol="BTC/EUR",
        config={
            "notes": f"exported AWS_ACCESS_KEY_ID={E2E_AWS_ID} for the backfill",
            "broker": "amqp://guest:AmqpLeak66@mq.example.net:5672/",
        },
        cli_args=[
            "python",
            "run_live.py",
            "--mode",
            "paper",
            "-H",
            "Authorization: Bearer SessBearer9x7",
            "--sig",
            E2E_CLI_SIG,
            "--symbol",
            "BTC/EUR",
            f"AWS_SECRET_ACCESS_KEY={E2E_AWS_SECRET}",
        ],
        started_at=start,
    )
    with recorder:
        recorder.heartbeat({"realized_pnl": 1.5}, ts=start + timedelta(seconds=6))
        recorder.finish(
            "failed",
            error="connect failed: postgres://svc:SessPg77@10.0.0.7/orders",
            ts=start + timedelta(seconds=7),
        )
    settings.config_path.parent.mkdir(parents=True, exist_ok=True)
    settings.config_path.write_text(
        '[environment]\nmode = "paper"\n'
        "[live_risk]\nenabled = true\nmax_order_notional = 25.0\n"
        'alert_dsn = "redis://:CfgRiskLeak31@alerts.internal:6379/2"\n'
        'webhook = "https://hooks.example.com/risk?api_key=amqp-risk-leak-19"\n',
        encoding="utf-8",
    )
    return settings


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_leaky_world(tmp_path_factory.mktemp("leaky"))


@pytest.fixture(scope="module")
def leaky_app(leaky: Settings) -> FastAPI:
    return create_app(leaky)


@pytest.fixture(scope="module")
def leaky_client(leaky_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(
        leaky_app, raise_server_exceptions=False, base_url="http://localhost"
    ) as test_client:
        yield test_client


def assert_no_secret(text: str, where: str) -> None:
    found = [secret for secret in E2E_SECRETS if secret in text]
    assert not found, f"{where} shows {found}"


def get_text(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode("utf-8", "replace")


def test_the_leaks_are_really_written_to_disk(leaky: Settings) -> None:
    written = "".join(
        path.read_text(encoding="utf-8")
        for root in (leaky.runs_dir, leaky.sessions_dir)
        for path in root.rglob("*")
        if path.is_file()
    ) + leaky.config_path.read_text(encoding="utf-8")
    assert [secret for secret in E2E_SECRETS if secret not in written] == []


# The pages and endpoints that show the leaky records, and context each must keep.
SHOWN_WITH_CONTEXT: dict[str, list[str]] = {
    f"/dashboard/runs/{RUN_ID}": ["ma_crossover"],
    f"/sessions/{SESSION_ID}": ["run_live.py", "--symbol", "10.0.0.7/orders"],
    f"/runs/{RUN_ID}/snapshot": [
        "postgres://trader:[redacted]@db.internal:5432/peak",
        "https://hooks.example.com/x?token=[redacted]&channel=ops",
        "BTCUSDT",
        "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
        "s-2026-01",
        "-----BEGIN EC PRIVATE KEY-----[redacted]",
        "kept offline",
    ],
    f"/runs/{RUN_ID}/tail?limit=50": ["exchange auth failed with ghp_[redacted]", "max_position"],
    f"/runs/{RUN_ID}/alerts": ["api_key=[redacted]", "https://ops:[redacted]@broker.example.com"],
    f"/api/runs/{RUN_ID}/events?limit=50": [
        "websocket closed: invalid session token [redacted]",
        "redis://:[redacted]@cache.local:6379/0 refused",
        "Authorization: Bearer [redacted]' https://api.example.com/v1",
    ],
    "/api/live_sessions": [SESSION_ID, "postgres://svc:[redacted]@10.0.0.7/orders"],
    f"/api/live_sessions/{SESSION_ID}": [
        "run_live.py",
        "Authorization: Bearer [redacted]",
        "AWS_SECRET_ACCESS_KEY=[redacted]",
        "amqp://guest:[redacted]@mq.example.net:5672/",
        "postgres://svc:[redacted]@10.0.0.7/orders",
        "AWS_ACCESS_KEY_ID=AKIA[redacted] for the backfill",
    ],
    "/api/activity?limit=200": ["websocket closed", "api.example.com/v1"],
    "/api/alerts": ["login failed: api_key=[redacted]"],
    "/activity": ["websocket closed"],
    "/alerts": ["login failed"],
    "/api/live/status/snapshot.json": [RUN_ID, SESSION_ID],
    "/api/live/status/snapshot.html": [RUN_ID],
    "/api/live/safety": ["redis://:[redacted]@alerts.internal:6379/2"],
    "/metrics": ["peakwatch_runs"],
}


@pytest.mark.parametrize("path", sorted(SHOWN_WITH_CONTEXT))
def test_no_secret_is_shown_and_the_context_stays(leaky_client: TestClient, path: str) -> None:
    text = get_text(leaky_client, path)
    assert_no_secret(text, path)
    for kept in SHOWN_WITH_CONTEXT[path]:
        assert kept in text, (path, kept)


def test_no_route_shows_a_secret(leaky_app: FastAPI, leaky_client: TestClient) -> None:
    for path in get_paths(leaky_app):
        response = leaky_client.get(path)
        assert response.status_code < 500, path
        assert_no_secret(response.content.decode("utf-8", "replace"), path)


def test_the_export_holds_no_secret(leaky: Settings, tmp_path: Path) -> None:
    out = tmp_path / "export"
    roots = [
        f"--runs-dir={leaky.runs_dir}",
        f"--sessions-dir={leaky.sessions_dir}",
        f"--alerts-dir={leaky.alerts_dir}",
        f"--ai-events={leaky.ai_events_path}",
        f"--execution-dir={leaky.execution_dir}",
        f"--config={leaky.config_path}",
    ]
    assert export_main(["--out", str(out), "--as-of", "2026-01-01T13:00:00Z", *roots]) == 0
    files = sorted(path for path in out.rglob("*") if path.is_file())
    assert len(files) >= 5
    exported = {path.name: path.read_text(encoding="utf-8") for path in files}
    for name, text in exported.items():
        assert_no_secret(text, name)
    assert "postgres://trader:[redacted]@db.internal:5432/peak" in exported["run_snapshot.json"]
    assert "ghp_[redacted]" in exported["run_tail.json"]
    assert "broker.example.com" in exported["run_alerts.json"]


def test_the_audit_export_holds_no_secret(leaky: Settings, tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    markdown = tmp_path / "audit.md"
    code = audit_main(
        ["--config", str(leaky.config_path), "--output-json", str(out)]
        + ["--output-markdown", str(markdown)]
    )
    assert code == 0
    text = out.read_text(encoding="utf-8") + markdown.read_text(encoding="utf-8")
    assert_no_secret(text, "audit")
    assert "redis://:[redacted]@alerts.internal:6379/2" in text
    assert "https://hooks.example.com/risk?api_key=[redacted]" in text


def test_log_lines_hold_no_secret(
    leaky_app: FastAPI, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    # a uvicorn started earlier in this process may have quietened or detached its access log
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    monkeypatch.setattr(logging.getLogger("uvicorn.access"), "propagate", True)
    monkeypatch.setattr(logging.getLogger("uvicorn.access"), "disabled", False)
    peakwatch_log = logging.getLogger("peakwatch")
    peakwatch_log.warning("live feed: %s could not be followed", "redis://:RedisLeak88@c:6379")
    peakwatch_log.warning("retrying with password=%s", "SessPg77")
    try:
        raise OSError(f"cannot open amqp://guest:AmqpLeak66@mq/ with {E2E_GITHUB}")
    except OSError:
        peakwatch_log.exception("unhandled error on %s", f"/runs/x?token={E2E_SIG}")
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/x?api_key={E2E_CLI_SIG}", "1.1", 200
    )
    shown = caplog.text + "".join(logging.Formatter().format(record) for record in caplog.records)
    assert_no_secret(shown, "log")
    for kept in ("live feed: redis://:[redacted]@c:6379", "retrying with password=[redacted]"):
        assert kept in shown
    assert "OSError: cannot open amqp://guest:[redacted]@mq/" in shown
    assert '"GET /x?api_key=[redacted] HTTP/1.1" 200' in shown


def test_metric_labels_are_redacted() -> None:
    assert metric_label("run-20261203-abc123") == "run-20261203-abc123"
    assert metric_label("/runs/{run_id}/snapshot") == "/runs/{run_id}/snapshot"
    assert metric_label(f"strategy with {E2E_GITHUB}") == "strategy with ghp_[redacted]"
