"""Load: many allowlisted users in many chats sending commands to the running bot at once.

`python -m benchmarks load` (quick, ~20 s of load) / `--full` (longer phases, per-command CPU).

The bot is the real one: PTB Application (polling) + desk + simulator + SQLite file, seeded with a
trading morning (scans, approved positions, marks), then live on a clock running at real speed with the
scheduler's JobQueue jobs (refresh, monitor, outbox) running as in production. The emulator and the
users run in another process (benchmarks/emuproc.py), pinned to the other core when there are two, so
the bot process has one core to itself and its CPU time per command is its own. Latency is measured in
the emulator process: from the user's update being queued to the bot's reply request arriving.

Phases: closed loop (every chat keeps one command outstanding: the most the bot can answer) and open
loop (commands arrive at a fixed rate, Poisson: latency at that rate). The peer, measured in the same
run on the same emulator, is a bare PTB echo bot with PTB's default HTTP client: what the framework
alone can do.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.deskbot import (
    ADMIN,
    DESK_CHAT,
    at,
    load_users,
    start_desk_bot,
    start_echo_bot,
    stop_echo_bot,
)
from benchmarks.emuproc import EmulatorProcess, Op, PhaseResult
from core.ops.heap import GcPauses, PauseStats, freeze_startup_heap

TARGET_RATE = 300.0  # commands/s: 10x Telegram's global send limit
TARGET_TEXT_P95_MS = 50.0
TARGET_CHART_P95_MS = 300.0

TEXT_COMMANDS = ("/help", "/positions", "/pnl", "/drawdown", "/chain", "/history", "/pending")
TEXT_OPS = [Op(c, (("sendMessage", c),)) for c in TEXT_COMMANDS]
CHART_OPS = [
    Op("/pnl", (("sendMessage", "/pnl text before its chart"), ("sendPhoto", "equity chart (/pnl)"))),
    Op("", (("sendPhoto", "IV smile + OI chart (button)"),), button="v1:cg:", on_message="chain"),
    Op("", (("sendPhoto", "payoff chart (button)"),), button="v1:pp:", on_message="positions"),
]
CHART_LABELS = frozenset(op.marks[-1][1] for op in CHART_OPS)
ECHO_OPS = [Op(c, (("sendMessage", c),)) for c in TEXT_COMMANDS]


@dataclass(frozen=True)
class LoadConfig:
    users: int = 200
    seed_minutes: int = 75  # trading minutes stepped before going live
    seed_from: tuple[int, int] = (9, 15)  # IST, on Wed 25 Nov 2026
    closed_seconds: float = 4.0
    open_seconds: float = 4.0
    chart_seconds: float = 4.0
    chart_rate: float = 5.0
    chart_chats: int = 20
    rate: float = TARGET_RATE
    sweep: tuple[float, ...] = (100.0, 200.0)  # more open-loop rates for text commands
    sweep_seconds: float = 3.0
    per_command_seconds: float = 0.0  # > 0: a closed loop per text command (CPU per command)
    pin: bool = False  # True: bot on CPU 0, emulator on CPU 1 (worse when other jobs share the cores)
    freeze_heap: bool = True  # as `niftybot run` does (core/ops/heap.py); tests in a shared process: off


@dataclass
class Phase:
    name: str
    result: PhaseResult
    bot_cpu: float  # CPU seconds of the bot process during the phase
    stalls: list[float] = field(default_factory=list)  # event-loop lag samples of the bot (s)
    gc: PauseStats | None = None  # the bot process's garbage collections during the phase

    @property
    def max_stall_ms(self) -> float:
        return 1000 * max(self.stalls, default=0.0)

    @property
    def throughput(self) -> float:
        return self.result.completed / self.result.seconds if self.result.seconds else 0.0

    @property
    def cpu_ms_per_command(self) -> float:
        return 1000 * self.bot_cpu / max(1, self.result.completed)

    def latencies(self, chart: bool | None = None) -> list[float]:
        out: list[float] = []
        for label, xs in self.result.latencies.items():
            if chart is None or is_chart(label) == chart:
                out += xs
        return out


@dataclass
class LoadReport:
    config: LoadConfig
    phases: dict[str, Phase] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    cold_chart_ms: dict[str, float] = field(default_factory=dict)
    pinned: str = ""
    load_before: str = ""
    load_after: str = ""
    measured_at: str = field(default_factory=lambda: f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


FINDINGS = (
    "What the profiles (cProfile, py-spy) found and what was changed. 25 Nov: PTB's default httpx client "
    "spent about 70% of a bare echo reply's CPU scanning httpcore's connection pool; the bot talks to the "
    "Bot API through an aiohttp keep-alive pool (`bot/telegram_http.py`, about a fifth of the CPU per "
    "request). Every reply's length was measured by building one object per character; it is counted "
    "directly. Charts were laid out by matplotlib's constrained layout (which draws twice) on the event "
    "loop: now fixed margins, a cache keyed on the chart's data, and a worker thread. `/positions` read "
    "each leg's Greeks through a pandas `set_index` per position; now from a per-snapshot index. Read "
    "views are shared at the same desk state (`bot/views.py`). 7 Dec: the tail at 300/s was garbage "
    "collection, not the snapshot: a gen-2 pass walked the ~390,000 objects alive after start-up "
    "(130-270 ms with the loop stopped); the bot now freezes them out of later passes once start-up is "
    "done (`core/ops/heap.py`; pauses are the `niftybot_gc_pause_seconds` metric). The desk version "
    "that keys the shared views was one query over seven tables on every command (about a fifth of a "
    "text command's CPU); this process's writes are now counted by the engine's events "
    "(`core/persistence/writes.py`) and the database is asked at most once a second for other processes' "
    "changes. `/drawdown` wrote the risk row's `updated_at` on every look, which changed the desk version "
    "and emptied every shared view about once per seven commands; a look that changes nothing now writes "
    "nothing. The market snapshot build and the scheduler's jobs yield to the loop between their CPU "
    "steps (one expiry's IV, Greeks and analytics; the technicals; the vol picture), so a refresh no "
    "longer holds the commands behind it for its 30-60 ms. What remains per text command is about 1 ms "
    "of PTB itself (update parsing, dispatch, the reply's Message object) plus 0.2-1.5 ms of ours."
)


def is_chart(label: str) -> bool:
    return label in CHART_LABELS


def pct(xs: list[float], q: float) -> float:
    """The q-quantile in milliseconds (nearest rank); NaN without samples."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return 1000 * s[min(len(s) - 1, max(0, round(q * len(s)) - 1))]


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


