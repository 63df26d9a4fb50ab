"""The real bot against the Telegram emulator, with the simulator behind its guard (as ``niftybot run``
wires it for MARKET_DATA=simulated) and switches for outages.

:class:`OpsBot` is ``tests.bot.harness.DeskBot`` with three differences:

- the simulator sits behind ``GuardedSource`` and the app's ``GuardRegistry``, so its circuit breaker,
  the breaker alerts and the breaker metrics are the production ones;
- the registry runs on :class:`FakeMonotonic`, so a breaker's recovery time passes when the test says;
- :class:`Feed` between the guard and the simulator can fail every call (a dropped connection) or
  freeze the quotes at a moment (a feed that stopped updating: data goes stale without errors).

Extra PTB handlers (e.g. one that raises) can be added before the application starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
from telegram.ext import BaseHandler

from bot.app import build_bot
from core.bootstrap import build_app
from core.domain.market import GlobalCue, IndexQuote
from core.market_hours import default_calendar
from core.marketdata.composite import GuardedSource
from core.marketdata.simulator import SimulatedMarket
from core.resilience import GuardRegistry
from tests.bot.harness import ADMIN, STRANGER, TRADER, VIEWER, DeskBot, bot_settings


class FakeMonotonic:
    """A monotonic clock the test advances (seconds)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Feed:
    """The market-data port in front of the simulator, with an outage switch and a freeze switch."""

    def __init__(self, inner: SimulatedMarket) -> None:
        self.inner = inner
        self.name = inner.name
        self.failing = False
        self.frozen_at: datetime | None = None
        self.calls = 0

    def _at(self, now: datetime) -> datetime:
        self.calls += 1
        if self.failing:
            raise ConnectionResetError("connection reset by peer")
        return self.frozen_at or now

    async def index_quote(self, symbol: str, now: datetime) -> IndexQuote:
        return await self.inner.index_quote(symbol, self._at(now))

    async def expiries(self, now: datetime) -> list[date]:
        return await self.inner.expiries(self._at(now))

    async def chain(self, expiry: date, center: float, window: int, now: datetime) -> pd.DataFrame:
        return await self.inner.chain(expiry, center, window, self._at(now))

    async def candles(self, now: datetime) -> pd.DataFrame:
        return await self.inner.candles(self._at(now))

    async def daily_history(self, symbol: str, now: datetime, days: int) -> pd.DataFrame:
        return await self.inner.daily_history(symbol, self._at(now), days)

    async def global_cues(self, now: datetime) -> list[GlobalCue]:
        return await self.inner.global_cues(self._at(now))

    def iv_history(self, now: datetime, days: int = 252) -> pd.Series:
        return self.inner.iv_history(now, days)


class OpsBot(DeskBot):
    def __init__(self, *args: Any, handlers: Sequence[BaseHandler[Any, Any, Any]] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.handlers = list(handlers)
        self.monotonic = FakeMonotonic()
        self.feed: Feed | None = None

    async def start(self) -> OpsBot:
        settings = bot_settings(self.emu.base_url, self.tmp_path, **self.overrides)
        cal = default_calendar()
        guards = GuardRegistry(self.config.engine, monotonic=self.monotonic)
        self.feed = Feed(SimulatedMarket(cal, seed=settings.sim_seed))
        app = build_app(
            settings,
            self.config,
            clock=self.clock,
            source=GuardedSource(self.feed, guards),
            engine=self.engine,
            calendar=cal,
            guards=guards,
        )
        self.application, self.bc = build_bot(app, jobs=False, rate_limiter=True)
        self.bc.outbox.private_gap = self.bc.outbox.group_gap = 0.0
        for handler in self.handlers:
            self.application.add_handler(handler, group=-1)
        self.track_handled()
        for uid in (ADMIN, TRADER, VIEWER, STRANGER):
            self.emu.add_chat(uid)
        await self.application.initialize()
        if self.application.post_init:
            await self.application.post_init(self.application)
        await self.application.start()
        await self.application.updater.start_polling(poll_interval=0, timeout=1)
        return self

    @property
    def breaker(self) -> Any:
        return self.bc.app.guards.breaker("simulator")

    def texts(self, chat_id: int, needle: str) -> list[str]:
        """The bot's messages in ``chat_id`` whose plain text contains ``needle``."""
        return [m.plain for m in self.messages(chat_id) if needle in m.plain]
