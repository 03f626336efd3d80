"""Storage calls per poll of a bucket on moto's S3 server: LIST, HEAD, GET and bytes.

A root of `objects` small objects is polled idle (nothing changed: no GET may happen),
then one events file gets one more line, then a Parquet file's last rows are read.
Then the same root is mirrored into a local folder: the first sync, an idle one, one
after an appended line.
Counts, not times: a real store's latency is not moto's. `python -m bench.storage`
runs these rows alone; they need `moto[server]` (a dev dependency).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from bench.harness import Report
from bench.s3_server import S3Server
from peakwatch.settings import ROOT_PARTS, RootSpec
from peakwatch.sources.storage import StorageRoot, open_root
from peakwatch.sources.storage_counting import CallCounts
from peakwatch.sources.storage_mirror import RootMirror
from peakwatch.sources.storage_poll import RootPoller
from peakwatch.sources.storage_reads import FollowState, read_appended, read_parquet_tail

BUCKET = "bench"
KEY_ID, SECRET = "AKIAPEAKWATCHBENCH00", "peakwatch-bench-dummy-secret"
EVENTS = "live_runs/run-0000/events.jsonl"
PARQUET_ROWS, ROW_GROUP = 100_000, 5_000


def _writer(server: S3Server) -> Any:
    from s3fs import S3FileSystem

    return S3FileSystem(key=KEY_ID, secret=SECRET, endpoint_url=server.endpoint)


def _fill(fs: Any, objects: int, work: Path) -> bytes:
    fs.mkdir(BUCKET)
    line = b'{"v":1,"seq":1,"ts":"2026-12-01T09:00:00Z","kind":"heartbeat","msg":"ok"}\n'
    body = line * 50
    fs.pipe({f"{BUCKET}/root/live_runs/run-{n:04d}/events.jsonl": body for n in range(objects)})
    table = pa.table({"seq": range(PARQUET_ROWS), "msg": [f"row {n}" for n in range(PARQUET_ROWS)]})
    pq.write_table(table, work / "events.parquet", row_group_size=ROW_GROUP)
    fs.pipe_file(f"{BUCKET}/root/events.parquet", (work / "events.parquet").read_bytes())
    return body


def _spent(counts: CallCounts, before: CallCounts) -> str:
    return _row(counts - before)


def _row(d: CallCounts) -> str:
    return f"{d.list} LIST, {d.head} HEAD, {d.get} GET, {d.get_bytes:,} B"


def run(objects: int, report: Report) -> None:
    """The rows for a root of `objects` events files plus one Parquet file."""
    with tempfile.TemporaryDirectory(prefix="peakwatch-bench-s3-") as folder:
        work = Path(folder)
        credentials = work / "credentials"
        credentials.write_text(
            f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
        )
        server = S3Server()
        server.start()
        saved = {
            name: os.environ.get(name)
            for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL")
        }
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(credentials)
        os.environ["AWS_ENDPOINT_URL"] = server.endpoint
        try:
            fs = _writer(server)
            body = _fill(fs, objects, work)
            counts = CallCounts()
            root = open_root(f"s3://{BUCKET}/root", counts=counts)
            _rows(root, counts, fs, body, objects, report)
            _mirror_rows(root, counts, fs, body, objects, work / "mirror", report)
        finally:
            server.stop()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _rows(
    root: StorageRoot, counts: CallCounts, fs: Any, body: bytes, objects: int, report: Report
) -> None:
    poller = RootPoller(root, 5.0)
    poller.poll()
    states = {name: FollowState() for name in poller.listing if name.endswith(".jsonl")}
    for name, state in states.items():
        read_appended(root, poller.listing[name], state)
    before = counts.snapshot()
    poller.poll()
    for name, state in states.items():
        read_appended(root, poller.listing[name], state)
    label = f"{objects + 1:,} objects"
    idle = counts - before
    verdict = "yes" if idle.get == idle.head == 0 else "no"
    report.add(
        "storage", f"idle poll + follow of {label}", _spent(counts, before), "0 GET", verdict
    )
    fs.pipe_file(f"{BUCKET}/root/{EVENTS}", body + body[: len(body) // 50])
    before = counts.snapshot()
    changes = poller.poll()
    for name in changes.changed if changes else ():
        read_appended(root, poller.listing[name], states[name])
    report.add("storage", f"poll after 1 appended line, {label}", _spent(counts, before))
    info = poller.listing["events.parquet"]
    before = counts.snapshot()
    read_parquet_tail(root, info, 200)
    groups = PARQUET_ROWS // ROW_GROUP
    note = f"file {info.size:,} B, {groups} row groups"
    report.add("storage", "last 200 rows of a Parquet object", _spent(counts, before), note=note)


def _mirror_rows(
    root: StorageRoot,
    counts: CallCounts,
    fs: Any,
    body: bytes,
    objects: int,
    folder: Path,
    report: Report,
) -> None:
    """After `_rows` (whose append left EVENTS one line longer), the same root mirrored."""
    defaults = RootSpec("bench", f"s3://{BUCKET}/root")
    mirror = RootMirror(root, {part: getattr(defaults, part) for part in ROOT_PARTS}, folder)
    poller = RootPoller(root, 5.0)
    label = f"{objects + 1:,} objects"

    def sync() -> CallCounts:
        before = counts.snapshot()
        poller.poll()
        mirror.sync(poller.listing)
        return counts - before

    first = sync()
    copied = sum(1 for path in folder.rglob("*") if path.is_file())
    report.add("storage", f"mirror: first sync of {label}", _row(first), note=f"{copied:,} files")
    idle = sync()
    verdict = "yes" if idle.get == idle.head == 0 else "no"
    report.add("storage", f"mirror: idle sync of {label}", _row(idle), "0 GET", verdict)
    line = body[: len(body) // 50]
    fs.pipe_file(f"{BUCKET}/root/{EVENTS}", body + line + line)
    report.add("storage", f"mirror: sync after 1 appended line, {label}", _row(sync()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__)
    parser.add_argument("--objects", type=int, default=2_500)
    args = parser.parse_args(argv)
    report = Report()
    run(args.objects, report)
    print(report.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
