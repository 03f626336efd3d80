"""Alert occurrences from the daily store, per-run alerts.jsonl, and alerts derived from
state, each named by its rule and its subject (what it is about)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from peakwatch.contract.models import RunAlert, StoreAlert
from peakwatch.contract.values import format_utc
from peakwatch.secrets import redact, redact_text

SEVERITIES = ("critical", "warning", "info")
_UNTIMED = datetime.min.replace(tzinfo=UTC)  # alerts without a time sort as the oldest
_SEVERITY_ALIASES = {
    "crit": "critical",
    "critical": "critical",
    "error": "critical",
    "warn": "warning",
    "warning": "warning",
    "info": "info",
}


_NUMBERS = re.compile(r"[-+]?\d[\d.,]*")


def normalize_severity(value: str | None) -> str:
    """`INFO|WARN|CRITICAL` and `info|warning|critical` to one vocabulary."""
    return _SEVERITY_ALIASES.get((value or "info").strip().lower(), "info")


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """What a derived alert's condition did: when it first held, how often it began to
    hold, and when it last stopped (None while it still holds)."""

    first_seen: datetime | None
    count: int
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Alert:
    """One occurrence of an alert as the operator sees it, whatever its origin."""

    alert_id: str
    ts: datetime | None
    severity: str
    source: str
    rule_id: str | None
    title: str
    message: str
    run_id: str | None = None
    session_id: str | None = None
    category: str | None = None
    derived: bool = False
    context: dict[str, Any] | None = None
    position: int = 0  # where its line starts in its file (0 for derived alerts)
    rule: str = "alert"  # with `subject`, what makes two occurrences the same alert
    subject: str = "store"  # run:<id>, session:<id>, file:<name> or store
    threshold: float | None = None  # the limit that fired, when the source names it
    lifecycle: Lifecycle | None = None  # derived alerts only; stored ones resolve by quiet time

    @property
    def key(self) -> str:
        """The alert this occurrence belongs to: `<rule>/<subject>`."""
        return f"{self.rule}/{self.subject}"

    @property
    def sort_key(self) -> tuple[datetime, int, str]:
        """Ascending by time, then by place in the file, then by id (sort reversed: newest first).

        Times compare as instants, not as text: `...:00.5Z` is after `...:00Z`.
        """
        return (self.ts or _UNTIMED, self.position, self.alert_id)

    def as_dict(self) -> dict[str, Any]:
        """The JSON view of the alert."""
        return {
            "id": self.alert_id,
            "timestamp": format_utc(self.ts),
            "severity": self.severity,
            "source": self.source,
            "derived": self.derived,
            "rule_id": self.rule_id,
            "title": redact_text(self.title),
            "message": redact_text(self.message),
            "run_id": self.run_id,
            "session_id": self.session_id,
            "category": self.category,
            "context": self.context or {},
            "key": self.key,
            "rule": self.rule,
            "subject": self.subject,
            "threshold": self.threshold,
        }


def from_run_alert(alert: RunAlert, run_id: str, offset: int) -> Alert:
    """A line of a run's alerts.jsonl."""
    return Alert(
        alert_id=f"run:{run_id}@{offset}",
        ts=alert.timestamp,
        severity=normalize_severity(alert.severity),
        source="run",
        rule_id=alert.rule_id,
        title=alert.rule_id or "run alert",
        message=alert.message or "",
        run_id=alert.run_id or run_id,
        position=offset,
        rule=alert.rule_id or "run_alert",
        subject=f"run:{alert.run_id or run_id}",
        threshold=_number(alert.extras().get("threshold")),
    )


def from_store_alert(alert: StoreAlert, file_name: str, offset: int) -> Alert:
    """A line of the daily alert store."""
    return Alert(
        alert_id=alert.id or f"store:{file_name}@{offset}",
        ts=alert.timestamp or alert.stored_at,
        severity=normalize_severity(alert.severity),
        source="alert_store",
        rule_id=alert.category,
        title=alert.title or "alert",
        message=alert.body or "",
        session_id=alert.session_id,
        category=alert.category,
        context=redact(alert.context),
        position=offset,
        rule=_store_rule(alert),
        subject=_store_subject(alert),
        threshold=_number(alert.context.get("threshold")),
    )


def _store_rule(alert: StoreAlert) -> str:
    """The context's `rule_id`, else the category and the title with its numbers masked."""
    named = alert.context.get("rule_id")
    if isinstance(named, str) and named:
        return named
    title = _NUMBERS.sub("#", alert.title or "alert")
    return f"{(alert.category or 'alert').lower()}:{title}"


def _store_subject(alert: StoreAlert) -> str:
    """The run the context names, else the session, else the store itself."""
    run_id = alert.context.get("run_id")
    if isinstance(run_id, str) and run_id:
        return f"run:{run_id}"
    return f"session:{alert.session_id}" if alert.session_id else "store"


def _number(value: Any) -> float | None:
    """A finite number from an artifact, else None (text, booleans and NaN are not limits)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def newest_first(timed: Iterable[tuple[datetime | None, int, Any]]) -> list[Any]:
    """Items given as (time, file position, item), newest time first; the later line wins a tie.

    Items without a time come last, in reverse file order.
    """
    ordered = sorted(timed, key=lambda entry: (entry[0] or _UNTIMED, entry[1]), reverse=True)
    return [item for _, _, item in ordered]


def derived_alert(
    rule_id: str,
    subject: str,
    severity: str,
    title: str,
    message: str,
    ts: datetime | None,
    *,
    lifecycle: Lifecycle,
    threshold: float | None = None,
    run_id: str | None = None,
    session_id: str | None = None,
) -> Alert:
    """An alert peakwatch raises itself from what it sees (marked as derived); `ts` is when
    its condition was last seen to hold."""
    return Alert(
        alert_id=f"derived:{rule_id}:{subject}",
        ts=ts,
        severity=severity,
        source="derived",
        rule_id=rule_id,
        title=title,
        message=message,
        run_id=run_id,
        session_id=session_id,
        derived=True,
        rule=rule_id,
        subject=subject,
        threshold=threshold,
        lifecycle=lifecycle,
    )
