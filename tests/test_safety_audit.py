"""The live audit: verdicts and reasons per config, deterministic bytes, no token, the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from peakwatch.audit import main
from peakwatch.domain.safety import (
    EXPECTED_CONFIRM_TOKEN,
    SafetyReport,
    evaluate_safety,
    with_data_roots,
)
from peakwatch.domain.safety_report import report_to_json_bytes, report_to_markdown
from peakwatch.settings import load_settings, parse_roots
from peakwatch.sources.safety_config import read_safety_config, resolve_config_path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "config" / "config.toml"
AS_OF = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
LEAKY_TOKEN = "hunter2-never-export-me"

LIVE_GATES_OPEN = """
[environment]
mode = "live"
enable_live_trading = true
live_mode_armed = true
live_dry_run_mode = {dry_run}
require_confirm_token = {require}
confirm_token = "{token}"
bounded_pilot_mode = {pilot}
max_live_notional_per_order = 25.0

[live_risk]
enabled = true
max_order_notional = 25.0
alert_webhook_token = "webhook-secret-value"
"""

BOUNDED_LIVE = """
[bounded_live]
enabled = true
phase = "pilot_1"

[bounded_live.limits]
max_order_notional = 25.0
min_order_notional = 5.0
max_total_notional = 100.0
max_open_positions = 1
max_daily_loss_abs = 10.0
max_daily_loss_pct = 0.01
"""


def live_config(
    *,
    dry_run: bool = False,
    require: bool = True,
    token: str = EXPECTED_CONFIRM_TOKEN,
    pilot: bool = False,
) -> str:
    return LIVE_GATES_OPEN.format(
        dry_run=str(dry_run).lower(),
        require=str(require).lower(),
        token=token,
        pilot=str(pilot).lower(),
    )


def write_config(folder: Path, text: str, bounded_live: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    if bounded_live is not None:
        (folder / "bounded_live.toml").write_text(bounded_live, encoding="utf-8")
    return path


def audit(path: Path, environment_id: str | None = "test-env") -> SafetyReport:
    return evaluate_safety(read_safety_config(path), as_of=AS_OF, environment_id=environment_id)


def codes(report: SafetyReport) -> list[str]:
    return [reason.code for reason in report.reasons]


def test_the_repository_sample_config_is_locked_and_holds_no_token() -> None:
    report = audit(SAMPLE)
    assert "confirm_token" not in tomllib.loads(SAMPLE.read_text(encoding="utf-8"))["environment"]
    assert (report.verdict, report.allowed, report.locked) == ("LIVE LOCKED", False, True)
    assert codes(report) == [
        "mode_not_live",
        "gate1_enable_live_trading_false",
        "gate2_live_mode_armed_false",
        "live_dry_run_mode_true",
        "confirm_token_missing",
    ]
    assert report.gating == {
        "mode": "paper",
        "effective_mode": "paper",
        "gates": {
            "enable_live_trading": False,
            "live_mode_armed": False,
            "live_dry_run_mode": True,
        },
        "confirm_token_present": False,
        "confirm_token_required": True,
        "defaults_applied": [],
    }
    assert report.config == {
        "file": "config.toml",
        "sha256": hashlib.sha256(SAMPLE.read_bytes()).hexdigest(),
        "status": "ok",
        "problem": None,
    }


def test_live_armed_but_dry_run_is_locked_by_the_technical_gate(tmp_path: Path) -> None:
    report = audit(write_config(tmp_path, live_config(dry_run=True)))
    assert (report.verdict, report.locked) == ("LIVE LOCKED", True)
    assert codes(report) == ["live_dry_run_mode_true"]
    assert report.gating["effective_mode"] == "live_dry_run"
    assert report.gating["confirm_token_present"] is True


def test_bounded_pilot_with_every_gate_open_is_unlocked(tmp_path: Path) -> None:
    report = audit(write_config(tmp_path, live_config(pilot=True), BOUNDED_LIVE))
    assert (report.verdict, report.allowed, report.locked) == ("LIVE UNLOCKED", True, False)
    assert codes(report) == ["all_live_gates_open"]
    assert report.gating["effective_mode"] == "live"
    assert report.bounded_pilot_mode is True
    assert report.bounded_live["enabled"] is True
    assert report.bounded_live["phase"] == "pilot_1"
    assert report.bounded_live["status"] == "ok"
    assert report.bounded_live["limits"]["max_total_notional"] == 100.0
    assert report.bounded_live["sha256"] == hashlib.sha256(BOUNDED_LIVE.encode()).hexdigest()


def test_fully_unlocked_without_pilot_follows_the_sheet_and_says_so(tmp_path: Path) -> None:
    report = audit(write_config(tmp_path, live_config(require=False, token="")))
    assert report.verdict == "LIVE UNLOCKED"
    assert report.gating["effective_mode"] == "blocked"
    assert codes(report) == [
        "all_live_gates_open",
        "confirm_token_not_required",
        "effective_mode_blocked_but_gates_open",
    ]


def test_a_wrong_confirm_token_keeps_live_locked(tmp_path: Path) -> None:
    report = audit(write_config(tmp_path, live_config(token=LEAKY_TOKEN)))
    assert report.verdict == "LIVE LOCKED"
    assert codes(report) == ["confirm_token_mismatch"]


def test_a_missing_config_gives_an_unknown_verdict_never_locked(tmp_path: Path) -> None:
    report = audit(tmp_path / "nowhere" / "config.toml")
    assert (report.verdict, report.allowed, report.locked) == ("UNKNOWN", None, None)
    assert codes(report) == ["config_missing"]
    assert report.config == {
        "file": "config.toml",
        "sha256": None,
        "status": "missing",
        "problem": "The file does not exist.",
    }
    assert report.gating["effective_mode"] is None


def test_a_malformed_config_gives_an_unknown_verdict_without_exception_text(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, '[environment\nmode = "paper"\n')
    report = audit(path)
    assert (report.verdict, report.locked) == ("UNKNOWN", None)
    assert codes(report) == ["config_malformed"]
    assert report.config["problem"] == "The file is not valid TOML."
    assert report.config["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert str(tmp_path) not in report_to_json_bytes(report).decode()


def test_an_environment_that_is_not_a_table_is_malformed(tmp_path: Path) -> None:
    report = audit(write_config(tmp_path, 'environment = "live"\n'))
    assert (report.verdict, report.config["status"]) == ("UNKNOWN", "malformed")


def test_a_gate_that_is_not_a_boolean_cannot_prove_a_lock(tmp_path: Path) -> None:
    text = live_config().replace("enable_live_trading = true", 'enable_live_trading = "false"')
    report = audit(write_config(tmp_path, text))
    assert (report.verdict, report.locked) == ("UNKNOWN", None)
    assert codes(report) == ["gate1_enable_live_trading_invalid"]
    assert report.gating["gates"]["enable_live_trading"] is None


def test_a_non_boolean_gate_in_paper_mode_is_still_locked(tmp_path: Path) -> None:
    report = audit(write_config(tmp_path, '[environment]\nmode = "paper"\nlive_mode_armed = 1\n'))
    assert report.verdict == "LIVE LOCKED"
    assert codes(report) == [
        "mode_not_live",
        "gate1_enable_live_trading_false",
        "gate2_live_mode_armed_invalid",
        "live_dry_run_mode_true",
        "confirm_token_missing",
    ]


def test_an_empty_config_uses_the_locked_defaults_and_says_so(tmp_path: Path) -> None:
    report = audit(write_config(tmp_path, ""))
    assert report.verdict == "LIVE LOCKED"
    assert report.gating["defaults_applied"] == [
        "bounded_pilot_mode",
        "enable_live_trading",
        "live_dry_run_mode",
        "live_mode_armed",
        "mode",
        "require_confirm_token",
    ]
    assert report.reasons[1].text == (
        "Gate 1 is closed: enable_live_trading is false (not set, defaults to false)."
    )


def test_secret_values_never_reach_json_or_markdown(tmp_path: Path) -> None:
    for token in (EXPECTED_CONFIRM_TOKEN, LEAKY_TOKEN):
        report = audit(write_config(tmp_path / token, live_config(token=token, pilot=True)))
        outputs = report_to_json_bytes(report).decode() + report_to_markdown(report)
        assert token not in outputs
        assert "webhook-secret-value" not in outputs
        assert json.loads(report_to_json_bytes(report))["risk_caps"]["live_risk"] == {
            "alert_webhook_token": "[redacted]",
            "enabled": True,
            "max_order_notional": 25.0,
        }


def test_same_config_and_as_of_give_identical_bytes_wherever_the_file_lies(
    tmp_path: Path,
) -> None:
    first = write_config(tmp_path / "a", live_config(pilot=True), BOUNDED_LIVE)
    second = tmp_path / "elsewhere" / "deeper"
    shutil.copytree(first.parent, second)
    one, two = audit(first), audit(second / "config.toml")
    assert report_to_json_bytes(one) == report_to_json_bytes(two)
    assert report_to_markdown(one) == report_to_markdown(two)
    assert report_to_json_bytes(one) == report_to_json_bytes(audit(first))
    later = evaluate_safety(
        read_safety_config(first),
        as_of=datetime(2025, 3, 1, 12, 0, 1, tzinfo=UTC),
        environment_id="test-env",
    )
    assert report_to_json_bytes(later) != report_to_json_bytes(one)


def test_json_is_sorted_indented_and_carries_its_content_hash() -> None:
    data = report_to_json_bytes(audit(SAMPLE))
    assert data.endswith(b"}\n")
    body: dict[str, Any] = json.loads(data)
    claimed = body.pop("content_sha256")
    assert claimed == hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
    assert (
        data
        == orjson.dumps(
            {**body, "content_sha256": claimed}, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
        )
        + b"\n"
    )
    assert body["as_of"] == "2025-03-01T12:00:00Z"
    assert body["schema_version"] == "peakwatch.live_audit/1"
    assert f"| content_sha256 | {claimed} |" in report_to_markdown(audit(SAMPLE))


def test_a_naive_as_of_is_taken_as_utc() -> None:
    naive = evaluate_safety(
        read_safety_config(SAMPLE), as_of=AS_OF.replace(tzinfo=None), environment_id="test-env"
    )
    assert report_to_json_bytes(naive) == report_to_json_bytes(audit(SAMPLE))


def test_non_finite_caps_and_markdown_table_syntax_are_made_safe(tmp_path: Path) -> None:
    text = (
        '[environment]\nmode = "paper"\n[live_risk]\nmax_order_notional = inf\nnote = "a|b\\nc"\n'
    )
    report = audit(write_config(tmp_path, text))
    assert json.loads(report_to_json_bytes(report))["risk_caps"]["live_risk"] == {
        "max_order_notional": "inf",
        "note": "a|b\nc",
    }
    assert "| live_risk.note | a\\|b c |" in report_to_markdown(report)


def test_resolve_config_path_prefers_flag_then_environment_then_default(tmp_path: Path) -> None:
    env = {"PEAK_TRADE_CONFIG_PATH": "env/config.toml"}
    assert resolve_config_path("flag.toml", env, tmp_path) == tmp_path / "flag.toml"
    assert resolve_config_path(None, env, tmp_path) == tmp_path / "env" / "config.toml"
    assert resolve_config_path("  ", {}, tmp_path) == tmp_path / "config" / "config.toml"
    assert resolve_config_path("/abs/c.toml", env, tmp_path) == Path("/abs/c.toml")


def run_main(
    monkeypatch: pytest.MonkeyPatch, cwd: Path, *argv: str, environ: dict[str, str] | None = None
) -> int:
    monkeypatch.chdir(cwd)
    return main(list(argv), environ=environ or {})


def test_cli_exit_codes_follow_the_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unlocked = write_config(tmp_path / "unlocked", live_config(pilot=True))
    out = tmp_path / "out" / "a.json"
    assert run_main(monkeypatch, tmp_path, "--config", str(SAMPLE), "--output-json", str(out)) == 0
    assert json.loads(out.read_bytes())["safety"]["verdict"] == "LIVE LOCKED"
    assert (
        run_main(monkeypatch, tmp_path, "--config", str(unlocked), "--output-json", str(out)) == 2
    )
    assert json.loads(out.read_bytes())["safety"]["verdict"] == "LIVE UNLOCKED"
    assert run_main(monkeypatch, tmp_path, "--output-json", str(out)) == 3
    assert json.loads(out.read_bytes())["safety"]["verdict"] == "UNKNOWN"
    environ = {"PEAK_TRADE_CONFIG_PATH": str(unlocked)}
    assert run_main(monkeypatch, tmp_path, "--stdout", environ=environ) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["config"]["status"] == "ok"
    assert captured.err.splitlines()[-1].startswith("LIVE UNLOCKED: mode=live effective_mode=live")


def test_cli_usage_errors_exit_64_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path / "config", "")
    assert run_main(monkeypatch, tmp_path, "--no-such-flag") == 64
    assert run_main(monkeypatch, tmp_path, "--as-of", "yesterday") == 64
    assert run_main(monkeypatch, tmp_path, "--output-json", "live_runs/x.json") == 64
    assert (
        run_main(monkeypatch, tmp_path, "--config", str(config), "--output-json", str(config)) == 64
    )
    assert (
        run_main(monkeypatch, tmp_path, "--output-json", "a.md", "--output-markdown", "a.md") == 64
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]
    assert config.read_text(encoding="utf-8") == ""


def test_cli_cannot_write_exits_73(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "taken").mkdir()
    assert run_main(monkeypatch, tmp_path, "--config", str(SAMPLE), "--output-json", "taken") == 73


def test_help_epilog_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for line in (
        "0   report written; live trading is LOCKED",
        "2   report written; live trading is UNLOCKED",
        "64  usage error",
    ):
        assert line in text


def runbook_root(tmp_path: Path, config_text: str | None = None) -> Path:
    """A folder laid out like the repository root: `scripts/` and `config/config.toml`."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "scripts").symlink_to(REPO / "scripts", target_is_directory=True)
    (root / "config").mkdir()
    if config_text is None:
        shutil.copy(SAMPLE, root / "config" / "config.toml")
    else:
        (root / "config" / "config.toml").write_text(config_text, encoding="utf-8")
    return root


