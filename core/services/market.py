"""The market service: builds snapshots with the engine, keeps the latest, and tells listeners.

Every front end asks this service, so a /chain, a scan and the position monitor within the same
minute share one snapshot instead of each calling the sources. Concurrent callers wait for the one build
in flight. Listeners (IV history, the recorder, the stale-data alert) run after each build; a failing
listener is logged and never fails the snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import date, datetime

import pandas as pd

from core.clock import IST, Clock
from core.domain.market import MarketSnapshot
from core.marketdata.engine import SnapshotEngine
from core.marketdata.ports import NIFTY

log = logging.getLogger(__name__)

SnapshotListener = Callable[[MarketSnapshot], Awaitable[None] | None]


class MarketService:
    def __init__(self, engine: SnapshotEngine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._latest: MarketSnapshot | None = None
        self._lock = asyncio.Lock()
        self._listeners: list[SnapshotListener] = []

    def add_listener(self, listener: SnapshotListener) -> None:
        self._listeners.append(listener)

    @property
    def latest(self) -> MarketSnapshot | None:
        return self._latest

    def _young(self, now: datetime, max_age_seconds: float) -> MarketSnapshot | None:
        s = self._latest
        if s is not None and 0 <= (now - s.taken_at).total_seconds() <= max_age_seconds:
            return s
        return None

    async def snapshot(self, *, max_age_seconds: float = 0.0) -> MarketSnapshot:
        """A snapshot no older than ``max_age_seconds`` (0: always a new build)."""
        now = self.clock.now()
        young = self._young(now, max_age_seconds)
        if young is not None:
            return young
        async with self._lock:
            now = self.clock.now()
            young = self._young(now, max_age_seconds) if max_age_seconds > 0 else None
            if young is not None:
                return young
            snap = await self.engine.build(now)
            self._latest = snap
        await self._tell(snap)
        return snap

    async def quotes(
        self, expiries: Sequence[date], strikes: Mapping[date, Collection[float]] | None = None
    ) -> MarketSnapshot:
        """Build a quotes-only snapshot now (``SnapshotEngine.build_quotes``) and make it the latest.

        The replay calls this on minutes where only the monitor runs, so the monitor marks positions
        on the same quotes without paying for chain analytics, technicals and the vol picture.
        """
        async with self._lock:
            snap = await self.engine.build_quotes(self.clock.now(), expiries, strikes)
            self._latest = snap
        await self._tell(snap)
        return snap

    async def index_close(self, day: date) -> float | None:
        """NIFTY's close on ``day``, a past trading day, from the daily history; None when the source
        cannot say (failed, or the day is not in its history). NIFTY options are cash settled at the
        index's close on the expiry day, so a position that expired while the bot was down settles at
        this, not at the level when the bot came back. Today's full snapshot already fetched that
        history (``SnapshotEngine.last_daily``); the source is asked only when it does not hold the day."""
        now = self.clock.now()
        today = now.astimezone(IST).date()
        daily = self.engine.last_daily
        close = _close_on(daily.nifty, day) if daily is not None and daily.day == today else None
        if close is not None:
            return close
        try:
            history = await self.engine.source.daily_history(NIFTY, now, max(5, (today - day).days + 5))
        except Exception as exc:  # a failing source is data, not a crash
            log.warning("NIFTY close of %s unavailable: %s", day, exc)
            return None
        return _close_on(history, day)

    async def _tell(self, snap: MarketSnapshot) -> None:
        for listener in list(self._listeners):
            try:
                result = listener(snap)
                if result is not None:
                    await result
            except Exception:
                log.exception("snapshot listener failed")


def _close_on(history: pd.DataFrame | None, day: date) -> float | None:
    """The ``close`` of ``day`` in a daily frame indexed by date; None when absent or not a price."""
    if history is None or "close" not in history:
        return None
    closes = history.loc[history.index == pd.Timestamp(day), "close"].to_numpy(float)
    value = float(closes[-1]) if closes.size else math.nan
    return value if math.isfinite(value) and value > 0 else None
