"""The producer SDK: write the artifacts peakwatch reads, correctly (atomic, append-only)."""

from peakwatch.producer.atomic import (
    append_json_line,
    format_ts,
    format_ts_ms,
    utc_now,
    write_bytes_atomic,
    write_json_atomic,
)
from peakwatch.producer.events_tail import scan_events_tail
from peakwatch.producer.run_writer import RunWriter, validate_id
from peakwatch.producer.session_recorder import SessionRecorder
from peakwatch.producer.side_files import (
    STEP_COLUMNS,
    AiEventWriter,
    AlertStoreWriter,
    ExecutionTelemetryWriter,
    PeakTradeCsvEventsWriter,
    PeakTradeParquetEventsWriter,
)

__all__ = [
    "STEP_COLUMNS",
    "AiEventWriter",
    "AlertStoreWriter",
    "ExecutionTelemetryWriter",
    "PeakTradeCsvEventsWriter",
    "PeakTradeParquetEventsWriter",
    "RunWriter",
    "SessionRecorder",
    "append_json_line",
    "format_ts",
    "format_ts_ms",
    "scan_events_tail",
    "utc_now",
    "validate_id",
    "write_bytes_atomic",
    "write_json_atomic",
]
