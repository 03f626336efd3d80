"""Is live trading locked? The verdict, its reasons and the deterministic audit report.

Pure: takes what `sources.safety_config` read and an explicit `as_of`, never the clock.
Gate values are judged in three-valued logic: a gate that is not a boolean is
"unknown", and the verdict is LIVE LOCKED only when some condition is certainly false.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from peakwatch.contract.values import format_utc
from peakwatch.secrets import redact
from peakwatch.settings import RootSpec
from peakwatch.sources.safety_config import BOUNDED_LIVE_NAME, SafetyConfigRead

SCHEMA_VERSION = "peakwatch.live_audit/1"
# Peak_Trade's documented confirm phrase; compared after stripping surrounding whitespace.
EXPECTED_CONFIRM_TOKEN = "I_KNOW_WHAT_I_AM_DOING"
MODES = ("paper", "testnet", "live")
GATE_KEYS = ("enable_live_trading", "live_mode_armed", "live_dry_run_mode")
ENVIRONMENT_CAPS = ("max_live_notional_per_order", "max_live_notional_total", "live_trade_min_size")
DEFAULTS: dict[str, Any] = {
    "mode": "paper",
    "enable_live_trading": False,
    "live_mode_armed": False,
    "live_dry_run_mode": True,
    "require_confirm_token": True,
    "bounded_pilot_mode": False,
}

Verdict = Literal["LIVE LOCKED", "LIVE UNLOCKED", "UNKNOWN"]
EffectiveMode = Literal["paper", "dry_run", "live_dry_run", "live", "blocked", "unknown"]


@dataclass(frozen=True)
class Reason:
    """One machine code and the sentence an operator reads."""

    code: str
    text: str

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready view."""
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True)
class SafetyReport:
    """The audit: what the config says, what that means for live trading, and why."""

    as_of: str
    environment_id: str | None
    config: dict[str, Any]
    gating: dict[str, Any]
    bounded_pilot_mode: bool | None
    risk_caps: dict[str, Any]
    bounded_live: dict[str, Any]
    allowed: bool | None
    verdict: Verdict
    reasons: tuple[Reason, ...]
    schema_version: str = SCHEMA_VERSION
    data_roots: tuple[dict[str, Any], ...] = ()  # name, location, remote (see data_access)

    @property
    def locked(self) -> bool | None:
        """True when live execution is certainly not allowed; None when unknown."""
        return None if self.allowed is None else not self.allowed

    def as_dict(self) -> dict[str, Any]:
        """The report body without its content hash."""
        return {
            "schema_version": self.schema_version,
            "as_of": self.as_of,
            "environment_id": self.environment_id,
            "config": self.config,
            "gating": self.gating,
            "bounded_pilot_mode": self.bounded_pilot_mode,
            "risk_caps": self.risk_caps,
            "bounded_live": self.bounded_live,
            "safety": {
                "allowed": self.allowed,
                "locked": self.locked,
                "verdict": self.verdict,
                "reasons": [reason.as_dict() for reason in self.reasons],
            },
            "data_access": {
                "operations": list(DATA_OPERATIONS),
                "roots": [dict(root) for root in self.data_roots],
            },
        }


DATA_OPERATIONS = ("list", "read")  # all peakwatch does to a data root, local or remote


def with_data_roots(report: SafetyReport, specs: Iterable[RootSpec]) -> SafetyReport:
    """The report naming the data roots peakwatch watches (it only lists and reads them)."""
    roots = tuple(
        {"name": spec.name, "location": spec.location, "remote": spec.remote} for spec in specs
    )
    return replace(report, data_roots=roots)


@dataclass(frozen=True)
class _Flag:
    value: bool | None
    defaulted: bool


