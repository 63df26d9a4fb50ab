"""A Telegram outage of any length loses no push: network errors back off (capped) and never make an
outbox row fail; a flush stops at the first network error instead of trying every queued row."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from bot.outbox import MAX_BACKOFF, Outgoing, enqueue
from core.persistence.db import transaction
from core.persistence.models import OutboxMessageRow
from tests.bot.harness import ADMIN, DESK_CHAT, DeskBot, at

pytestmark = [pytest.mark.e2e, pytest.mark.db]


@pytest.fixture
async def emu():
    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


async def test_a_long_telegram_outage_delays_pushes_but_loses_none(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 16, 0, month=10)).start()
    try:
        with transaction(bot.bc.app.factory) as s:
            enqueue(s, Outgoing(DESK_CHAT, "rk", "outage:1", text="first"), bot.clock.now())
            enqueue(s, Outgoing(ADMIN, "rk", "outage:2", text="second"), bot.clock.now())
        outage = 20  # tries; the old sender gave a row up after 8 (about 8.5 minutes)
        emu.drop_next("sendMessage", times=outage)
        tries = 0
        for _ in range(outage):
            before = len([r for r in emu.requests if r.method == "sendMessage"])
            assert await bot.bc.outbox.flush(bot.application.bot) == 0
            tries += len([r for r in emu.requests if r.method == "sendMessage"]) - before
            with bot.bc.app.factory() as s:
                rows = list(s.scalars(select(OutboxMessageRow).order_by(OutboxMessageRow.id)))
            assert [r.status for r in rows] == ["pending", "pending"]
            assert all(
                r.not_before is None or (r.not_before - bot.clock.now()).total_seconds() <= MAX_BACKOFF
                for r in rows
            )
            bot.advance(seconds=MAX_BACKOFF + 1)
        assert tries == outage  # one try per flush while Telegram is down, not one per queued row
        await bot.bc.outbox.flush(bot.application.bot)
        assert [m.plain for m in bot.messages()] == ["first"]
        assert [m.plain for m in emu.messages(ADMIN)] == ["second"]
    finally:
        await bot.stop()
