"""End to end: the real PTB Application, the desk and the database through the Telegram emulator.

A simulated trading day: the pre-market brief, a scan that pushes a suggestion, an approval, a double
tap, an unauthorized tap, an exit, the end-of-day summary; a restart in the middle; a 429 storm.
Every request the bot makes is checked against the Bot API spec (no violations allowed).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.persistence.models import OutboxMessageRow, PositionRow
from tests.bot.harness import ADMIN, DESK_CHAT, STRANGER, TRADER, VIEWER, DeskBot, at

pytestmark = [pytest.mark.e2e, pytest.mark.db]


@pytest.fixture
async def emu():
    from bot.emulator import DEFAULT_TOKEN, TelegramEmulator

    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


def suggestion_messages(bot: DeskBot) -> list:
    return [m for m in bot.messages() if any(d.startswith("v1:ap:") for d in m.button_data())]


async def test_a_trading_day_from_the_brief_to_the_summary(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 8, 44, month=10)).start()
    try:
        # 08:45 the brief goes out once, even if the scheduler ticks twice.
        bot.advance(minutes=1)
        assert "premarket_brief" in await bot.tick()
        await bot.tick()
        briefs = [m for m in bot.messages() if "NIFTY" in m.plain and "brief" in m.plain.lower()]
        assert len(briefs) == 1, [m.plain[:60] for m in bot.messages()]

        # 13:00 a scan pushes suggestions with Approve / Reject / Details.
        bot.clock.set(at(14, 13, 0, month=10))
        ran = await bot.tick()
        assert "scan" in ran and "monitor" in ran
        pushed = suggestion_messages(bot)
        assert pushed, [m.plain[:80] for m in bot.messages()]
        msg = pushed[0]
        sid = int(next(d for d in msg.button_data() if d.startswith("v1:ap:")).split(":")[2])

        # A viewer and a stranger cannot approve; nothing changes.
        answer = await bot.press(VIEWER, msg, f"v1:ap:{sid}", chat_id=DESK_CHAT)
        assert "only a trader" in answer["text"].lower()
        answer = await bot.press(STRANGER, msg, f"v1:ap:{sid}", chat_id=DESK_CHAT)
        assert "not authorized" in answer["text"].lower()
        with bot.bc.app.factory() as s:
            assert s.scalar(select(func.count()).select_from(PositionRow)) == 0

        # The trader approves; a double tap opens nothing more.
        await bot.press(TRADER, msg, f"v1:ap:{sid}")
        await bot.deliver()
        edited = emu.message(DESK_CHAT, msg.message_id)
        assert "Approved" in edited.plain and not edited.button_data()
        fills = [m for m in bot.messages() if "opened" in m.plain.lower() and "#" in m.plain]
        assert fills
        qid = (
            emu.user_presses(DESK_CHAT, TRADER, msg.message_id, f"v1:ap:{sid}")
            if edited.button_data()
            else None
        )
        assert qid is None  # the buttons are gone, and the database would refuse anyway:
        again = await bot.bc.app.desk.approve(sid, TRADER)
        assert again.outcome.value == "already"
        with bot.bc.app.factory() as s:
            assert s.scalar(select(func.count()).select_from(PositionRow)) == 1

        # /positions, /pnl and /drawdown answer the trader.
        replies = await bot.say(TRADER, "/positions")
        assert "#1" in replies[0].plain
        replies = await bot.say(TRADER, "/drawdown")
        assert "Daily loss" in replies[0].plain

        # Close by hand through the confirmation button; the exit alert arrives.
        replies = await bot.say(TRADER, "/close 1")
        confirm = replies[-1]
        assert "v1:cc:1" in confirm.button_data()
        bot.advance(minutes=5)
        await bot.press(TRADER, confirm, "v1:cc:1")
        await bot.deliver()
        assert any("closed" in m.plain.lower() and "P&L" in m.plain for m in bot.messages())

        # 15:50 the end-of-day summary.
        bot.clock.set(at(14, 15, 50, month=10))
        assert "eod_summary" in await bot.tick()
        assert any("day" in m.plain.lower() and "net" in m.plain.lower() for m in bot.messages()[-3:])
        emu.assert_no_violations()
    finally:
        await bot.stop()


async def test_a_restart_loses_and_duplicates_nothing(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 13, 0, month=10)).start()
    await bot.scheduler.tick()  # the scan records its events ...
    await bot.stop()  # ... and the bot stops before delivering them
    with bot.bc.app.factory() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessageRow)) == 0
    assert suggestion_messages(bot) == []

    again = await DeskBot(engine, emu, tmp_path, at=at(14, 13, 1, month=10)).start()
    try:
        await again.deliver()
        await again.deliver()
        pushed = suggestion_messages(again)
        assert pushed, "the suggestions recorded before the restart were delivered after it"
        ids = [d for m in pushed for d in m.button_data() if d.startswith("v1:ap:")]
        assert len(ids) == len(set(ids)), "no suggestion was announced twice"
        with again.bc.app.factory() as s:
            statuses = set(s.scalars(select(OutboxMessageRow.status)))
        assert statuses == {"sent"}
        # Buttons keep working after the restart: the state lives in the database.
        await again.press(TRADER, pushed[0], ids[0])
        with again.bc.app.factory() as s:
            assert s.scalar(select(func.count()).select_from(PositionRow)) == 1
        emu.assert_no_violations()
    finally:
        await again.stop()


async def test_a_429_storm_is_waited_out_not_dropped(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 13, 0, month=10)).start()
    try:
        emu.fail_next("sendMessage", status=429, retry_after=1, times=3)
        await bot.scheduler.tick()
        for _ in range(20):
            await bot.deliver()
            if suggestion_messages(bot):
                break
            bot.advance(seconds=2)
            import asyncio

            await asyncio.sleep(0.3)
        assert suggestion_messages(bot)
        with bot.bc.app.factory() as s:
            assert set(s.scalars(select(OutboxMessageRow.status))) == {"sent"}
    finally:
        await bot.stop()


async def test_unknown_commands_bad_arguments_and_strangers(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 13, 0, month=10)).start()
    try:
        r = await bot.say(TRADER, "/frobnicate")
        assert "/help" in r[0].plain
        r = await bot.say(TRADER, "/close abc")
        assert "/close" in r[0].plain and "number" in r[0].plain
        r = await bot.say(TRADER, "/history 500")
        assert "/history" in r[0].plain
        r = await bot.say(VIEWER, "/pause")
        assert "trader" in r[0].plain.lower()
        r = await bot.say(STRANGER, "/positions")
        assert len(r) == 1 and "not" in r[0].plain.lower()
        # The second attempt gets no answer at all.
        emu.user_sends(STRANGER, STRANGER, "/pnl")
        import asyncio

        await asyncio.sleep(0.5)
        assert len(bot.messages(STRANGER)) == 1
        r = await bot.say(ADMIN, "/whoami")
        assert str(ADMIN) in r[0].plain and "admin" in r[0].plain.lower()
        r = await bot.say(ADMIN, "/health")
        assert "Health" in r[0].plain and "database: reachable" in r[0].plain
        r = await bot.say(VIEWER, "/health")
        assert "admin" in r[0].plain.lower()
        emu.assert_no_violations()
    finally:
        await bot.stop()
