"""Fixtures: an emulator on a random loopback port, and the example bot polling it with real PTB."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram.ext import Application

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from tests.bot.emulator.example_bot import build


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns when time periods (RetryAfter.retry_after) are read as ints; opt in to timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def app(emu: TelegramEmulator) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The example bot, initialized, started and polling the emulator."""
    application = build(DEFAULT_TOKEN, emu.base_url, emu.base_file_url)
    async with application:
        if application.post_init:  # run_polling would call it; a test drives the steps itself
            await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=5)
        yield application
        await application.updater.stop()
        await application.stop()
