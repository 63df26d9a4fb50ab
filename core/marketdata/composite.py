"""Sources composed behind the one port.

- :class:`LiveSource` (``MARKET_DATA=kite``): Kite for quotes, expiries, chains and candles; Yahoo for
  daily history and global cues. ``part_sources`` tells the engine which source each snapshot part
  came from, so freshness and failures are reported against the right name.
- :class:`GuardedSource`: puts a source that has no guards of its own (the simulator) behind a circuit
  breaker and rate limit like every other source, so fault tests and ``/health`` treat it the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar

import pandas as pd

from core.domain.market import GlobalCue, IndexQuote
from core.marketdata.ports import MarketDataSource
from core.resilience.guard import GuardRegistry

T = TypeVar("T")


class LiveSource:
    name = "kite+yahoo"

    def __init__(self, kite: Any, yahoo: Any) -> None:
        self.kite = kite
        self.yahoo = yahoo
        self.part_sources = {
            "spot": "kite",
            "vix": "kite",
            "chain": "kite",
            "candles": "kite",
            "global": "yahoo",
            "vol": "yahoo",
        }

    async def index_quote(self, symbol: str, now: datetime) -> IndexQuote:
        return await self.kite.index_quote(symbol, now)  # type: ignore[no-any-return]

    async def expiries(self, now: datetime) -> list[date]:
        return await self.kite.expiries(now)  # type: ignore[no-any-return]

    async def chain(self, expiry: date, center: float, window: int, now: datetime) -> pd.DataFrame:
        return await self.kite.chain(expiry, center, window, now)  # type: ignore[no-any-return]

    async def chains(
        self, expiries: list[date], center: float, window: int, now: datetime
    ) -> dict[date, pd.DataFrame]:
        return await self.kite.chains(expiries, center, window, now)  # type: ignore[no-any-return]

    async def candles(self, now: datetime) -> pd.DataFrame:
        return await self.kite.candles(now)  # type: ignore[no-any-return]

    async def daily_history(self, symbol: str, now: datetime, days: int) -> pd.DataFrame:
        return await self.yahoo.daily_history(symbol, now, days)  # type: ignore[no-any-return]

    async def global_cues(self, now: datetime) -> list[GlobalCue]:
        return await self.yahoo.global_cues(now)  # type: ignore[no-any-return]


class GuardedSource:
    """Every port call of ``inner`` through ``registry.guard(name)``."""

    def __init__(
        self, inner: MarketDataSource, registry: GuardRegistry, guard_name: str = "simulator"
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self._guard = registry.guard(guard_name)

    async def _call(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        return await self._guard.call(fn, what=what)

    async def index_quote(self, symbol: str, now: datetime) -> IndexQuote:
        return await self._call(symbol, lambda: self.inner.index_quote(symbol, now))

    async def expiries(self, now: datetime) -> list[date]:
        return await self._call("expiries", lambda: self.inner.expiries(now))

    async def chain(self, expiry: date, center: float, window: int, now: datetime) -> pd.DataFrame:
        return await self._call(f"chain {expiry}", lambda: self.inner.chain(expiry, center, window, now))

    async def candles(self, now: datetime) -> pd.DataFrame:
        return await self._call("candles", lambda: self.inner.candles(now))

    async def daily_history(self, symbol: str, now: datetime, days: int) -> pd.DataFrame:
        return await self._call(f"{symbol} history", lambda: self.inner.daily_history(symbol, now, days))

    async def global_cues(self, now: datetime) -> list[GlobalCue]:
        return await self._call("global cues", lambda: self.inner.global_cues(now))

    def iv_history(self, now: datetime, days: int = 252) -> pd.Series:
        return self.inner.iv_history(now, days)  # type: ignore[attr-defined,no-any-return]
