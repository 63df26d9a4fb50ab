"""Opt-in flood control: sends faster than Telegram allows get 429 with a retry_after."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ApplicationBuilder

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from bot.emulator.flood import FloodControl, FloodLimits


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_private_chat_takes_one_send_per_second() -> None:
    ticks = Ticks()
    flood = FloodControl(FloodLimits(), ticks)
    flood.check(1, is_group=False)
    flood.record(1, is_group=False)
    ticks.now += 0.4
    with pytest.raises(Exception, match="retry after 1") as caught:
        flood.check(1, is_group=False)
    assert caught.value.retry_after == 1  # type: ignore[attr-defined]
    flood.check(2, is_group=False)  # another chat is not affected
    ticks.now += 0.6
    flood.check(1, is_group=False)


def test_a_group_takes_twenty_sends_a_minute() -> None:
    ticks = Ticks()
    flood = FloodControl(FloodLimits(), ticks)
    for _ in range(20):
        flood.check(-5, is_group=True)
        flood.record(-5, is_group=True)
        ticks.now += 1
    with pytest.raises(Exception, match="retry after 40"):
        flood.check(-5, is_group=True)


@pytest.mark.e2e
async def test_ptb_sees_retry_after_when_it_sends_too_fast() -> None:
    async with TelegramEmulator(flood_limits=FloodLimits()) as emu:
        emu.add_chat(42)
        async with Bot(DEFAULT_TOKEN, base_url=emu.base_url) as bot:
            await bot.send_message(42, "one")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(42, "two")
            await bot.edit_message_text("edits do not count", 42, 1)
    assert caught.value.retry_after == dt.timedelta(seconds=1)
    assert [m.text for m in emu.messages(42)] == ["edits do not count"]


@pytest.mark.e2e
async def test_aio_rate_limiter_retries_after_the_flood_wait() -> None:
    """PTB's AIORateLimiter does not pace a private chat; it relies on the 429 and retries after it."""
    async with TelegramEmulator(flood_limits=FloodLimits()) as emu:
        emu.add_chat(42)
        app = (
            ApplicationBuilder()
            .token(DEFAULT_TOKEN)
            .base_url(emu.base_url)
            .rate_limiter(AIORateLimiter(max_retries=2))
            .build()
        )
        async with app:
            for text in ("one", "two"):
                await app.bot.send_message(42, text)
    assert [m.text for m in emu.messages(42)] == ["one", "two"]
    assert [e.status for e in emu.errors] == [429]
    gap = emu.request_times(42)[-1] - emu.request_times(42)[0]
    assert gap >= 1.0
