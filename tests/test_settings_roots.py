"""Named roots: `--root NAME=LOCATION` and `[[roots]]`, checked at start; none given is
today's folders as one root `local`, and the server refuses what it cannot watch yet."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from peakwatch.flags import add_serve_flags, serve_overrides
from peakwatch.settings import (
    DEFAULT_ROOTS,
    SettingsError,
    load_settings,
)


def serve_args(*argv: str) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    add_serve_flags(parser)
    return serve_overrides(parser.parse_args(list(argv)))


def test_no_root_given_is_one_root_local_of_todays_folders(tmp_path: Path) -> None:
    settings = load_settings(serve_args("--runs-dir", "runs"), environ={}, cwd=tmp_path)
    (root,) = settings.fleet()
    assert root.name == "local" and not root.remote
    assert root.part("runs") == str(tmp_path / "runs")
    assert root.part("alerts") == str(tmp_path / "runs" / "alerts")
    assert root.part("sessions") == str(tmp_path / DEFAULT_ROOTS["sessions_dir"])
    assert root.poll_interval(0.25) == 0.25
    assert settings.runs_dir == tmp_path / "runs" and settings.root_specs == ()
    moved = settings.with_overrides(runs_dir=tmp_path / "elsewhere")
    assert moved.fleet()[0].part("runs") == str(tmp_path / "elsewhere")


def test_root_flags_give_named_roots_with_the_usual_layout(tmp_path: Path) -> None:
    settings = load_settings(
        serve_args("--root", "lab=data/lab", "--root", "host-b=s3://fleet/host-b/"),
        environ={},
        cwd=tmp_path,
    )
    lab, remote = settings.fleet()
    assert (lab.name, lab.location, lab.remote) == ("lab", str(tmp_path / "data/lab"), False)
    assert (remote.name, remote.location, remote.remote) == ("host-b", "s3://fleet/host-b", True)
    assert remote.part("runs") == "s3://fleet/host-b/live_runs"
    assert remote.part("alerts") == "s3://fleet/host-b/live_runs/alerts"
    assert remote.part("ai_events") == "s3://fleet/host-b/logs/ai/ai_events.jsonl"
    assert remote.poll_interval(0.25) == 5.0


def test_roots_in_the_settings_file_with_their_own_parts(tmp_path: Path) -> None:
    (tmp_path / "peakwatch.toml").write_text(
        "[peakwatch]\nport = 9001\n\n"
        '[[roots]]\nname = "a"\nlocation = "s3://fleet/a"\nruns = "runs"\npoll_seconds = 2\n\n'
        '[[roots]]\nname = "b"\nlocation = "file:///srv/b"\nanonymous = false\n'
        'ai_events = "/var/log/ai.jsonl"\n'
    )
    settings = load_settings(environ={}, cwd=tmp_path)
    a, b = settings.fleet()
    assert settings.port == 9001
    assert a.part("runs") == "s3://fleet/a/runs" and a.part("alerts") == "s3://fleet/a/runs/alerts"
    assert a.poll_interval(0.25) == 2.0
    assert (b.location, b.part("ai_events")) == ("/srv/b", "/var/log/ai.jsonl")
    flagged = load_settings(serve_args("--root", "only=here"), environ={}, cwd=tmp_path)
    assert [root.name for root in flagged.fleet()] == ["only"]  # flags win over the file


def test_one_local_root_is_what_the_server_watches(tmp_path: Path) -> None:
    settings = load_settings(serve_args("--root", "lab=lab"), environ={}, cwd=tmp_path)
    assert settings.runs_dir == tmp_path / "lab" / "live_runs"
    assert settings.alerts_dir == tmp_path / "lab" / "live_runs" / "alerts"
    assert settings.exec_events_dir == tmp_path / "lab" / DEFAULT_ROOTS["exec_events_dir"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--root", "lab"], "--root takes NAME=LOCATION"),
        (["--root", "=here"], "a root name is 1-32 letters"),
        (["--root", "a b=here"], "a root name is 1-32 letters"),
        (["--root=-x=here"], "a root name is 1-32 letters"),
        (["--root", "a=x", "--root", "A=y"], "root name 'A' is given twice"),
        (["--root", "a="], "root a: location is missing"),
        (["--root", "a=s3://AKIAKEY:secret@fleet/a"], "holds no credentials"),
        (["--root", "a=s3://fleet/a?X-Amz-Signature=abc"], "holds no credentials and no query"),
        (["--root", "a=s3:///prefix"], "s3:// needs a bucket"),
    ],
)
def test_bad_roots_are_clear_errors_at_start(tmp_path: Path, argv: list[str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)) as caught:
        load_settings(serve_args(*argv), environ={}, cwd=tmp_path)
    assert "secret" not in str(caught.value) and "X-Amz" not in str(caught.value)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('name = "a"\nlocation = "s3://f/a"\nruns = "../up"\n', "runs must be a path inside"),
        ('name = "a"\nlocation = "s3://f/a"\nruns = "/abs"\n', "runs must be a path inside"),
        ('name = "a"\nlocation = "s3://f/a"\nbucket = "x"\n', "unknown key(s) bucket"),
        ('name = "a"\nlocation = "s3://f/a"\npoll_seconds = 0\n', "poll_seconds must be"),
        ('name = "a"\nlocation = "s3://f/a"\nanonymous = "yes"\n', "anonymous must be"),
        ('location = "s3://f/a"\n', "a root name is"),
    ],
)
def test_bad_root_tables_are_clear_errors(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "peakwatch.toml").write_text(f"[[roots]]\n{table}")
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(environ={}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("roots", "message"),
    [
        ('[[roots]]\nname = "a"\nlocation = "s3://f/a"\n', "an export reads local roots only"),
        (
            '[[roots]]\nname = "a"\nlocation = "a"\n\n[[roots]]\nname = "b"\nlocation = "b"\n',
            "an export covers one root (given: a, b)",
        ),
    ],
)
def test_export_refuses_roots_it_cannot_cover(
    tmp_path: Path,
    roots: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from peakwatch.export import main

    (tmp_path / "peakwatch.toml").write_text(roots)
    monkeypatch.chdir(tmp_path)
    assert main(["--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_roots_reach_the_server_processes_unchanged(tmp_path: Path) -> None:
    from peakwatch.server import _settings_overrides

    settings = load_settings(serve_args("--root", "lab=lab"), environ={}, cwd=tmp_path)
    handed = json.loads(json.dumps(_settings_overrides(settings)))
    assert load_settings(handed, environ={}, cwd=tmp_path / "elsewhere") == settings
    plain = load_settings(environ={}, cwd=tmp_path)
    assert load_settings(json.loads(json.dumps(_settings_overrides(plain))), environ={}) == plain
