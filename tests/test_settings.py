"""Settings precedence: flag, environment, peakwatch.toml, default; roots made absolute."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from peakwatch.settings import SettingsError, load_settings


def test_precedence_flag_env_file_default(tmp_path: Path) -> None:
    (tmp_path / "peakwatch.toml").write_text(
        '[peakwatch]\nruns_dir = "from_file"\nsessions_dir = "sessions_file"\nport = 9001\n'
    )
    env = {"PEAKWATCH_RUNS_DIR": "from_env", "PEAKWATCH_SESSIONS_DIR": "sessions_env"}
    settings = load_settings({"runs_dir": "from_flag"}, environ=env, cwd=tmp_path)
    assert settings.runs_dir == tmp_path / "from_flag"
    assert settings.alerts_dir == tmp_path / "from_flag" / "alerts"
    assert settings.sessions_dir == tmp_path / "sessions_env"
    assert settings.port == 9001
    assert settings.ai_events_path == tmp_path / "logs" / "ai" / "ai_events.jsonl"
    assert all(path.is_absolute() for path in settings.roots().values())


def test_config_path_env_is_peak_trade_name(tmp_path: Path) -> None:
    settings = load_settings(environ={"PEAK_TRADE_CONFIG_PATH": "/etc/pt.toml"}, cwd=tmp_path)
    assert settings.config_path == Path("/etc/pt.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [("port = ", "not valid TOML"), ("[peakwatch]\nbogus = 1\n", "unknown setting(s) bogus")],
)
def test_bad_settings_file_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "peakwatch.toml").write_text(text)
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(environ={}, cwd=tmp_path)


def test_launcher_flag_defaults_do_not_hide_the_settings_file(tmp_path: Path) -> None:
    import argparse

    from peakwatch.flags import add_serve_flags, serve_overrides

    (tmp_path / "peakwatch.toml").write_text("port = 9100\nauto_refresh_seconds = 0\n")
    parser = argparse.ArgumentParser()
    add_serve_flags(parser)
    settings = load_settings(serve_overrides(parser.parse_args([])), environ={}, cwd=tmp_path)
    assert (settings.port, settings.auto_refresh_seconds, settings.host) == (9100, 0, "127.0.0.1")
    flagged = load_settings(
        serve_overrides(parser.parse_args(["--port", "9200"])), environ={}, cwd=tmp_path
    )
    assert flagged.port == 9200


def test_alerts_store_follows_the_runs_root_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(environ={"PEAKWATCH_RUNS_DIR": "elsewhere"}, cwd=tmp_path)
    assert settings.alerts_dir == tmp_path / "elsewhere" / "alerts"
