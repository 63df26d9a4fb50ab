"""The composition root: one place that wires settings, config, database, sources and services.

The bot, the CLI, the demo, the replay and the tests all build the app through :func:`build_app`, so they
share one wiring; tests pass fakes (a clock, a market source) instead of patching module paths.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.config.schema import NiftyConfig
from core.config.settings import MarketDataSource, Settings
from core.domain.market import DataStatus, MarketSnapshot
from core.errors import NiftyBaseError
from core.market_hours import NSECalendar, default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.factory import build_clock, build_source
from core.paper.audit import DecisionBuffer
from core.persistence.db import make_engine, session_factory, transaction, upgrade
from core.persistence.writes import WriteCounter
from core.resilience import BreakerEvent, BreakerState, GuardRegistry
from core.services.desk import DeskService
from core.services.events import EventKind, record_event
from core.services.market import MarketService
from core.services.reports import ReportService
from core.strategies.registry import build_algorithms

log = logging.getLogger(__name__)


def _breaker_events(factory: sessionmaker[Session], clock: Clock) -> Callable[[BreakerEvent], None]:
    """A data source's breaker opening or closing, or a source refusing our credentials, becomes an
    outbox event (an alert, deduplicated).

    One alert per outage: a failed trial call (HALF_OPEN → OPEN) is the same outage going on, so it is
    not announced again; the next alert is "back" (→ CLOSED)."""

    def on_change(event: BreakerEvent) -> None:
        if event.kind == "state":
            if event.new is BreakerState.HALF_OPEN:
                return
            if event.old is BreakerState.HALF_OPEN and event.new is BreakerState.OPEN:
                return
        # A refused credential is announced once ("auth"); accepted again, it is "back" (closed).
        state = "auth" if event.kind == "auth" else event.new.value
        now = clock.now()
        try:
            with transaction(factory) as s:
                record_event(
                    s,
                    EventKind.BREAKER,
                    now,
                    {"source": event.name, "state": state, "reason": event.reason},
                    dedupe_key=f"breaker:{event.name}:{state}:{int(now.timestamp()) // 60}",
                )
        except Exception:
            log.exception("could not record the breaker event")

    return on_change


def _iv_recorder(store: Any) -> Callable[[MarketSnapshot], None]:
    """Store the near expiry's ATM IV and India VIX from each snapshot (5-minute slots, bounded)."""

    def record(snap: MarketSnapshot) -> None:
        chain = snap.chain()
        if chain is None or chain.analytics is None or chain.analytics.atm_iv is None:
            return
        if snap.parts.get("chain") is None or snap.parts["chain"].status is not DataStatus.FRESH:
            return
        try:
            store.record(
                snap.taken_at,
                chain.analytics.atm_iv * 100.0,
                india_vix=snap.vix.last if snap.vix else None,
                spot=snap.spot.last if snap.spot else None,
                expiry=chain.expiry,
            )
        except NiftyBaseError as exc:
            log.warning("IV history: %s", exc.user_message)

    return record


@dataclass
class App:
    settings: Settings
    config: NiftyConfig
    calendar: NSECalendar
    clock: Clock
    engine: Engine
    factory: sessionmaker[Session]
    guards: GuardRegistry
    source: Any
    market: MarketService
    desk: DeskService
    reports: ReportService
    audit: DecisionBuffer = field(default_factory=DecisionBuffer)


def build_app(
    settings: Settings,
    config: NiftyConfig,
    *,
    clock: Clock | None = None,
    source: Any = None,
    engine: Engine | None = None,
    calendar: NSECalendar | None = None,
    migrate: bool = True,
    record: bool | None = None,
    guards: GuardRegistry | None = None,
    yahoo_fetcher: Any = None,
) -> App:
    """Wire the app. ``record``: attach the snapshot recorder (``core.recording``); by default it
    records when ``recording.enabled`` and the market data is live (``MARKET_DATA=kite``), since
    simulated chains can be regenerated at will. Tests may pass a ``guards`` registry built on a fake
    monotonic clock (breaker recovery without sleeping); it must be built from ``config.engine``; and a
    ``yahoo_fetcher`` in place of yfinance (``MARKET_DATA=kite`` with recorded Yahoo frames)."""
    calendar = calendar or default_calendar()
    live = source is None and settings.market_data is MarketDataSource.KITE
    clock = clock or build_clock(settings)
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    factory = session_factory(engine)
    guards = guards or GuardRegistry(config.engine)
    guards.add_breaker_listener(_breaker_events(factory, clock))
    if source is None:
        source, iv_history = build_source(
            settings, calendar, registry=guards, engine=engine, now=clock.now(), yahoo_fetcher=yahoo_fetcher
        )
    else:
        iv_history = source if hasattr(source, "iv_history") else None
    snapshots = SnapshotEngine(source, calendar, config, iv_history=iv_history)
    market = MarketService(snapshots, clock)
    if hasattr(iv_history, "record"):
        market.add_listener(_iv_recorder(iv_history))
    if record if record is not None else (config.recording.enabled and live):
        from core.recording.recorder import recorder_for

        market.add_listener(
            recorder_for(
                config.recording.directory,
                config.recording.retention_days,
                snapshots,
                source_name=getattr(source, "name", "unknown"),
                strike_window=config.options_desk.strike_window,
                calendar=calendar,
            )
        )
    audit = DecisionBuffer()
    desk = DeskService(
        factory=factory,
        config=config,
        calendar=calendar,
        clock=clock,
        market=market,
        algorithms=build_algorithms(config),
        audit=audit,
    )
    reports = ReportService(factory=factory, config=config, clock=clock, writes=WriteCounter(engine))
    return App(
        settings, config, calendar, clock, engine, factory, guards, source, market, desk, reports, audit
    )
