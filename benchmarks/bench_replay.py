"""Replay speed: one NIFTY trading day of one-minute steps through the full pipeline.

`python -m benchmarks replay` — `core.replay.run_replay` on the simulator (build_app, snapshot engine,
every algorithm, gates, DeskService scans/approvals/monitor on SQLite), quick: 1 day; --full: 5 days.
CPU seconds (`time.process_time`) are what one core spends; wall seconds include waiting for a busy
machine. The naive path (a full snapshot every minute, as the live bot) is measured on one day too.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date

from core.config.schema import parse_config
from core.replay.runner import ReplayRequest, run_replay

TARGET_SECONDS_PER_DAY = 5.0


def _measure(start: date, end: date, fast: bool) -> tuple[int, float, float, int]:
    t0, c0 = time.perf_counter(), time.process_time()
    run = asyncio.run(run_replay(ReplayRequest(start, end, fast=fast), parse_config({})))
    return len(run.days), time.process_time() - c0, time.perf_counter() - t0, run.steps


def run(quick: bool = True) -> str:
    end = date(2026, 11, 25) if quick else date(2026, 12, 1)
    days, cpu, wall, steps = _measure(date(2026, 11, 25), end, fast=True)
    _, naive_cpu, naive_wall, _ = _measure(date(2026, 11, 25), date(2026, 11, 25), fast=False)
    per_day = cpu / days
    met = "met" if per_day <= TARGET_SECONDS_PER_DAY else "NOT met"
    return (
        "## Replay\n\n"
        "`python -m benchmarks replay` — the whole desk (3 algorithms, gates, approvals, monitor, charges, "
        "SQLite) over simulated NIFTY days, one-minute steps from 09:15 to 15:40 IST.\n\n"
        "| path | days | steps | CPU s/day | wall s/day | days per CPU second | target |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        f"| fast (default) | {days} | {steps:,} | {per_day:.2f} | {wall / days:.2f} | {days / cpu:.3f} | "
        f"≤ {TARGET_SECONDS_PER_DAY:.0f} s/day ({met}) |\n"
        f"| naive (full snapshot every minute) | 1 | {steps // days:,} | {naive_cpu:.2f} | {naive_wall:.2f} | "
        f"{1 / naive_cpu:.3f} | — |\n\n"
        "The fast path builds quotes-only snapshots (open positions' expiries) on minutes without a scan "
        "and fetches each day's fixed inputs once; tests check it gives the same positions, marks and "
        "equity as the naive path. Most of the remaining time is the desk's per-minute database work "
        "(risk state, open positions, marks, one equity point per minute)."
    )
