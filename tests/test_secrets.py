"""Secret-looking environment variables are found by name, and secrets in data are redacted."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peakwatch.secrets import (
    REDACTED,
    find_secret_env,
    is_secret_env_name,
    is_secret_key,
    redact,
    refusal_message,
    scrub_secret_env,
)

ENVIRON = {
    "BINANCE_API_SECRET": "bin-secret-value",
    "KRAKEN_API_KEY": "kraken-key-value",
    "PEAK_TRADE_CONFIRM_TOKEN": "I_KNOW_WHAT_I_AM_DOING",
    "GITHUB_TOKEN": "ghp_value",
    "DB_PASSWORD": "pw-value",
    "OKX_PASSPHRASE": "okx-pass-value",
    "wallet_private_key": "0xdeadbeef",
    "OPENAI_APIKEY": "sk-value",
    "HOME": "/root",
    "PATH": "/usr/bin",
    "TOKENIZERS_PARALLELISM": "false",
    "MAX_TOKENS": "4096",
    "PEAK_TRADE_CONFIG_PATH": "config/config.toml",
    "KEYBOARD": "de",
    "EMPTY_SECRET": "  ",
}
SECRET_NAMES = [
    "BINANCE_API_SECRET",
    "DB_PASSWORD",
    "GITHUB_TOKEN",
    "KRAKEN_API_KEY",
    "OKX_PASSPHRASE",
    "OPENAI_APIKEY",
    "PEAK_TRADE_CONFIRM_TOKEN",
    "wallet_private_key",
]


def test_find_secret_env_names_exactly_the_secret_looking_variables() -> None:
    assert find_secret_env(ENVIRON) == SECRET_NAMES


def test_blank_secret_variables_hold_nothing_and_are_not_reported() -> None:
    assert find_secret_env({"EMPTY_SECRET": "", "BLANK_TOKEN": " \t"}) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("KRAKEN_API_KEY", True),
        ("BINANCEAPIKEY", True),
        ("binanceApiKey", True),
        ("AUTHTOKEN", True),
        ("PEAK_TRADE_CONFIRM_TOKEN", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("TOKENIZERS_PARALLELISM", False),
        ("MAX_TOKENS", False),
        ("KEYBOARD", False),
        ("MONKEY_PATCH", False),
    ],
)
def test_env_names_match_whole_words(name: str, expected: bool) -> None:
    assert is_secret_env_name(name) is expected


def test_scrub_removes_only_secret_variables_and_returns_their_names() -> None:
    environ = dict(ENVIRON)
    assert scrub_secret_env(environ) == SECRET_NAMES
    assert sorted(environ) == sorted(set(ENVIRON) - set(SECRET_NAMES))
    assert environ["TOKENIZERS_PARALLELISM"] == "false"


def test_scrub_works_on_the_real_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("PEAKWATCH_TEST_API_SECRET", "real-secret")
    assert "PEAKWATCH_TEST_API_SECRET" in scrub_secret_env(os.environ)
    assert "PEAKWATCH_TEST_API_SECRET" not in os.environ


def test_refusal_message_names_variables_never_values_and_says_how_to_start_clean() -> None:
    message = refusal_message(["KRAKEN_API_KEY", "BINANCE_API_SECRET"])
    assert "BINANCE_API_SECRET, KRAKEN_API_KEY" in message
    assert "env -u BINANCE_API_SECRET -u KRAKEN_API_KEY" in message
    assert "--scrub-secret-env" in message
    for value in ("bin-secret-value", "kraken-key-value"):
        assert value not in message


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("api_key", True),
        ("binance_api_key", True),
        ("apiKey", True),
        ("API_SECRET", True),
        ("confirm_token", True),
        ("access_token", True),
        ("passphrase", True),
        ("private_key", True),
        ("Secret", True),
        ("token_count", False),
        ("max_tokens", False),
        ("prompt_tokens", False),
        ("api_key_id", False),
        ("secret_name", False),
        ("keyboard", False),
    ],
)
def test_keys_are_secret_when_they_end_with_a_secret_word(key: str, expected: bool) -> None:
    assert is_secret_key(key) is expected


def test_redact_replaces_values_under_secret_keys_at_any_depth() -> None:
    data = {
        "api_key": "abc",
        "binance_api_key": "k",
        "apiKey": "x",
        "password": 1234,
        "confirm_token": "I_KNOW_WHAT_I_AM_DOING",
        "secrets": {"a": "b"},
        "token": None,
        "require_confirm_token": True,
        "token_count": 5,
        "max_tokens": 100,
        "api_key_id": "public-id",
        "nested": [{"exchange": {"secret": "s", "name": "kraken"}}],
    }
    assert redact(data) == {
        "api_key": REDACTED,
        "binance_api_key": REDACTED,
        "apiKey": REDACTED,
        "password": REDACTED,
        "confirm_token": REDACTED,
        "secrets": REDACTED,
        "token": None,
        "require_confirm_token": True,
        "token_count": 5,
        "max_tokens": 100,
        "api_key_id": "public-id",
        "nested": [{"exchange": {"secret": REDACTED, "name": "kraken"}}],
    }


def test_redact_argv_lists() -> None:
    argv = [
        "run.py",
        "--api-key=abc",
        "--secret",
        "xyz",
        "--symbol",
        "BTC/EUR",
        "--confirm-token=I_KNOW_WHAT_I_AM_DOING",
        "--token-count=5",
        "--password",
        "--verbose",
    ]
    assert redact({"cli_args": argv}) == {
        "cli_args": [
            "run.py",
            "--api-key=[redacted]",
            "--secret",
            REDACTED,
            "--symbol",
            "BTC/EUR",
            "--confirm-token=[redacted]",
            "--token-count=5",
            "--password",
            "--verbose",
        ]
    }


def test_redact_a_command_line_held_in_one_string() -> None:
    text = "python run.py --api-key abc --symbol BTC/EUR --passphrase=p1"
    assert (
        redact(text)
        == "python run.py --api-key [redacted] --symbol BTC/EUR --passphrase=[redacted]"
    )


def test_redact_returns_a_deep_copy_and_keeps_tuples() -> None:
    original: dict[str, Any] = {
        "outer": {"api_key": "abc", "items": [1, 2]},
        "pair": ("--secret", "s"),
    }
    result = redact(original)
    assert original == {"outer": {"api_key": "abc", "items": [1, 2]}, "pair": ("--secret", "s")}
    assert result["outer"] is not original["outer"]
    assert result["outer"]["items"] is not original["outer"]["items"]
    assert result["pair"] == ("--secret", REDACTED)


def _nest(value: Any, layers: list[str]) -> Any:
    for layer in layers:
        value = [value] if layer == "list" else {"wrap": value}
    return value


@given(
    secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20),
    key=st.sampled_from(["api_key", "KRAKEN_API_SECRET", "passphrase", "confirmToken", "token"]),
    layers=st.lists(st.sampled_from(["list", "dict"]), max_size=4),
)
def test_a_secret_under_a_secret_key_never_survives(
    secret: str, key: str, layers: list[str]
) -> None:
    marked = f"zq9{secret}"
    assert marked not in repr(redact(_nest({key: marked}, layers)))
    assert marked not in repr(redact(_nest([f"--{key}", marked, f"--{key}={marked}"], layers)))
