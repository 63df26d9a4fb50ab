"""The real bot (PTB Application + desk + simulator + database) against the emulator, on a pinned clock.

Tests drive time themselves: ``await bot.tick()`` runs the scheduler as the repeating job would, and
``await bot.deliver()`` dispatches events and flushes the outbox. Users: an admin, a trader, a viewer
and a stranger; the desk chat is the trader's private chat.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_bot
from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from core.bootstrap import build_app
from core.clock import IST, FixedClock
from core.config.schema import NiftyConfig, parse_config
from core.config.settings import Settings
from core.market_hours import default_calendar
from core.marketdata.simulator import SimulatedMarket

ADMIN, TRADER, VIEWER, STRANGER = 11, 22, 33, 99
DESK_CHAT = TRADER


def bot_settings(base_url: str, tmp_path: Any, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": SecretStr(DEFAULT_TOKEN),
        "telegram_api_base_url": base_url,
        "telegram_admin_ids": [ADMIN],
        "telegram_trader_ids": [TRADER],
        "telegram_viewer_ids": [VIEWER],
        "telegram_chat_id": DESK_CHAT,
        "database_url": "sqlite://",  # unused: the engine is passed in
        "log_dir": tmp_path / "logs",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class DeskBot:
    def __init__(
        self,
        engine: Engine,
        emu: TelegramEmulator,
        tmp_path: Any,
        *,
        at: datetime,
        config: NiftyConfig | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.engine = engine
        self.emu = emu
        self.tmp_path = tmp_path
        self.clock = FixedClock(at)
        self.config = config or parse_config({"paper_trading": {"suggestion_ttl_minutes": 60}})
        self.overrides = settings or {}
        self.application: Any = None
        self.bc: Any = None
        self.handled: set[str] = set()
        self._tracking = False

    def track_handled(self) -> None:
        """Record each callback query once every handler group has finished with it (group 99 runs
        last), so ``press`` returns after the action, not after the first toast. Idempotent; ``press``
        installs it when a subclass's own ``start`` did not."""
        if self._tracking:
            return
        self._tracking = True

        async def done(update: Update, _context: Any) -> None:
            if update.callback_query is not None:
                self.handled.add(str(update.callback_query.id))
                self.emu.poke()

        self.application.add_handler(TypeHandler(Update, done), group=99)

    async def start(self) -> DeskBot:
        settings = bot_settings(self.emu.base_url, self.tmp_path, **self.overrides)
        cal = default_calendar()
        app = build_app(
            settings,
            self.config,
            clock=self.clock,
            source=SimulatedMarket(cal, seed=7),
            engine=self.engine,
            calendar=cal,
        )
        self.application, self.bc = build_bot(app, jobs=False, rate_limiter=True)
        self.bc.outbox.private_gap = self.bc.outbox.group_gap = 0.0
        self.track_handled()
        for uid in (ADMIN, TRADER, VIEWER, STRANGER):
            self.emu.add_chat(uid)
        await self.application.initialize()
        if self.application.post_init:
            await self.application.post_init(self.application)
        await self.application.start()
        await self.application.updater.start_polling(poll_interval=0, timeout=1)
        return self

    async def stop(self) -> None:
        await self.application.updater.stop()
        await self.application.stop()
        await self.application.shutdown()
        await self.bc.aclose()

    @property
    def scheduler(self) -> Any:
        return self.application.bot_data["scheduler"]

    async def tick(self) -> list[str]:
        ran = await self.scheduler.tick()
        await self.deliver()
        return ran

    async def deliver(self) -> None:
        await self.bc.wake_outbox()

    def advance(self, **kw: float) -> None:
        self.clock.advance(timedelta(**kw))

    def messages(self, chat_id: int = DESK_CHAT) -> list[Any]:
        return [m for m in self.emu.messages(chat_id) if m.from_bot]

    async def say(self, user_id: int, text: str, chat_id: int | None = None, wait: float = 10.0) -> Any:
        """Send as a user and wait for the bot's next reply in that chat."""
        chat = chat_id if chat_id is not None else user_id
        before = len(self.messages(chat))
        self.emu.user_sends(chat, user_id, text)
        await self.emu.wait_for(lambda: len(self.messages(chat)) > before, timeout=wait)
        await asyncio.sleep(0.05)
        return self.messages(chat)[before:]

    async def press(
        self, user_id: int, message: Any, data: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        chat = chat_id if chat_id is not None else message.chat.id
        self.track_handled()
        qid = self.emu.user_presses(chat, user_id, message.message_id, data)
        answer = await self.emu.wait_for(lambda: self.emu.callback_answer(qid), timeout=10)
        await self.emu.wait_for(lambda: str(qid) in self.handled, timeout=10)
        await asyncio.sleep(0.05)
        return answer


def at(day: int, hh: int, mm: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=IST)
