"""Soak: simulated trading days back to back at high clock speed, memory and database over time.

`python -m benchmarks soak` (quick: 2 trading days) / `--full` (5 trading days: a week).

The real bot (PTB Application polling the emulator, desk, simulator, SQLite file) runs in a fresh
interpreter; the emulator and a scripted trader run in another process. The clock is stepped one
minute at a time from 08:00 to 16:30 IST on each trading day and the scheduler runs what is due, as its
JobQueue tick would: the checks, the pre-market brief, the opening snapshot, refreshes and the monitor
every minute, scans every 15 minutes, exits, the end-of-day and weekly summaries; the outbox delivers
every push. The trader presses Approve on every suggestion pushed (through the emulator, as a person
would) and asks for /positions and /pnl every half hour. Every simulated hour the bot process's
resident memory (VmRSS after a garbage collection) is sampled; at each day's end, rows per table and
the database file size.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing as mp
import os
import tempfile
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

GROWTH_LIMIT = 0.10  # memory: no more than 10% above the end of day 1
FIRST_DAY = date(2026, 11, 25)


@dataclass(frozen=True)
class SoakConfig:
    days: int = 2
    start: date = FIRST_DAY
    day_start: dtime = dtime(8, 0)
    day_end: dtime = dtime(16, 30)
    step_minutes: int = 1
    sample_minutes: int = 60
    chat_every_minutes: int = 30
    trace: bool = False  # tracemalloc: where the memory added after day 1 was allocated (slower)
    freeze_heap: bool = True  # as `niftybot run` does (core/ops/heap.py); tests in a shared process: off


@dataclass
class Sample:
    day: int
    at: str  # IST time
    rss_mb: float
    wall_s: float


@dataclass
class DayEnd:
    day: date
    rows: dict[str, int]
    db_bytes: int
    rss_mb: float
    positions: int
    approvals: int
    cpu_s: float
    wall_s: float


@dataclass
class SoakReport:
    config: SoakConfig
    samples: list[Sample] = field(default_factory=list)
    days: list[DayEnd] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    errors: int = 0
    load_before: str = ""
    load_after: str = ""
    measured_at: str = field(default_factory=lambda: f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    growth_sites: list[str] = field(default_factory=list)  # with trace: top allocation growth after day 1

    @property
    def growth_after_day1(self) -> float:
        """Largest RSS after day 1 relative to RSS at the end of day 1 (0.05 = 5% more)."""
        if len(self.days) < 2:
            return 0.0
        base = self.days[0].rss_mb
        later = [s.rss_mb for s in self.samples if s.day >= 2]
        return (max(later) - base) / base if later else 0.0


def rss_mb() -> float:
    gc.collect()
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _rows(engine: Any) -> dict[str, int]:
    from sqlalchemy import func, inspect, select, table

    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
            for name in sorted(inspect(conn).get_table_names())
            if name != "alembic_version"
        }


def _db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def trading_days(start: date, n: int) -> list[date]:
    from core.market_hours import default_calendar

    cal = default_calendar()
    out, day = [], start
    while len(out) < n:
        if cal.is_trading_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


async def soak(cfg: SoakConfig) -> SoakReport:
    from benchmarks.deskbot import DESK_CHAT, start_desk_bot
    from benchmarks.emuproc import EmulatorProcess
    from core.clock import IST

    report = SoakReport(cfg, load_before=_loadavg())
    days = trading_days(cfg.start, cfg.days)
    if cfg.trace:
        tracemalloc.start(3)
    day1: Any = None
    emu = EmulatorProcess()
    t_start = time.monotonic()
    try:
        emu.start()
        await emu.call("add_chats", ids=[DESK_CHAT, 11])
        with tempfile.TemporaryDirectory(prefix="niftybot-soak-") as tmp:
            first = datetime.combine(days[0], cfg.day_start, IST)
            bot = await start_desk_bot(
                emu.base_url, Path(tmp), [], at=first, jobs=False, freeze_heap=cfg.freeze_heap
            )
            try:
                await bot.application.start()
                await bot.application.updater.start_polling(poll_interval=0, timeout=10)
                report.samples.append(Sample(0, f"{first:%a %H:%M}", rss_mb(), 0.0))
                for n, day in enumerate(days, start=1):
                    report.days.append(await _one_day(bot, emu, cfg, n, day, report, t_start))
                    if cfg.trace:
                        gc.collect()
                        snap = tracemalloc.take_snapshot().filter_traces(
                            [tracemalloc.Filter(False, tracemalloc.__file__)]
                        )
                        if day1 is None:
                            day1 = snap
                        else:
                            report.growth_sites = [
                                f"{d.size_diff / 1024:+.0f} KiB ({d.count_diff:+d} blocks) at "
                                + " <- ".join(
                                    f"{Path(fr.filename).name}:{fr.lineno}" for fr in d.traceback[:4]
                                )
                                for d in snap.compare_to(day1, "traceback")[:12]
                            ]
                report.violations = (await emu.call("stats"))["violations"]
            finally:
                await bot.stop()
    finally:
        emu.stop()
    report.load_after = _loadavg()
    return report


async def _one_day(
    bot: Any, emu: Any, cfg: SoakConfig, n: int, day: date, report: SoakReport, t0: float
) -> DayEnd:
    from benchmarks.deskbot import DESK_CHAT, TRADER
    from core.clock import IST

    c0, w0 = time.process_time(), time.monotonic()
    now = datetime.combine(day, cfg.day_start, IST)
    end = datetime.combine(day, cfg.day_end, IST)
    bot.clock.set(now)
    approvals = 0
    minute = 0
    while now < end:
        now = bot.clock.advance(timedelta(minutes=cfg.step_minutes))
        minute += cfg.step_minutes
        ran = await bot.scheduler.tick()
        await bot.bc.wake_outbox()
        if "scan" in ran:
            approvals += await emu.call("press_approvals", chat=DESK_CHAT, user=TRADER)
            await bot.bc.wake_outbox()
        local = now.astimezone(IST)
        if minute % cfg.chat_every_minutes == 0 and dtime(9, 15) <= local.time() <= dtime(15, 30):
            for text, replies in (("/positions", 1), ("/pnl", 1)):
                answer = await emu.call("say", chat=DESK_CHAT, user=TRADER, text=text, replies=replies)
                report.errors += sum("Something went wrong" in a for a in answer)
        if minute % cfg.sample_minutes == 0:
            report.samples.append(Sample(n, f"{local:%a %H:%M}", rss_mb(), time.monotonic() - t0))
    await emu.call("forget")
    positions = bot.bc.app.desk.open_positions()
    return DayEnd(
        day=day,
        rows=_rows(bot.engine),
        db_bytes=_db_bytes(bot.db_path),
        rss_mb=rss_mb(),
        positions=len(positions),
        approvals=approvals,
        cpu_s=time.process_time() - c0,
        wall_s=time.monotonic() - w0,
    )


def soak_sync(cfg: SoakConfig) -> SoakReport:
    return asyncio.run(soak(cfg))


def measure(cfg: SoakConfig) -> SoakReport:
    """Run the soak in a fresh interpreter (its memory is the bot's alone)."""
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(soak_sync, cfg).result()


# ---- the docs section -----------------------------------------------------------------------------
def render(rep: SoakReport, command: str) -> str:
    cfg = rep.config
    growth = rep.growth_after_day1
    ok = "met" if growth <= GROWTH_LIMIT else "NOT met"
    tables = sorted({t for d in rep.days for t in d.rows})
    grown = [t for t in tables if any(d.rows.get(t, 0) for d in rep.days)]
    lines = [
        "## Soak",
        "",
        f"`{command}` — {len(rep.days)} trading day(s) ({', '.join(f'{d.day:%a %d %b}' for d in rep.days)}), "
        f"the clock stepped {cfg.step_minutes} min at a time from {cfg.day_start:%H:%M} to {cfg.day_end:%H:%M} IST "
        "with the scheduler running what is due (checks, brief, opening snapshot, refresh and monitor every "
        "minute, scans every 15 min, exits, end-of-day and weekly summaries) and the outbox delivering; a "
        "scripted trader in the emulator process presses Approve on every pushed suggestion and asks "
        f"`/positions` and `/pnl` every {cfg.chat_every_minutes} min. Bot process: a fresh interpreter; "
        f"memory is its VmRSS after `gc.collect()`. Measured {rep.measured_at}; load average "
        f"{rep.load_before} before, {rep.load_after} after (2 shared cores).",
        "",
        "| day | approvals | open at close | CPU s | wall s | RSS at close (MB) | DB file (KB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for d in rep.days:
        lines.append(
            f"| {d.day:%a %d %b} | {d.approvals} | {d.positions} | {d.cpu_s:.1f} | {d.wall_s:.1f} | "
            f"{d.rss_mb:.1f} | {d.db_bytes / 1024:,.0f} |"
        )
    lines += [
        "",
        f"Memory: {rep.samples[0].rss_mb:.1f} MB at start, {rep.days[0].rss_mb:.1f} MB at the end of day 1, "
        f"at most {max(s.rss_mb for s in rep.samples if s.day >= 2) if len(rep.days) > 1 else rep.days[0].rss_mb:.1f} MB "
        f"afterwards: growth after day 1 {100 * growth:+.1f}% (goal ≤ {100 * GROWTH_LIMIT:.0f}%: {ok}).",
        "",
        "RSS by simulated hour (MB): " + " · ".join(f"{s.at} {s.rss_mb:.1f}" for s in rep.samples) + ".",
        "",
        "Rows per table at each day's close: "
        + "; ".join(f"`{t}` " + "/".join(str(d.rows.get(t, 0)) for d in rep.days) for t in grown)
        + ".",
        "",
        f"Replies that were the bot's error message: {rep.errors}; Bot API requests refused as malformed: "
        f"{len(rep.violations)}.",
    ]
    if rep.growth_sites:
        lines += ["", "Allocations grown since the end of day 1 (tracemalloc, largest first):", ""]
        lines += [f"- {site}" for site in rep.growth_sites]
    return "\n".join(lines)


def run(quick: bool = True) -> str:
    cfg = SoakConfig(days=2 if quick else 5, trace=os.environ.get("SOAK_TRACE") == "1")
    rep = measure(cfg)
    return render(rep, "python -m benchmarks soak" + ("" if quick else " --full"))
