"""``niftybot replay --from DATE --to DATE [--source recorded|simulated] [--algorithms a,b] [--config FILE]
[--out DIR] [--min-score N] [--seed N] [--naive]``: the desk over past days; see docs/replay.md."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
from pathlib import Path

from core.cli.common import add_config_arg
from core.config.schema import load_config
from core.config.settings import load_settings
from core.errors import ConfigError


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("replay", help="replay the desk over past days (simulated or recorded market)")
    p.add_argument("--from", dest="start", type=_day, required=True, help="first day (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", type=_day, required=True, help="last day (YYYY-MM-DD), inclusive")
    p.add_argument("--source", choices=["simulated", "recorded"], default="simulated")
    p.add_argument("--algorithms", default="", help="comma-separated (default: every enabled one)")
    add_config_arg(p)
    p.add_argument("--out", type=Path, default=Path("replay-output"), help="directory for the files")
    p.add_argument("--recordings", type=Path, default=None, help="default: recording.directory")
    p.add_argument("--min-score", type=float, default=None, help="approve only suggestions scoring this")
    p.add_argument("--structures", default="", help="approve only these kinds, e.g. iron_condor")
    p.add_argument("--seed", type=int, default=None, help="simulator seed (default SIM_SEED)")
    p.add_argument("--naive", action="store_true", help="full snapshot every minute (slow; same trades)")
    p.add_argument("--no-record", action="store_true", help="do not update the per-algorithm records")
    p.set_defaults(handler=_replay)


def _replay(args: argparse.Namespace) -> int:
    from core.replay.output import summary_markdown, write_outputs
    from core.replay.records import ReplayRecordStore
    from core.replay.report import build_report
    from core.replay.runner import ApprovalRule, ReplayRequest, run_replay

    settings = load_settings()
    config = load_config(args.config or settings.niftybot_config)
    names = tuple(n.strip() for n in args.algorithms.split(",") if n.strip())
    if args.end < args.start:
        raise ConfigError(f"--to {args.end} is before --from {args.start}.")
    request = ReplayRequest(
        start=args.start,
        end=args.end,
        source=args.source,
        algorithms=names,
        approve=ApprovalRule(
            args.min_score, frozenset(s.strip() for s in args.structures.split(",") if s.strip())
        ),
        recordings=args.recordings,
        seed=args.seed if args.seed is not None else settings.sim_seed,
        fast=not args.naive,
    )
    run = asyncio.run(run_replay(request, config))
    report = build_report(run)
    paths = write_outputs(report, args.out)
    if not args.no_record and report.days:
        from core.clock import SystemClock

        ReplayRecordStore(config.recording.replay_records).save_report(report, SystemClock().now())
    print(summary_markdown(report))
    print("Files: " + ", ".join(str(p) for p in paths.values()))
    return 0