async def _lag(samples: list[float], every: float = 0.01) -> None:
    """How late the bot's event loop wakes a 10 ms sleeper: the time nothing else could run."""
    loop = asyncio.get_running_loop()
    while True:
        t = loop.time()
        await asyncio.sleep(every)
        samples.append(max(0.0, loop.time() - t - every))


async def _phase(emu: EmulatorProcess, name: str, cmd: str, **kw: Any) -> Phase:
    stalls: list[float] = []
    watcher = asyncio.create_task(_lag(stalls))
    pauses = GcPauses().install()
    c0 = time.process_time()
    try:
        result: PhaseResult = await emu.call(cmd, **kw)
    finally:
        watcher.cancel()
        pauses.uninstall()
    return Phase(name, result, time.process_time() - c0, stalls, pauses.stats())


def _cold_charts(bot: Any) -> dict[str, float]:
    """One uncached render of each chart the load uses, in ms (what a cache miss costs)."""
    from bot.render import charts

    app = bot.bc.app
    out: dict[str, float] = {}
    report = app.reports.pnl("day")
    snap = app.market.latest
    position = next(iter(app.desk.open_positions()), None)
    jobs = {
        "equity chart": lambda: (
            charts.equity_chart(report.equity_curve) if len(report.equity_curve) > 1 else None
        ),
        "IV smile + OI chart": lambda: charts.chain_chart(snap.chain()) if snap and snap.chain() else None,
        "payoff chart": lambda: (
            charts.position_payoff_chart(position, snap.spot.last if snap and snap.spot else None)
            if position
            else None
        ),
    }
    for name, job in jobs.items():
        charts.clear_cache()
        t0 = time.perf_counter()
        if job() is not None:
            out[name] = 1000 * (time.perf_counter() - t0)
    return out


