"""Drive the real desk over past days: no second implementation of the trading logic.

The app is built with :func:`core.bootstrap.build_app` (same snapshot engine, algorithms, gates,
``DeskService``, monitor exits and charges as the bot) on a throwaway SQLite database, with a
:class:`~core.clock.FixedClock` stepped one minute at a time through each NSE session and a market
source that needs no network: the simulator or a recording (:mod:`core.recording.source`).

Each minute while the F&O market is open, as the bot's scheduler does (``bot/jobs.py``): the monitor
runs; inside the entry window a scan runs every ``scan_interval_minutes``; every suggestion the scan
stores (it passed the gates) and that matches the :class:`ApprovalRule` is approved as user
``REPLAY_USER`` through ``DeskService.approve`` (re-priced, re-gated). No Telegram, no commentary.

Speed (``fast=True``, the default) changes no result, only what is computed: on minutes with no scan
the market service builds a quotes-only snapshot with the chains of the open positions' expiries
(all the monitor reads), and the day's fixed inputs (daily bars, IV history, global cues) are fetched
once per day. ``fast=False`` builds the full snapshot every minute like the live bot; a test checks
both give the same trades.
"""

from __future__ import annotations

import logging
import tempfile
import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from core.bootstrap import build_app
from core.clock import IST, FixedClock
from core.config.schema import NiftyConfig
from core.config.settings import Settings
from core.domain.trading import EquityPoint, Position, Suggestion
from core.errors import ConfigError
from core.market_hours import NSECalendar, default_calendar
from core.marketdata.simulator import SimulatedMarket
from core.persistence.db import make_engine
from core.persistence.desk_repo import desk_uow
from core.recording.recorder import recorder_for
from core.recording.source import RecordedSource
from core.services.results import Outcome

log = logging.getLogger(__name__)

REPLAY_USER = 0  # the "trader" a replay approves as; audit rows show it
SourceKind = Literal["simulated", "recorded"]


@dataclass(frozen=True)
class ApprovalRule:
    """Which stored suggestions a replay approves: all of them by default (they passed the gates),
    or those scoring at least ``min_score`` and, when ``structures`` is set, of those kinds."""

    min_score: float | None = None
    structures: frozenset[str] = frozenset()

    def matches(self, s: Suggestion) -> bool:
        if self.min_score is not None and s.score < self.min_score:
            return False
        return not self.structures or s.structure.kind.value in self.structures

    def describe(self) -> str:
        parts = []
        if self.min_score is not None:
            parts.append(f"score ≥ {self.min_score:g}")
        if self.structures:
            parts.append("structures " + ", ".join(sorted(self.structures)))
        return "every suggestion that passed the gates" + (f" with {' and '.join(parts)}" if parts else "")


@dataclass(frozen=True)
class ReplayRequest:
    """What to replay. Dates are IST trading days, inclusive; ``window`` limits each session to
    ``[start, end)`` IST (tests and quick looks)."""

    start: date
    end: date
    source: SourceKind = "simulated"
    algorithms: tuple[str, ...] = ()  # empty: every algorithm enabled in the config
    approve: ApprovalRule = ApprovalRule()
    recordings: Path | None = None  # default: config.recording.directory
    seed: int = 7
    fast: bool = True
    window: tuple[time, time] | None = None
    record_to: Path | None = None  # also record every snapshot built (a recorded "live" run)


@dataclass(frozen=True)
class ReplayRun:
    """The raw outcome of a replay: every position (open and closed), the regime each was suggested
    in, the equity curve (one point per monitor minute and per fill) and counters."""

    request: ReplayRequest
    algorithms: tuple[str, ...]
    days: tuple[date, ...]
    skipped: tuple[tuple[date, str], ...]
    positions: tuple[Position, ...]
    regimes: dict[int, str]
    equity: tuple[EquityPoint, ...]
    capital: Decimal
    steps: int = 0
    scans: int = 0
    suggested: int = 0
    approved: int = 0
    refused: int = 0
    refusals: tuple[str, ...] = ()
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _select_algorithms(config: NiftyConfig, names: tuple[str, ...]) -> NiftyConfig:
    if not names:
        return config
    unknown = [n for n in names if n not in config.algorithms]
    if unknown:
        known = ", ".join(sorted(config.algorithms))
        raise ConfigError(f"Unknown algorithm {', '.join(unknown)}; the config has {known}.")
    algos = {name: a.model_copy(update={"enabled": name in names}) for name, a in config.algorithms.items()}
    return config.model_copy(update={"algorithms": algos})


def _days(
    request: ReplayRequest, calendar: NSECalendar, source: Any
) -> tuple[list[date], list[tuple[date, str]]]:
    if request.end < request.start:
        raise ConfigError(f"--to {request.end} is before --from {request.start}.")
    days = calendar.trading_days_between(request.start, request.end)
    if not isinstance(source, RecordedSource):
        return days, []
    recorded = set(source.days())
    skipped = [(d, "no recording") for d in days if d not in recorded]
    return [d for d in days if d in recorded], skipped


