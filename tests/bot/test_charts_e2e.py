"""Charts end to end: /pnl's equity curve, the chain's IV smile button and a position's payoff button
arrive as photos (drawn off the event loop), and drawing them does not stop the bot answering others."""

from __future__ import annotations

import asyncio

import pytest

from bot.render import charts
from tests.bot.harness import TRADER, VIEWER, DeskBot, at

pytestmark = [pytest.mark.e2e, pytest.mark.db]


@pytest.fixture
async def emu():
    from bot.emulator import DEFAULT_TOKEN, TelegramEmulator

    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


def photos(bot: DeskBot, chat: int) -> list:
    return [m for m in bot.messages(chat) if m.photo is not None]


async def test_charts_arrive_as_photos_and_other_users_are_answered_meanwhile(
    engine, emu, tmp_path, monkeypatch
):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 13, 0, month=10)).start()
    try:
        await bot.tick()  # the 13:00 scan pushes suggestions
        sid = next(s.id for s in bot.bc.app.desk.pending())
        assert (await bot.bc.app.desk.approve(sid, TRADER)).outcome.value == "ok"
        for _ in range(3):  # marks: an equity curve of several points
            bot.advance(minutes=1)
            await bot.tick()

        charts.clear_cache()
        await bot.say(TRADER, "/pnl")
        await emu.wait_for(lambda: photos(bot, TRADER), timeout=20)
        assert "Equity curve" in photos(bot, TRADER)[-1].plain

        chain = (await bot.say(TRADER, "/chain"))[-1]
        chart_button = next(d for d in chain.button_data() if d.startswith("v1:cg:"))
        emu.user_presses(TRADER, TRADER, chain.message_id, chart_button)
        await emu.wait_for(lambda: len(photos(bot, TRADER)) == 2, timeout=20)
        assert "IV smile" in photos(bot, TRADER)[-1].plain

        # While a slow chart is being drawn (in a worker thread), a viewer's command is answered.
        real = charts._draw_payoff
        drawing, release = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()

        def slow(data, title):  # type: ignore[no-untyped-def]
            loop.call_soon_threadsafe(drawing.set)
            asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=20)
            return real(data, title)

        monkeypatch.setattr(charts, "_draw_payoff", slow)
        listing = (await bot.say(TRADER, "/positions"))[-1]
        payoff_button = next(d for d in listing.button_data() if d.startswith("v1:pp:"))
        emu.user_presses(TRADER, TRADER, listing.message_id, payoff_button)
        await asyncio.wait_for(drawing.wait(), 20)
        replies = await bot.say(VIEWER, "/help")
        assert "Commands" in replies[0].plain and len(photos(bot, TRADER)) == 2
        release.set()
        await emu.wait_for(lambda: len(photos(bot, TRADER)) == 3, timeout=20)
        assert "Payoff" in photos(bot, TRADER)[-1].plain
        emu.assert_no_violations()
    finally:
        await bot.stop()
