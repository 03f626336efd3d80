"""Alerts as the operator tracks them: one per (rule, subject), firing or resolved, with when
and how often it was seen and from which sources; and the one status they give."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peakwatch.contract.values import format_utc
from peakwatch.domain.alert_episodes import after
from peakwatch.domain.alerts import SEVERITIES, Alert

STATES = ("firing", "resolved")
SAME_OCCURRENCE_SECONDS = 2.0  # one occurrence written to two sources this close is one
_SOURCE_PREFERENCE = {"run": 2, "derived": 1, "alert_store": 0}  # whose text a group shows
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


@dataclass(frozen=True, slots=True)
class TrackedAlert:
    """One alert: every occurrence of its rule about its subject, folded."""

    latest: Alert  # the newest occurrence: its severity, text and threshold are the alert's
    first_seen: datetime | None
    last_seen: datetime | None
    count: int  # distinct occurrences (a stored alert) or times the condition began (derived)
    firing: bool
    resolved_at: datetime | None
    sources: tuple[str, ...]

    @property
    def state(self) -> str:
        """`firing` or `resolved`."""
        return "firing" if self.firing else "resolved"

    @property
    def severity(self) -> str:
        """The severity of the newest occurrence."""
        return self.latest.severity

    def as_dict(self) -> dict[str, Any]:
        """The JSON view: the newest occurrence's fields plus the lifecycle."""
        return {
            **self.latest.as_dict(),
            "timestamp": format_utc(self.last_seen),
            "state": self.state,
            "first_seen": format_utc(self.first_seen),
            "last_seen": format_utc(self.last_seen),
            "count": self.count,
            "resolved_at": format_utc(self.resolved_at),
            "sources": list(self.sources),
        }


def track(alerts: Iterable[Alert], as_of: datetime, quiet_seconds: float) -> list[TrackedAlert]:
    """Occurrences folded into alerts, in `ordered` order; a stored alert fires until
    `quiet_seconds` pass without a repeat, a derived one while its condition holds."""
    groups: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        groups[alert.key].append(alert)
    return ordered(_tracked(found, as_of, quiet_seconds) for found in groups.values())


def ordered(tracked: Iterable[TrackedAlert]) -> list[TrackedAlert]:
    """Firing first, then by severity, then the most recently seen first."""
    newest = sorted(tracked, key=lambda t: (t.latest.sort_key, t.latest.key), reverse=True)
    return sorted(newest, key=lambda t: (not t.firing, _SEVERITY_RANK.get(t.severity, 9)))


def _tracked(found: list[Alert], as_of: datetime, quiet_seconds: float) -> TrackedAlert:
    found.sort(key=lambda a: (a.sort_key[0], _SOURCE_PREFERENCE.get(a.source, 0), a.sort_key))
    latest = found[-1]
    life = latest.lifecycle
    if life is not None:  # derived: one occurrence per key, its condition says the state
        return TrackedAlert(
            latest,
            life.first_seen,
            latest.ts,
            life.count,
            life.resolved_at is None,
            life.resolved_at,
            (latest.source,),
        )
    times = [a.ts for a in found if a.ts is not None]
    last_seen = max(times) if times else None
    firing = last_seen is not None and (as_of - last_seen).total_seconds() < quiet_seconds
    resolved_at = after(last_seen, quiet_seconds) if last_seen and not firing else None
    return TrackedAlert(
        latest,
        min(times) if times else None,
        last_seen,
        distinct_occurrences(found),
        firing,
        resolved_at,
        tuple(sorted({a.source for a in found})),
    )


def distinct_occurrences(found: list[Alert]) -> int:
    """How many occurrences the alerts (in time order) are: one written to the store and to
    a run's file within SAME_OCCURRENCE_SECONDS of each other counts once."""
    count = 0
    last_time: datetime | None = None
    merged: set[str] = set()
    for alert in found:
        same = (
            alert.ts is not None
            and last_time is not None
            and alert.source not in merged
            and (alert.ts - last_time).total_seconds() <= SAME_OCCURRENCE_SECONDS
        )
        if same:
            merged.add(alert.source)
            continue
        count += 1
        last_time, merged = alert.ts, {alert.source}
    return count


def alert_status(tracked: Iterable[TrackedAlert]) -> str:
    """`error` while a critical alert fires, `warn` while a warning fires, else `ok`; the
    alerts' part of every status the dashboard shows (the snapshot's headline too)."""
    firing = {t.severity for t in tracked if t.firing}
    return "error" if "critical" in firing else "warn" if "warning" in firing else "ok"


def summary(tracked: list[TrackedAlert]) -> dict[str, Any]:
    """The status, a one-line headline and the firing alerts by severity."""
    firing = Counter(t.severity for t in tracked if t.firing)
    total = sum(firing.values())
    by_severity = {severity: firing.get(severity, 0) for severity in SEVERITIES}
    if total:
        parts = ", ".join(f"{n} {severity}" for severity, n in by_severity.items() if n)
        headline = f"{total} alert{'s' if total != 1 else ''} firing: {parts}"
    else:
        headline = "No alert firing"
    return {
        "status": alert_status(tracked),
        "headline": headline,
        "firing": by_severity,
        "resolved": len(tracked) - total,
    }


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """Filters of `GET /api/alerts` and the alerts page."""

    states: frozenset[str] = frozenset()
    severities: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    run_id: str | None = None
    session_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, tracked: TrackedAlert) -> bool:
        """True when the alert passes every filter that is set (times: its last_seen)."""
        alert, seen = tracked.latest, tracked.last_seen
        if self.states and tracked.state not in self.states:
            return False
        if self.severities and tracked.severity not in self.severities:
            return False
        if self.sources and not self.sources.intersection(tracked.sources):
            return False
        if self.run_id is not None and alert.run_id != self.run_id:
            return False
        if self.session_id is not None and alert.session_id != self.session_id:
            return False
        if self.since is not None and (seen is None or seen < self.since):
            return False
        return not (self.until is not None and (seen is None or seen > self.until))


def select_alerts(tracked: list[TrackedAlert], query: AlertQuery, limit: int) -> dict[str, Any]:
    """Matching alerts (firing first) with counts by severity and state over the matches,
    and the summary of every alert, whatever the filters."""
    matching = [t for t in tracked if query.matches(t)]
    severities = Counter(t.severity for t in matching)
    states = Counter(t.state for t in matching)
    return {
        "total": len(matching),
        "counts": {severity: severities.get(severity, 0) for severity in SEVERITIES},
        "states": {state: states.get(state, 0) for state in STATES},
        "summary": summary(tracked),
        "alerts": [t.as_dict() for t in matching[:limit]],
    }
