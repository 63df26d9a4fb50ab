"""The bot under load: the real PTB Application + desk + simulator + SQLite file, against an emulator URL.

As ``tests/bot/harness.py`` (DeskBot) but with many allowlisted users and a clock that is first stepped
(to seed a trading morning: scans, approvals, marks) and then runs at real speed with the scheduler's
JobQueue jobs live, as in production. Also the peer: a bare PTB echo bot with the same builder settings.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, MessageHandler, filters

from bot.app import build_bot
from bot.emulator import DEFAULT_TOKEN
from core.bootstrap import build_app
from core.clock import IST
from core.config.schema import parse_config
from core.config.settings import Settings
from core.market_hours import default_calendar
from core.marketdata.simulator import SimulatedMarket
from core.persistence.db import make_engine, upgrade

ADMIN, TRADER = 11, 22
DESK_CHAT = TRADER
FIRST_LOAD_USER = 100_001


def load_users(n: int) -> list[int]:
    return list(range(FIRST_LOAD_USER, FIRST_LOAD_USER + n))


class BenchClock:
    """Pinned and stepped while seeding; after ``run()`` it moves at ``speed`` × real time."""

    def __init__(self, at: datetime) -> None:
        self._at = at
        self._t0: float | None = None
        self.speed = 1.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            if self._t0 is None:
                return self._at
            return self._at + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at, self._t0 = at, None

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._at += delta
            return self._at

    def run(self, speed: float = 1.0) -> None:
        with self._lock:
            self.speed, self._t0 = speed, time.monotonic()


@dataclass
class RunningBot:
    application: Any
    bc: Any
    clock: BenchClock
    engine: Any
    db_path: Path

    @property
    def scheduler(self) -> Any:
        return self.application.bot_data["scheduler"]

    async def step(self, minutes: float = 1.0) -> list[str]:
        """Seeding: move the clock, run what is due, deliver the pushes."""
        self.clock.advance(timedelta(minutes=minutes))
        ran = await self.scheduler.tick()
        await self.bc.wake_outbox()
        return ran  # type: ignore[no-any-return]

    async def approve_all(self) -> int:
        desk = self.bc.app.desk
        n = 0
        for s in desk.pending():
            result = await desk.approve(s.id, TRADER)
            n += result.outcome.value == "ok"
        await self.bc.wake_outbox()
        return n

    async def go_live(self, speed: float = 1.0) -> None:
        """Start polling and the JobQueue jobs (scheduler tick, outbox) with the clock running."""
        self.clock.run(speed)
        await self.application.start()
        await self.application.updater.start_polling(
            poll_interval=0, timeout=10, allowed_updates=Update.ALL_TYPES
        )

    async def stop(self) -> None:
        if self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        self.engine.dispose()


def desk_settings(base_url: str, tmp: Path, users: list[int], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": SecretStr(DEFAULT_TOKEN),
        "telegram_api_base_url": base_url,
        "telegram_admin_ids": [ADMIN],
        "telegram_trader_ids": [TRADER],
        "telegram_viewer_ids": users,
        "telegram_chat_id": DESK_CHAT,
        "database_url": "sqlite://",  # unused: the engine is passed in
        "log_dir": tmp / "logs",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def start_desk_bot(
    base_url: str,
    tmp: Path,
    users: list[int],
    *,
    at: datetime,
    config: dict[str, Any] | None = None,
    rate_limiter: bool = False,
    jobs: bool = True,
    freeze_heap: bool = False,
) -> RunningBot:
    """Build and initialize (not yet polling): migrated SQLite file, simulator, pinned clock.
    ``freeze_heap``: as ``niftybot run`` (the benchmarks' own processes); off in a test process."""
    db_path = tmp / "desk.db"
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    clock = BenchClock(at)
    cal = default_calendar()
    app = build_app(
        desk_settings(base_url, tmp, users),
        parse_config(config or {"paper_trading": {"suggestion_ttl_minutes": 60}}),
        clock=clock,
        source=SimulatedMarket(cal, seed=7),
        engine=engine,
        calendar=cal,
    )
    application, bc = build_bot(app, jobs=jobs, rate_limiter=rate_limiter, freeze_heap=freeze_heap)
    bc.outbox.private_gap = bc.outbox.group_gap = 0.0
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    return RunningBot(application, bc, clock, engine, db_path)


def at(day: int, hh: int, mm: int, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hh, mm, tzinfo=IST)


# ---- the peer -----------------------------------------------------------------------------------------
async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text("ok", do_quote=False)


async def start_echo_bot(
    base_url: str, concurrent_updates: int = 32, *, aiohttp: bool = False
) -> Application:  # type: ignore[type-arg]
    """A bare PTB Application that answers every message with "ok": what the framework itself costs.

    With ``aiohttp`` it uses the bot's own HTTP client (bot.telegram_http) instead of PTB's default.
    """
    builder = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=IST,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .concurrent_updates(concurrent_updates)
    )
    if aiohttp:
        from bot.telegram_http import AiohttpRequest

        builder = builder.request(AiohttpRequest(connect_timeout=10, read_timeout=30)).get_updates_request(
            AiohttpRequest(connection_pool_size=1, connect_timeout=10, read_timeout=40)
        )
    else:
        builder = builder.connect_timeout(10).read_timeout(30).get_updates_read_timeout(40)
    application = builder.build()
    application.add_handler(MessageHandler(filters.ALL, _echo))
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=10, allowed_updates=Update.ALL_TYPES)
    return application


async def stop_echo_bot(application: Application) -> None:  # type: ignore[type-arg]
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


def cpu_now() -> float:
    return time.process_time()


async def settle(seconds: float = 0.2) -> None:
    await asyncio.sleep(seconds)
