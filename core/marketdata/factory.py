"""Choose the market-data source from settings."""

from __future__ import annotations

from core.clock import Clock, ScaledClock, SystemClock
from core.config.settings import MarketDataSource as SourceName
from core.config.settings import Settings
from core.errors import ConfigError
from core.market_hours import NSECalendar
from core.marketdata.simulator import SimulatedMarket


def build_source(settings: Settings, calendar: NSECalendar) -> SimulatedMarket:
    if settings.market_data is SourceName.SIMULATED:
        return SimulatedMarket(calendar, seed=settings.sim_seed)
    raise ConfigError(
        "MARKET_DATA=kite is not available in this build yet (the Kite adapter is issue 4's open part); "
        "use MARKET_DATA=simulated."
    )


def build_clock(settings: Settings) -> Clock:
    """The simulator's clock: SIM_START/SIM_SPEED when set, else the wall clock."""
    if settings.sim_start is not None:
        start = settings.sim_start
        if start.tzinfo is None:
            raise ConfigError("SIM_START needs a UTC offset, e.g. 2026-11-25T09:15:00+05:30")
        return ScaledClock(start, settings.sim_speed)
    return SystemClock()
