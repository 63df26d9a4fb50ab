"""A suggestion decided while its message is still queued (or on its way) never reaches the chat with
live Approve / Reject buttons: the queued row is rewritten to the decided state, and a row that was
already being sent is edited right after it is marked sent."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from core.persistence.models import OutboxMessageRow
from tests.bot.harness import TRADER, DeskBot, at

pytestmark = [pytest.mark.e2e, pytest.mark.db]


@pytest.fixture
async def emu():
    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


def _live_buttons(bot: DeskBot, sid: int) -> list[str]:
    return [d for m in bot.messages() for d in m.button_data() if d in (f"v1:ap:{sid}", f"v1:rj:{sid}")]


def _suggestion_rows(bot: DeskBot) -> list[OutboxMessageRow]:
    with bot.bc.app.factory() as s:
        return list(
            s.scalars(
                select(OutboxMessageRow).where(OutboxMessageRow.kind == "sg").order_by(OutboxMessageRow.id)
            )
        )


async def _queued_suggestion(bot: DeskBot) -> int:
    """Scan and record the suggestion messages in the outbox without sending them."""
    await bot.scheduler.tick()
    bot.bc.notifier.dispatch(bot.bc.app.factory, bot.clock.now())
    rows = _suggestion_rows(bot)
    assert rows and all(r.status == "pending" for r in rows)
    assert rows[0].ref is not None
    return int(rows[0].ref.split(":")[1])


async def test_a_suggestion_decided_while_queued_goes_out_decided(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 13, 0, month=10)).start()
    try:
        sid = await _queued_suggestion(bot)
        bot.bc.app.desk.reject(sid, TRADER)
        await bot.deliver()
        shown = [m for m in bot.messages() if f"#{sid}" in m.plain]
        assert shown, "the suggestion's message was not sent"
        assert _live_buttons(bot, sid) == []
        assert any("rejected" in m.plain.lower() for m in shown)
    finally:
        await bot.stop()


async def test_a_suggestion_decided_while_its_message_is_on_the_way_is_edited(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 13, 0, month=10)).start()
    try:
        sid = await _queued_suggestion(bot)
        emu.delay_next("sendMessage", 0.5)  # the first send is in flight while the trader decides
        flush = asyncio.create_task(bot.bc.outbox.flush(bot.application.bot))
        await asyncio.sleep(0.2)
        bot.bc.app.desk.reject(sid, TRADER)
        bot.bc.notifier.dispatch(bot.bc.app.factory, bot.clock.now())
        await flush
        await bot.deliver()  # the edit recorded when the row was marked sent
        assert _live_buttons(bot, sid) == []
        with bot.bc.app.factory() as s:
            assert s.scalars(select(OutboxMessageRow).where(OutboxMessageRow.status != "sent")).all() == []
    finally:
        await bot.stop()
