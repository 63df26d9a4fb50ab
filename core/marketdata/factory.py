"""Choose the market-data source from settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from core.clock import Clock, ScaledClock, SystemClock
from core.config.settings import MarketDataSource as SourceName
from core.config.settings import Settings
from core.errors import ConfigError
from core.market_hours import NSECalendar
from core.marketdata.simulator import SimulatedMarket
from core.resilience.guard import GuardRegistry


def build_source(
    settings: Settings,
    calendar: NSECalendar,
    *,
    registry: GuardRegistry | None = None,
    engine: Engine | None = None,
    now: Any = None,
    yahoo_fetcher: Any = None,
) -> tuple[Any, Any]:
    """(source, IV-history provider) for MARKET_DATA.

    simulated: the simulator (its own IV history), behind the "simulator" guard when a registry is given.
    kite: Kite (quotes, chains, candles; the access token from KITE_ACCESS_TOKEN or the stored daily
    login) with Yahoo (history, global cues) and the IV history store in the database. ``yahoo_fetcher``
    replaces yfinance behind the Yahoo source (tests use recorded frames there).
    """
    if settings.market_data is SourceName.SIMULATED:
        market = SimulatedMarket(calendar, seed=settings.sim_seed)
        if registry is None:
            return market, market
        from core.marketdata.composite import GuardedSource

        guarded = GuardedSource(market, registry)
        return guarded, guarded
    if registry is None or engine is None:
        raise ConfigError("MARKET_DATA=kite needs the database and the resilience registry")
    from core.marketdata.composite import LiveSource
    from core.marketdata.iv_history import IVHistoryStore
    from core.marketdata.kite import KiteSource
    from core.marketdata.kite_session import KiteSessionStore
    from core.marketdata.yahoo import YahooSource, YFinanceFetcher
    from core.persistence.db import session_factory

    sessions = session_factory(engine)
    token = settings.kite_access_token or (
        KiteSessionStore(sessions).current(now) if now is not None else None
    )
    kite = KiteSource.from_settings(
        settings, registry=registry, sessions=sessions, calendar=calendar, access_token=token
    )
    yahoo = YahooSource(yahoo_fetcher or YFinanceFetcher(), engine, registry, calendar=calendar)
    return LiveSource(kite, yahoo), IVHistoryStore(engine)


def build_clock(settings: Settings) -> Clock:
    """The simulator's clock: SIM_START/SIM_SPEED when set, else the wall clock."""
    if settings.sim_start is not None:
        start = settings.sim_start
        if start.tzinfo is None:
            raise ConfigError("SIM_START needs a UTC offset, e.g. 2026-11-25T09:15:00+05:30")
        return ScaledClock(start, settings.sim_speed)
    return SystemClock()