def evaluate_safety(
    read: SafetyConfigRead, *, as_of: datetime, environment_id: str | None
) -> SafetyReport:
    """Judge whether the config lets live orders through (naive `as_of` counts as UTC)."""
    moment = as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)
    config = {
        "file": read.label,
        "sha256": read.sha256,
        "status": read.status,
        "problem": read.problem,
    }
    common: dict[str, Any] = {
        "as_of": format_utc(moment),
        "environment_id": environment_id,
        "config": config,
        "bounded_live": _bounded_live_view(read),
    }
    if read.status != "ok":
        reason = Reason(
            f"config_{read.status}",
            f"The config could not be checked ({read.problem}), so live may or may not be locked.",
        )
        return SafetyReport(
            gating=_unknown_gating(),
            bounded_pilot_mode=None,
            risk_caps={"environment": dict.fromkeys(ENVIRONMENT_CAPS), "live_risk": {}},
            allowed=None,
            verdict="UNKNOWN",
            reasons=(reason,),
            **common,
        )
    env = read.environment
    mode, mode_defaulted = _mode(env)
    flags = {key: _flag(env, key) for key in (*GATE_KEYS, "require_confirm_token")}
    pilot = _flag(env, "bounded_pilot_mode")
    conditions = _conditions(env, mode, flags)
    allowed = _all(value for value, _ in conditions)
    effective = _effective_mode(mode, flags["live_dry_run_mode"].value, pilot.value)
    reasons = [reason for value, reason in conditions if value is not True and reason]
    if allowed:
        reasons = _unlocked_reasons(flags["require_confirm_token"].value, effective)
    defaulted = [
        key for key, flag in {**flags, "bounded_pilot_mode": pilot}.items() if flag.defaulted
    ]
    gating = {
        "mode": mode,
        "effective_mode": effective,
        "gates": {key: flags[key].value for key in GATE_KEYS},
        "confirm_token_present": _token_present(env.get("confirm_token")),
        "confirm_token_required": flags["require_confirm_token"].value,
        "defaults_applied": sorted(defaulted + (["mode"] if mode_defaulted else [])),
    }
    return SafetyReport(
        gating=gating,
        bounded_pilot_mode=pilot.value,
        risk_caps={
            "environment": {key: _plain(redact(env.get(key))) for key in ENVIRONMENT_CAPS},
            "live_risk": _plain(redact(read.live_risk)),
        },
        allowed=allowed,
        verdict="UNKNOWN" if allowed is None else "LIVE UNLOCKED" if allowed else "LIVE LOCKED",
        reasons=tuple(_dedupe(reasons)),
        **common,
    )


def _flag(env: dict[str, Any], key: str) -> _Flag:
    """A boolean setting: its value, the default when absent, None when not a boolean."""
    if key not in env:
        return _Flag(DEFAULTS[key], True)
    value = env[key]
    return _Flag(value if isinstance(value, bool) else None, False)


def _mode(env: dict[str, Any]) -> tuple[str | None, bool]:
    """The normalised mode (None when not one of MODES) and whether the default was used."""
    if "mode" not in env:
        return DEFAULTS["mode"], True
    raw = env["mode"]
    normalised = raw.strip().lower() if isinstance(raw, str) else None
    return (normalised if normalised in MODES else None), False


def _token_present(token: Any) -> bool:
    return token is not None and not (isinstance(token, str) and not token.strip())


def _token_matches(token: Any) -> bool:
    return isinstance(token, str) and token.strip() == EXPECTED_CONFIRM_TOKEN


def _gate_reason(code: str, key: str, flag: _Flag, closed_when: bool, label: str) -> Reason:
    """The reason a gate keeps live closed, or why it cannot be judged."""
    if flag.value is None:
        return Reason(
            f"{code}_invalid", f"{key} is not a boolean, so {label} cannot be proven closed."
        )
    note = f" (not set, defaults to {str(closed_when).lower()})" if flag.defaulted else ""
    word = str(closed_when).lower()
    return Reason(f"{code}_{word}", f"{label} is closed: {key} is {word}{note}.")


