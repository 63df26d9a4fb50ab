"""The composition root: one place that wires settings, config, database, sources and services.

The bot, the CLI, the demo, the replay and the tests all build the app through :func:`build_app`, so they
share one wiring; tests pass fakes (a clock, a market source) instead of patching module paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.config.schema import NiftyConfig
from core.config.settings import Settings
from core.market_hours import NSECalendar, default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.factory import build_clock, build_source
from core.marketdata.ports import MarketDataSource
from core.paper.audit import DecisionBuffer
from core.persistence.db import make_engine, session_factory, upgrade
from core.resilience import GuardRegistry
from core.services.desk import DeskService
from core.services.market import MarketService
from core.services.reports import ReportService
from core.strategies.registry import build_algorithms


@dataclass
class App:
    settings: Settings
    config: NiftyConfig
    calendar: NSECalendar
    clock: Clock
    engine: Engine
    factory: sessionmaker[Session]
    guards: GuardRegistry
    source: MarketDataSource
    market: MarketService
    desk: DeskService
    reports: ReportService
    audit: DecisionBuffer = field(default_factory=DecisionBuffer)


def build_app(
    settings: Settings,
    config: NiftyConfig,
    *,
    clock: Clock | None = None,
    source: MarketDataSource | None = None,
    engine: Engine | None = None,
    calendar: NSECalendar | None = None,
    migrate: bool = True,
) -> App:
    calendar = calendar or default_calendar()
    clock = clock or build_clock(settings)
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    factory = session_factory(engine)
    guards = GuardRegistry(config.engine)
    source = source or build_source(settings, calendar)
    iv_history = source if hasattr(source, "iv_history") else None
    snapshots = SnapshotEngine(source, calendar, config, iv_history=iv_history)  # type: ignore[arg-type]
    market = MarketService(snapshots, clock)
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
    reports = ReportService(factory=factory, config=config, clock=clock)
    return App(
        settings, config, calendar, clock, engine, factory, guards, source, market, desk, reports, audit
    )