def _minutes(day: date, calendar: NSECalendar, window: tuple[time, time] | None) -> list[datetime]:
    session = calendar.session(day)
    if session is None:
        return []
    start, end = session.open, session.close
    if window is not None:
        start = max(start, datetime.combine(day, window[0], IST))
        end = min(end, datetime.combine(day, window[1], IST))
    out = []
    t = start
    while t < end:
        out.append(t)
        t += timedelta(minutes=1)
    return out


async def run_replay(
    request: ReplayRequest,
    config: NiftyConfig,
    *,
    engine: Engine | None = None,
    calendar: NSECalendar | None = None,
) -> ReplayRun:
    """Replay ``request`` with ``config`` (the algorithms not asked for are disabled).

    ``engine``: a migrated-or-empty database to use instead of a throwaway SQLite file (tests pass the
    PostgreSQL fixture); it should be empty, since the desk's state carries into the replay.
    """
    wall0, cpu0 = _time.perf_counter(), _time.process_time()
    calendar = calendar or default_calendar()
    config = _select_algorithms(config, request.algorithms)
    names = tuple(n for n, a in config.algorithms.items() if a.enabled)
    source: Any
    if request.source == "recorded":
        source = RecordedSource(request.recordings or config.recording.directory)
    elif request.source == "simulated":
        source = SimulatedMarket(calendar, seed=request.seed)
    else:
        raise ConfigError(f"Unknown replay source {request.source!r}; use simulated or recorded.")
    days, skipped = _days(request, calendar, source)
    with tempfile.TemporaryDirectory(prefix="niftybot-replay-") as tmp:
        own = engine is None
        db = engine if engine is not None else make_engine(f"sqlite:///{Path(tmp) / 'replay.db'}")
        try:
            run = await _drive(request, config, calendar, source, db, days, names)
        finally:
            if own:
                db.dispose()
    return ReplayRun(
        request=request,
        algorithms=names,
        days=tuple(days),
        skipped=tuple(skipped),
        wall_seconds=_time.perf_counter() - wall0,
        cpu_seconds=_time.process_time() - cpu0,
        **run,
    )


async def _drive(
    request: ReplayRequest,
    config: NiftyConfig,
    calendar: NSECalendar,
    source: Any,
    db: Engine,
    days: list[date],
    names: tuple[str, ...],
) -> dict[str, Any]:
    session = calendar.session(days[0]) if days else None
    clock = FixedClock(session.open if session else datetime.combine(request.start, time(9, 15), IST))
    # The database is the engine passed in; the URL here is for display only.
    settings = Settings(_env_file=None, database_url=str(db.url))
    app = build_app(settings, config, clock=clock, source=source, engine=db, calendar=calendar)
    app.market.engine.cache_daily = request.fast
    recorder = None
    if request.record_to is not None:
        recorder = recorder_for(
            request.record_to,
            config.recording.retention_days,
            app.market.engine,
            source_name=getattr(source, "name", "unknown"),
            strike_window=config.options_desk.strike_window,
            calendar=calendar,
        )
        app.market.add_listener(recorder)
    desk_cfg = config.options_desk
    interval = timedelta(minutes=desk_cfg.scan_interval_minutes)
    open_legs: dict[int, tuple[date, tuple[float, ...]]] = {}  # position id -> (expiry, strikes)
    counts = {"steps": 0, "scans": 0, "suggested": 0, "approved": 0, "refused": 0}
    refusals: list[str] = []
    last_scan: datetime | None = None
    for day in days:
        for now in _minutes(day, calendar, request.window):
            clock.set(now)
            counts["steps"] += 1
            local = now.time()
            scan_due = desk_cfg.entry_window_start <= local <= desk_cfg.entry_window_end and (
                last_scan is None or now - last_scan >= interval
            )
            if request.fast and not scan_due and open_legs:
                wanted: dict[date, set[float]] = {}
                for expiry, strikes in open_legs.values():
                    wanted.setdefault(expiry, set()).update(strikes)
                await app.market.quotes(sorted(wanted), wanted)
            report = await app.desk.monitor()
            for ex in report.exits:
                open_legs.pop(ex.position.id, None)
            if not scan_due:
                continue
            last_scan = now
            counts["scans"] += 1
            scan = await app.desk.scan()
            for s in scan.created:
                counts["suggested"] += 1
                if s.id is None or not request.approve.matches(s):
                    continue
                result = await app.desk.approve(s.id, REPLAY_USER)
                if result.outcome is Outcome.OK and result.position is not None:
                    counts["approved"] += 1
                    pos = result.position
                    open_legs[pos.id] = (pos.expiry, tuple(leg.contract.strike for leg in pos.legs))
                else:
                    counts["refused"] += 1
                    refusals.append(f"{now:%Y-%m-%d %H:%M} {s.algorithm}: {result.message}")
    if recorder is not None:
        recorder.flush()
    with desk_uow(app.factory, write=False) as repo:
        positions = tuple(repo.all_positions())
        regimes: dict[int, str] = {}
        for p in positions:
            origin = repo.get_suggestion(p.suggestion_id) if p.suggestion_id is not None else None
            regimes[p.id] = origin.regime.value if origin is not None else "unknown"
        equity = tuple(repo.equity_points())
    return {
        "positions": positions,
        "regimes": regimes,
        "equity": equity,
        "capital": config.paper_trading.capital,
        "refusals": tuple(refusals),
        **counts,
    }