def _conditions(
    env: dict[str, Any], mode: str | None, flags: dict[str, _Flag]
) -> list[tuple[bool | None, Reason | None]]:
    """Each condition for live execution, in gate order, with the reason it fails."""
    if mode is None:
        mode_reason = Reason("mode_invalid", "Mode is not one of paper, testnet, live.")
    else:
        mode_reason = Reason("mode_not_live", f"Mode is {mode}, not live.")
    gate1, gate2, dry = (flags[key] for key in GATE_KEYS)
    return [
        (mode == "live", mode_reason),
        (
            gate1.value,
            _gate_reason("gate1_enable_live_trading", GATE_KEYS[0], gate1, False, "Gate 1"),
        ),
        (gate2.value, _gate_reason("gate2_live_mode_armed", GATE_KEYS[1], gate2, False, "Gate 2")),
        (
            None if dry.value is None else not dry.value,
            _gate_reason("live_dry_run_mode", GATE_KEYS[2], dry, True, "The dry-run gate"),
        ),
        _token_condition(env.get("confirm_token"), flags["require_confirm_token"].value),
    ]


def _token_condition(token: Any, required: bool | None) -> tuple[bool | None, Reason | None]:
    """(not required) or (token is the expected phrase), with the failing reason."""
    if _token_matches(token) or required is False:
        return True, None
    if required is None:
        return None, Reason(
            "require_confirm_token_invalid",
            "require_confirm_token is not a boolean, so the confirm-token gate cannot be judged.",
        )
    if _token_present(token):
        return False, Reason(
            "confirm_token_mismatch",
            "A confirm token is required and the one set is not the expected phrase.",
        )
    return False, Reason("confirm_token_missing", "A confirm token is required and none is set.")


def _unlocked_reasons(required: bool | None, effective: str | None) -> list[Reason]:
    reasons = [
        Reason(
            "all_live_gates_open",
            "Mode is live, Gate 1 and Gate 2 are open, dry run is off and the confirm-token "
            "gate passes: live orders can be sent.",
        )
    ]
    if required is False:
        reasons.append(Reason("confirm_token_not_required", "require_confirm_token is false."))
    if effective == "blocked":
        reasons.append(
            Reason(
                "effective_mode_blocked_but_gates_open",
                "The effective-mode rule says blocked (live without bounded pilot), but every "
                "gate is open; the verdict follows the gates.",
            )
        )
    return reasons


def _effective_mode(mode: str | None, dry_run: bool | None, pilot: bool | None) -> EffectiveMode:
    """Peak_Trade's effective-mode rule, applied literally; "unknown" when an input is invalid."""
    if mode == "paper":
        return "paper"
    if mode == "testnet":
        return "dry_run"
    if mode is None or dry_run is None:
        return "unknown"
    if dry_run:
        return "live_dry_run"
    if pilot is None:
        return "unknown"
    return "live" if pilot else "blocked"


def _all(values: Any) -> bool | None:
    """Three-valued AND: False if any is False, else None if any is None, else True."""
    seen = list(values)
    if any(value is False for value in seen):
        return False
    return None if any(value is None for value in seen) else True


def _dedupe(reasons: list[Reason]) -> list[Reason]:
    seen: set[str] = set()
    unique = []
    for reason in reasons:
        if reason.code not in seen:
            seen.add(reason.code)
            unique.append(reason)
    return unique


def _unknown_gating() -> dict[str, Any]:
    return {
        "mode": None,
        "effective_mode": None,
        "gates": dict.fromkeys(GATE_KEYS),
        "confirm_token_present": None,
        "confirm_token_required": None,
        "defaults_applied": [],
    }


def _bounded_live_view(read: SafetyConfigRead) -> dict[str, Any]:
    """The bounded-live pilot settings (limits redacted), or their read status."""
    section = read.bounded_live or {}
    limits = section.get("limits", {})
    return {
        "file": BOUNDED_LIVE_NAME,
        "status": read.bounded_live_status,
        "sha256": read.bounded_live_sha256,
        "problem": read.bounded_live_problem,
        "enabled": _plain(redact(section.get("enabled"))),
        "phase": _plain(redact(section.get("phase"))),
        "limits": _plain(redact(limits)) if isinstance(limits, dict) else {},
    }


def _plain(value: Any) -> Any:
    """A JSON-safe copy: non-finite floats and out-of-range ints as text, times as ISO text."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)