RUNBOOK_COMMAND = [
    "scripts/export_live_audit_snapshot.py",
    "--output-json",
    "out/operator_dashboard/live_audit_snapshot.json",
    "--output-markdown",
    "out/operator_dashboard/live_audit_snapshot.md",
]


def run_runbook(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PEAK_TRADE_CONFIG_PATH"}
    return subprocess.run(
        [sys.executable, *RUNBOOK_COMMAND, *extra],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_runbook_command_writes_both_files_from_the_repo_root(tmp_path: Path) -> None:
    root = runbook_root(tmp_path)
    result = run_runbook(root, "--as-of", "2025-03-01T12:00:00Z", "--environment-id", "test-env")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("LIVE LOCKED: mode=paper effective_mode=paper")
    folder = root / "out" / "operator_dashboard"
    expected = with_data_roots(audit(SAMPLE), load_settings(environ={}, cwd=root).fleet())
    assert (folder / "live_audit_snapshot.json").read_bytes() == report_to_json_bytes(expected)
    markdown = (folder / "live_audit_snapshot.md").read_text(encoding="utf-8")
    assert markdown == report_to_markdown(expected)
    access = json.loads((folder / "live_audit_snapshot.json").read_bytes())["data_access"]
    assert access == {
        "operations": ["list", "read"],
        "roots": [{"name": "local", "location": str(root), "remote": False}],
    }
    assert f"| local | {root} | no |" in markdown


def test_the_audit_lists_every_root_and_says_which_are_remote(tmp_path: Path) -> None:
    specs = parse_roots(["lab=lab", "host-b=s3://fleet/host-b"], tmp_path)
    body = json.loads(report_to_json_bytes(with_data_roots(audit(SAMPLE), specs)))
    assert body["data_access"]["roots"] == [
        {"name": "lab", "location": str(tmp_path / "lab"), "remote": False},
        {"name": "host-b", "location": "s3://fleet/host-b", "remote": True},
    ]
    assert body["safety"] == json.loads(report_to_json_bytes(audit(SAMPLE)))["safety"]


def test_the_runbook_command_exits_2_when_live_is_unlocked(tmp_path: Path) -> None:
    root = runbook_root(tmp_path, live_config(pilot=True))
    result = run_runbook(root)
    assert result.returncode == 2, result.stderr
    written = json.loads((root / "out/operator_dashboard/live_audit_snapshot.json").read_bytes())
    assert written["safety"]["verdict"] == "LIVE UNLOCKED"
    assert EXPECTED_CONFIRM_TOKEN not in result.stderr
