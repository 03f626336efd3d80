"""The safety proof as deterministic documents: JSON with a content hash, and Markdown."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from peakwatch.domain.safety import SafetyReport


def _canonical(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def report_body(report: SafetyReport) -> dict[str, Any]:
    """The report as a dict, with `content_sha256` over the compact key-sorted JSON of the rest."""
    body = report.as_dict()
    return {**body, "content_sha256": hashlib.sha256(_canonical(body)).hexdigest()}


def report_to_json_bytes(report: SafetyReport) -> bytes:
    """Deterministic JSON: sorted keys, 2-space indent, trailing newline."""
    return (
        orjson.dumps(report_body(report), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
    )


def report_to_markdown(report: SafetyReport) -> str:
    """A deterministic Markdown rendering of the same report, hash included."""
    body = report_body(report)
    safety = body["safety"]
    gating = body["gating"]
    allowed = {True: "yes", False: "no", None: "unknown"}[safety["allowed"]]
    lines = [
        "# Live audit snapshot",
        "",
        f"**Verdict: {safety['verdict']}** (live execution allowed: {allowed})",
        "",
        *_table(
            ("Field", "Value"),
            [
                ("schema_version", body["schema_version"]),
                ("as_of", body["as_of"]),
                ("environment_id", body["environment_id"]),
                ("content_sha256", body["content_sha256"]),
            ],
        ),
        "",
        "## Reasons",
        "",
        *[f"- `{_cell(r['code'])}`: {_cell(r['text'])}" for r in safety["reasons"]],
        "",
        "## Config",
        "",
        *_table(("File", "Status", "SHA-256", "Problem"), [_file_row(body["config"])]),
        "",
        "## Gating",
        "",
        *_table(
            ("Setting", "Value"),
            [
                ("mode", gating["mode"]),
                ("effective_mode", gating["effective_mode"]),
                *[(f"gates.{key}", value) for key, value in sorted(gating["gates"].items())],
                ("confirm_token_required", gating["confirm_token_required"]),
                ("confirm_token_present", gating["confirm_token_present"]),
                ("bounded_pilot_mode", body["bounded_pilot_mode"]),
                ("defaults_applied", ", ".join(gating["defaults_applied"]) or None),
            ],
        ),
        "",
        "## Risk caps",
        "",
        *_table(("Cap", "Value"), _flatten("", body["risk_caps"])),
        "",
        "## Bounded live",
        "",
        *_table(("File", "Status", "SHA-256", "Problem"), [_file_row(body["bounded_live"])]),
        "",
        "## Data roots",
        "",
        f"peakwatch only does this to them: {', '.join(body['data_access']['operations'])}.",
        "",
        *_table(("Root", "Location", "Remote"), _root_rows(body["data_access"]["roots"])),
        "",
        *_table(
            ("Setting", "Value"),
            [
                ("enabled", body["bounded_live"]["enabled"]),
                ("phase", body["bounded_live"]["phase"]),
                *_flatten("limits.", body["bounded_live"]["limits"]),
            ],
        ),
    ]
    return "\n".join(lines) + "\n"


def _file_row(view: dict[str, Any]) -> tuple[Any, ...]:
    return (view["file"], view["status"], view["sha256"], view["problem"])


def _flatten(prefix: str, table: dict[str, Any]) -> list[tuple[str, Any]]:
    """Nested tables as dotted names, sorted."""
    rows: list[tuple[str, Any]] = []
    for key in sorted(table):
        value = table[key]
        if isinstance(value, dict) and value:
            rows.extend(_flatten(f"{prefix}{key}.", value))
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_cell(value) for value in row) + " |" for row in rows)
    return lines


def _cell(value: Any) -> str:
    """One value as inert Markdown text: JSON spelling for non-strings, table syntax escaped."""
    if value is None:
        return "n/a"
    text = (
        value
        if isinstance(value, str)
        else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    )
    text = " ".join(text.split())
    for raw, escaped in (("\\", "\\\\"), ("|", "\\|"), ("`", "\\`"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(raw, escaped)
    return text


def _root_rows(roots: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["name"], r["location"], "yes" if r["remote"] else "no") for r in roots]
