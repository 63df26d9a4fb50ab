"""Shared read views (bot/views.py): the same view at the same desk state is made once and shared; any
change of the desk — through the bot, a scheduler tick or a service call — shows at once;
the "as of" wording is at most the ttl old."""

from __future__ import annotations

import pytest

from tests.bot.harness import TRADER, VIEWER, DeskBot, at
from tests.bot.test_e2e_day import suggestion_messages

pytestmark = [pytest.mark.e2e, pytest.mark.db]


@pytest.fixture
async def emu():
    from bot.emulator import DEFAULT_TOKEN, TelegramEmulator

    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


async def test_views_are_shared_until_the_desk_changes(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 13, 0, month=10)).start()
    try:
        await bot.tick()  # a scan: suggestions pending
        views = bot.bc.views
        first = await bot.say(TRADER, "/pending")
        made = views.misses
        second = await bot.say(VIEWER, "/pending")
        assert [m.plain for m in second] == [m.plain for m in first]
        assert views.misses == made and views.hits >= 1, "the second ask was served from the shared view"

        # A decision made outside the bot's handlers (a service call) shows at once; another process's
        # change within the database probe (tests/core/test_writes.py).
        pushed = suggestion_messages(bot)
        sid = int(pushed[0].button_data()[0].split(":")[2])
        bot.bc.app.desk.reject(sid, TRADER)
        after = await bot.say(VIEWER, "/pending")
        assert views.misses == made + 1
        assert f"#{sid}" in " ".join(m.plain for m in first)
        assert f"#{sid}" not in " ".join(m.plain for m in after)

        # An approval through the bot opens a position: /positions shows it on the next ask.
        before = await bot.say(VIEWER, "/positions")
        remaining = [m for m in suggestion_messages(bot) if f"#{sid}" not in m.plain]
        approve = next(d for d in remaining[0].button_data() if d.startswith("v1:ap:"))
        await bot.press(TRADER, remaining[0], approve)
        now_open = await bot.say(VIEWER, "/positions")
        assert now_open[0].plain != before[0].plain
        assert "#1" in now_open[0].plain or "position" in now_open[0].plain.lower()

        # Past the ttl the same state is drawn again (the "as of" wording stays true).
        hits, misses = views.hits, views.misses
        await bot.say(VIEWER, "/positions")
        assert (views.hits, views.misses) == (hits + 1, misses)
        bot.advance(seconds=views.ttl)
        await bot.say(VIEWER, "/positions")
        assert views.misses == misses + 1
        emu.assert_no_violations()
    finally:
        await bot.stop()
