"""The market-data port every adapter implements (async, so network adapters need no threads)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

import pandas as pd

from core.domain.market import GlobalCue, IndexQuote

NIFTY = "NIFTY 50"
INDIA_VIX = "INDIA VIX"


class MarketDataSource(Protocol):
    """Quotes and history for NIFTY options. ``now`` is always an aware datetime."""

    name: str

    async def index_quote(self, symbol: str, now: datetime) -> IndexQuote:
        """Latest level of ``NIFTY`` or ``INDIA_VIX``."""
        ...

    async def expiries(self, now: datetime) -> list[date]:
        """Listed NIFTY option expiries on or after today, nearest first."""
        ...

    async def chain(self, expiry: date, center: float, window: int, now: datetime) -> pd.DataFrame:
        """Quotes for ``window`` strikes each side of ``center``: CHAIN_INPUT_COLUMNS."""
        ...

    async def candles(self, now: datetime) -> pd.DataFrame:
        """Today's one-minute NIFTY candles up to ``now`` (open, high, low, close, volume)."""
        ...

    async def daily_history(self, symbol: str, now: datetime, days: int) -> pd.DataFrame:
        """Daily bars (close, high, low) of NIFTY or VIX before today, indexed by date."""
        ...

    async def global_cues(self, now: datetime) -> list[GlobalCue]:
        """Overnight global markets, crude, FX and rates."""
        ...
