"""`peakwatch demo [--serve]`: the simulated runner alone, or together with the dashboard."""

from __future__ import annotations

import argparse
import threading

from peakwatch.demo.runner import build_parser, run_demo
from peakwatch.demo.runner import main as runner_main

DEMO_STALE_SECONDS = 30.0


def main(argv: list[str] | None = None) -> int:
    """Run the demo; with `--serve`, also serve the dashboard over what it writes."""
    parser = build_parser()
    parser.add_argument(
        "--serve", action="store_true", help="also start the dashboard on the demo's artifacts"
    )
    parser.add_argument("--host", default="127.0.0.1", help="dashboard bind address")
    parser.add_argument("--port", type=int, default=8000, help="dashboard port (default 8000)")
    args = parser.parse_args(argv)
    if not args.serve:
        runner_argv = [
            "--out",
            str(args.out),
            "--seed",
            str(args.seed),
            "--speed",
            str(args.speed),
            "--runs",
            str(args.runs),
        ]
        if args.duration is not None:
            runner_argv += ["--duration", str(args.duration)]
        return runner_main(runner_argv)
    return serve_with_demo(args)


def serve_with_demo(args: argparse.Namespace) -> int:
    """Start the runner in a thread, then the server in the foreground; Ctrl-C stops both."""
    from peakwatch.server import StartError, check_bind, check_environment, serve
    from peakwatch.settings import load_settings

    out = args.out.resolve()
    overrides = {
        "host": args.host,
        "port": args.port,
        "runs_dir": str(out / "live_runs"),
        "sessions_dir": str(out / "reports/experiments/live_sessions"),
        "alerts_dir": str(out / "live_runs/alerts"),
        "ai_events_path": str(out / "logs/ai/ai_events.jsonl"),
        "execution_dir": str(out / "logs/execution"),
        "run_stale_seconds": DEMO_STALE_SECONDS,
        "session_stale_seconds": DEMO_STALE_SECONDS,
    }
    try:
        check_environment(scrub=False)
        check_bind(load_settings(overrides))
    except StartError as error:
        print(f"peakwatch: {error}")
        return 2
    stop = threading.Event()
    started = threading.Event()
    runner = threading.Thread(
        target=run_demo,
        args=(out,),
        kwargs={
            "seed": args.seed,
            "speed": args.speed,
            "duration": args.duration,
            "runs": args.runs,
            "on_start": started.set,
            "stop": stop,
        },
        name="peakwatch-demo-runner",
        daemon=True,
    )
    runner.start()
    started.wait(10)
    print(f"demo runner writing to {out} (stale after {int(DEMO_STALE_SECONDS)} s)")
    try:
        return serve(overrides)
    finally:
        stop.set()
        runner.join(timeout=10)