async def measure(cfg: LoadConfig) -> LoadReport:
    report = LoadReport(cfg, load_before=_loadavg())
    users = load_users(cfg.users)
    chart_chats = users[: cfg.chart_chats]
    two_cores = (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity")
    pin = cfg.pin and two_cores
    old_affinity = os.sched_getaffinity(0) if pin else None
    if pin:
        os.sched_setaffinity(0, {0})
        report.pinned = "bot process on CPU 0, emulator process on CPU 1"
    else:
        report.pinned = "not pinned"
    emu = EmulatorProcess(cpu=1 if pin else None)
    try:
        emu.start()
        await emu.call("add_chats", ids=[*users, ADMIN, DESK_CHAT])

        # This process imported the whole bot; a bare echo bot's process would hold a fraction of those
        # objects, so they are frozen out of the peer's garbage collections as the bot freezes its own.
        if cfg.freeze_heap:
            freeze_startup_heap()
        echo = await start_echo_bot(emu.base_url)
        try:
            report.phases["peer closed"] = await _phase(
                emu, "peer closed", "closed_loop", chats=users, ops=ECHO_OPS, seconds=cfg.closed_seconds
            )
            report.phases["peer open"] = await _phase(
                emu,
                "peer open",
                "open_loop",
                chats=users,
                ops=ECHO_OPS,
                rate=cfg.rate,
                seconds=cfg.open_seconds,
            )
        finally:
            await stop_echo_bot(echo)

        with tempfile.TemporaryDirectory(prefix="niftybot-load-") as tmp:
            bot = await start_desk_bot(
                emu.base_url, Path(tmp), users, at=at(25, *cfg.seed_from), freeze_heap=cfg.freeze_heap
            )
            try:
                for _ in range(cfg.seed_minutes):
                    if "scan" in await bot.step(1):
                        await bot.approve_all()
                await bot.go_live()
                await emu.call("remember", name="chain", chats=chart_chats, text="/chain", button="v1:cg:")
                chart_ops = list(CHART_OPS)
                if len(bot.bc.app.reports.pnl("day").equity_curve) < 2:
                    chart_ops.remove(CHART_OPS[0])  # /pnl sends no chart yet
                if bot.bc.app.desk.open_positions():
                    await emu.call(
                        "remember", name="positions", chats=chart_chats, text="/positions", button="v1:pp:"
                    )
                else:
                    chart_ops.remove(CHART_OPS[2])
                report.phases["bot closed"] = await _phase(
                    emu, "bot closed", "closed_loop", chats=users, ops=TEXT_OPS, seconds=cfg.closed_seconds
                )
                report.phases["bot open"] = await _phase(
                    emu,
                    "bot open",
                    "open_loop",
                    chats=users,
                    ops=TEXT_OPS,
                    rate=cfg.rate,
                    seconds=cfg.open_seconds,
                )
                for rate in cfg.sweep:
                    report.phases[f"bot open {rate:.0f}"] = await _phase(
                        emu,
                        "sweep",
                        "open_loop",
                        chats=users,
                        ops=TEXT_OPS,
                        rate=rate,
                        seconds=cfg.sweep_seconds,
                    )
                report.phases["charts open"] = await _phase(
                    emu,
                    "charts open",
                    "open_loop",
                    chats=chart_chats,
                    ops=chart_ops,
                    rate=cfg.chart_rate,
                    seconds=cfg.chart_seconds,
                )
                if cfg.per_command_seconds > 0:
                    for op in TEXT_OPS:
                        report.phases[f"only {op.text}"] = await _phase(
                            emu,
                            op.text,
                            "closed_loop",
                            chats=users,
                            ops=[op],
                            seconds=cfg.per_command_seconds,
                        )
                report.cold_chart_ms = _cold_charts(bot)
                report.violations = (await emu.call("stats"))["violations"]
            finally:
                await bot.stop()
    finally:
        emu.stop()
        if old_affinity is not None:
            os.sched_setaffinity(0, old_affinity)
    report.load_after = _loadavg()
    return report


# ---- the docs section -----------------------------------------------------------------------------
def _row(name: str, ph: Phase, chart: bool | None = None) -> str:
    xs = ph.latencies(chart)
    r = ph.result
    return (
        f"| {name} | {r.completed:,} | {ph.throughput:,.0f} | {ph.cpu_ms_per_command:.2f} | "
        f"{1000 / ph.cpu_ms_per_command if ph.cpu_ms_per_command else 0:,.0f} | "
        f"{pct(xs, 0.50):.1f} | {pct(xs, 0.95):.1f} | {pct(xs, 0.99):.1f} | {r.errors} | {r.unfinished + r.dropped} |"
    )


def render(rep: LoadReport, command: str) -> str:
    ph = rep.phases
    cfg = rep.config
    text_open, peer_open = ph["bot open"], ph["peer open"]
    text_p95 = pct(text_open.latencies(False), 0.95)
    chart_p95 = pct(ph["charts open"].latencies(True), 0.95)
    capacity = 1000 / ph["bot closed"].cpu_ms_per_command
    peer_capacity = 1000 / ph["peer closed"].cpu_ms_per_command
    lines = [
        "## Load",
        "",
        f"`{command}` — {cfg.users} allowlisted users, each in a private chat, commanding the real bot "
        "(PTB polling + desk + simulator + SQLite file) through the Telegram emulator; the desk was "
        f"seeded with {cfg.seed_minutes} trading minutes from {cfg.seed_from[0]:02d}:{cfg.seed_from[1]:02d} IST (scans, approved positions, marks) and runs live "
        "(clock at real speed, scheduler and outbox jobs on). The emulator and the users run in a "
        f"separate process ({rep.pinned}). Load average {rep.load_before} before, {rep.load_after} after "
        f"(measured {rep.measured_at}; 2 cores shared with other jobs: wall-clock figures are noisy; CPU "
        "per command is the bot process's own `time.process_time()`). PTB's AIORateLimiter is off: it "
        "holds sends to Telegram's 30 messages/s, which would cap every figure here at 30/s; this "
        "measures what the bot itself can answer.",
        "",
        "Latency: from the user's update being queued in the emulator to the bot's reply arriving there "
        f"(ms). Closed loop: every chat keeps one command outstanding (throughput = what the bot answers). "
        f"Open loop: commands arrive at {cfg.rate:.0f}/s (Poisson) in idle chats. Text commands: "
        + ", ".join(f"`{c}`" for c in TEXT_COMMANDS)
        + " (`/pnl` counts its text reply here). Charts: `/pnl`'s equity chart, the chain view's "
        "IV smile + OI button and a position's payoff button (to the photo).",
        "",
        "| phase | commands | per s (wall) | bot CPU ms/command | per CPU-second | p50 ms | p95 ms | p99 ms | errors | lost |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        _row("peer: bare PTB echo, closed loop", ph["peer closed"]),
        _row(f"peer: bare PTB echo, open loop {cfg.rate:.0f}/s", peer_open),
        _row("niftybot text commands, closed loop", ph["bot closed"]),
        _row(f"niftybot text commands, open loop {cfg.rate:.0f}/s", text_open, False),
        _row(
            f"niftybot charts, open loop {cfg.chart_rate:.0f}/s ({cfg.chart_chats} chats)",
            ph["charts open"],
            True,
        ),
        "",
        "| goal | measured | |",
        "|---|---:|---|",
        f"| ≥ {TARGET_RATE:.0f} text commands/s on one core | {capacity:,.0f}/CPU-s "
        f"({ph['bot closed'].throughput:,.0f}/s wall) | {'met' if capacity >= TARGET_RATE else 'NOT met'} |",
        f"| text p95 < {TARGET_TEXT_P95_MS:.0f} ms at {cfg.rate:.0f}/s | {text_p95:.1f} ms | "
        f"{'met' if text_p95 < TARGET_TEXT_P95_MS else 'NOT met'} |",
        f"| chart p95 < {TARGET_CHART_P95_MS:.0f} ms | {chart_p95:.1f} ms | "
        f"{'met' if chart_p95 < TARGET_CHART_P95_MS else 'NOT met'} |",
        f"| ratio to the peer (CPU per command, lower is better) | "
        f"{ph['bot closed'].cpu_ms_per_command / ph['peer closed'].cpu_ms_per_command:.2f} | "
        f"peer {peer_capacity:,.0f}/CPU-s |",
        "",
        "Per command (open loop), p50 / p95 / p99 ms: "
        + "; ".join(
            f"`{label}` {pct(xs, 0.5):.1f} / {pct(xs, 0.95):.1f} / {pct(xs, 0.99):.1f}"
            for label, xs in sorted(
                {**text_open.result.latencies, **ph["charts open"].result.latencies}.items()
            )
        )
        + ".",
    ]
    if rep.cold_chart_ms:
        lines += [
            "",
            "Uncached chart renders (a cache miss; the same data renders once, then comes from the cache): "
            + ", ".join(f"{k} {v:.0f} ms" for k, v in rep.cold_chart_ms.items())
            + ".",
        ]
    sweep = [(r, ph[f"bot open {r:.0f}"]) for r in cfg.sweep] + [(cfg.rate, text_open)]
    if len(sweep) > 1:
        lines += [
            "",
            "Text latency by arrival rate (open loop), p50 / p95 / p99 ms and bot CPU share of one core: "
            + "; ".join(
                f"{r:.0f}/s: {pct(p.latencies(False), 0.5):.1f} / {pct(p.latencies(False), 0.95):.1f} / "
                f"{pct(p.latencies(False), 0.99):.1f} ({100 * p.bot_cpu / p.result.seconds:.0f}% CPU)"
                for r, p in sorted(sweep, key=lambda x: x[0])
            )
            + ".",
        ]
    per = {k: v for k, v in ph.items() if k.startswith("only ")}
    if per:
        lines += [
            "",
            "Bot CPU per command, each alone in a closed loop: "
            + ", ".join(f"`{k[5:]}` {v.cpu_ms_per_command:.2f} ms" for k, v in per.items())
            + ".",
        ]
    lines += [
        "",
        "Longest event-loop stall of the bot per phase (a 10 ms sleeper woken late: garbage collection, "
        "the scheduler's minute refresh between its yields, a chart upload, or the machine's other "
        "processes): "
        + ", ".join(f"{k} {v.max_stall_ms:.0f} ms" for k, v in ph.items() if not k.startswith("only "))
        + ".",
    ]
    lines += [
        "",
        "Garbage collections of the bot process per phase (full passes, longest pause of any): "
        + ", ".join(
            f"{k} {v.gc.count[2]} full, {1000 * max(v.gc.longest):.0f} ms"
            for k, v in ph.items()
            if v.gc is not None and not k.startswith("only ")
        )
        + ".",
    ]
    lines += [
        "",
        f"Bot API requests refused by the emulator as malformed: {len(rep.violations)}.",
        "",
        FINDINGS,
    ]
    return "\n".join(lines)


def run(quick: bool = True) -> str:
    cfg = (
        LoadConfig()
        if quick
        else LoadConfig(closed_seconds=15, open_seconds=20, chart_seconds=20, per_command_seconds=4)
    )
    rep = asyncio.run(measure(cfg))
    return render(rep, "python -m benchmarks load" + ("" if quick else " --full"))
