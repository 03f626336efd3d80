"""Write a Peak_Trade sessions-registry record, atomically, from start to finish.

File: `<registry_dir>/<started %Y%m%dT%H%M%S>_live_session_<mode>_<session_id>.json`, holding
session_id, run_id, run_type, mode, env_name, symbol, status, started_at, finished_at, config,
metrics, cli_args, error, created_at, strategy_tier, plus our `heartbeat_at`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from peakwatch.producer.atomic import as_utc, format_ts, utc_now, write_json_atomic
from peakwatch.producer.run_writer import describe_error, one_line, validate_id

SESSION_MODES = frozenset({"shadow", "testnet", "paper", "live"})
SESSION_END_STATUSES = frozenset({"completed", "failed", "aborted"})
STRATEGY_TIERS = frozenset({"core", "aux", "legacy", "r_and_d", "unclassified"})


class SessionRecorder:
    """One session's registry record: "started" at entry, then completed|failed|aborted.

    Use as a context manager; an exception inside marks the session failed with a one-line
    error, KeyboardInterrupt marks it aborted. A crashed process leaves it "started".
    """

    def __init__(
        self,
        registry_dir: Path,
        *,
        session_id: str,
        run_id: str | None,
        mode: str,
        env_name: str,
        symbol: str,
        config: dict[str, Any],
        cli_args: list[str],
        strategy_tier: str | None = None,
        started_at: datetime | None = None,
    ) -> None:
        if mode not in SESSION_MODES:
            raise ValueError(f"mode must be one of {sorted(SESSION_MODES)}")
        if strategy_tier is not None and strategy_tier not in STRATEGY_TIERS:
            raise ValueError(f"strategy_tier must be None or one of {sorted(STRATEGY_TIERS)}")
        validate_id(session_id, "session_id")
        started = as_utc(started_at or utc_now())
        run_type = f"live_session_{mode}"
        self.path = Path(registry_dir) / f"{started:%Y%m%dT%H%M%S}_{run_type}_{session_id}.json"
        self._record: dict[str, Any] = {
            "session_id": session_id,
            "run_id": run_id,
            "run_type": run_type,
            "mode": mode,
            "env_name": env_name,
            "symbol": symbol,
            "status": "started",
            "started_at": format_ts(started),
            "finished_at": None,
            "config": dict(config),
            "metrics": {},
            "cli_args": [str(arg) for arg in cli_args],
            "error": None,
            "created_at": format_ts(started),
            "strategy_tier": strategy_tier,
            "heartbeat_at": format_ts(started),
        }
        self.started = False

    @property
    def record(self) -> dict[str, Any]:
        """A copy of the record as last written."""
        return dict(self._record)

    @property
    def status(self) -> str:
        """started, completed, failed or aborted."""
        return str(self._record["status"])

    def start(self) -> SessionRecorder:
        """Write the record with status "started"."""
        if not self.started:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.path, self._record)
            self.started = True
        return self

    def _check_open(self) -> None:
        if not self.started:
            raise RuntimeError("SessionRecorder.start() (or `with`) must come first")
        if self.status != "started":
            raise RuntimeError(f"session already finished ({self.status})")

    def heartbeat(
        self, metrics: dict[str, Any] | None = None, *, ts: datetime | None = None
    ) -> None:
        """Rewrite the record with a fresh `heartbeat_at`; `metrics` keys are merged in."""
        self._check_open()
        if metrics:
            self._record["metrics"] = {**self._record["metrics"], **metrics}
        self._record["heartbeat_at"] = format_ts(ts or utc_now())
        write_json_atomic(self.path, self._record)

    def finish(self, status: str, error: str | None = None, *, ts: datetime | None = None) -> None:
        """Rewrite the record with its final status, `finished_at` and `error`."""
        if status not in SESSION_END_STATUSES:
            raise ValueError(f"status must be one of {sorted(SESSION_END_STATUSES)}")
        self._check_open()
        moment = format_ts(ts or utc_now())
        self._record.update(
            status=status,
            finished_at=moment,
            heartbeat_at=moment,
            error=None if error is None else one_line(error),
        )
        write_json_atomic(self.path, self._record)

    def __enter__(self) -> SessionRecorder:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.started or self.status != "started":
            return
        if exc is None:
            self.finish("completed")
        elif isinstance(exc, Exception):
            self.finish("failed", describe_error(exc))
        else:
            self.finish("aborted", describe_error(exc))
