"""Alerts from the daily store, per-run alerts.jsonl, and alerts derived from state."""

from __future__ import annotations

from collections import Counter
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


def normalize_severity(value: str | None) -> str:
    """`INFO|WARN|CRITICAL` and `info|warning|critical` to one vocabulary."""
    return _SEVERITY_ALIASES.get((value or "info").strip().lower(), "info")


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert as the operator sees it, whatever its origin."""

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
    )


def newest_first(timed: Iterable[tuple[datetime | None, int, Any]]) -> list[Any]:
    """Items given as (time, file position, item), newest time first; the later line wins a tie.

    Items without a time come last, in reverse file order.
    """
    ordered = sorted(timed, key=lambda entry: (entry[0] or _UNTIMED, entry[1]), reverse=True)
    return [item for _, _, item in ordered]


def derived_alert(
    rule_id: str,
    key: str,
    severity: str,
    title: str,
    message: str,
    ts: datetime | None,
    *,
    run_id: str | None = None,
    session_id: str | None = None,
) -> Alert:
    """An alert peakwatch raises itself from what it sees (marked as derived)."""
    return Alert(
        alert_id=f"derived:{rule_id}:{key}",
        ts=ts,
        severity=severity,
        source="derived",
        rule_id=rule_id,
        title=title,
        message=message,
        run_id=run_id,
        session_id=session_id,
        derived=True,
    )


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """Filters of `GET /api/alerts`."""

    severities: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    run_id: str | None = None
    session_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, alert: Alert) -> bool:
        """True when the alert passes every filter that is set."""
        if self.severities and alert.severity not in self.severities:
            return False
        if self.sources and alert.source not in self.sources:
            return False
        if self.run_id is not None and alert.run_id != self.run_id:
            return False
        if self.session_id is not None and alert.session_id != self.session_id:
            return False
        if self.since is not None and (alert.ts is None or alert.ts < self.since):
            return False
        return not (self.until is not None and (alert.ts is None or alert.ts > self.until))


def select_alerts(alerts: list[Alert], query: AlertQuery, limit: int) -> dict[str, Any]:
    """Matching alerts newest first, with counts by severity over all matches."""
    matching = sorted((a for a in alerts if query.matches(a)), key=lambda a: a.sort_key)
    matching.reverse()
    counts = Counter(a.severity for a in matching)
    return {
        "total": len(matching),
        "counts": {severity: counts.get(severity, 0) for severity in SEVERITIES},
        "alerts": [a.as_dict() for a in matching[:limit]],
    }
