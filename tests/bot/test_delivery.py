"""The outbox, the notifier's routing and preferences, and the scheduler's once-a-day rule."""

from __future__ import annotations

import itertools
import time as _time
from datetime import datetime, time

import pytest
from sqlalchemy import select

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from bot.outbox import Outgoing, enqueue, plain_text
from bot.prefs import delivery
from bot.render.notifications import NotificationSettings, NotificationType, NotifyMode
from core.clock import IST
from core.persistence.db import transaction
from core.persistence.models import JobRunRow, OutboxMessageRow
from tests.bot.harness import ADMIN, DESK_CHAT, TRADER, DeskBot, at

pytestmark = [pytest.mark.e2e, pytest.mark.db]


@pytest.fixture
async def emu():
    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


def put(bot: DeskBot, msg: Outgoing) -> bool:
    with transaction(bot.bc.app.factory) as s:
        return enqueue(s, msg, bot.clock.now())


def rows(bot: DeskBot) -> list[OutboxMessageRow]:
    with bot.bc.app.factory() as s:
        return list(s.scalars(select(OutboxMessageRow).order_by(OutboxMessageRow.id)))


async def test_a_dedupe_key_records_a_message_once(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 10, 0, month=10)).start()
    try:
        assert put(bot, Outgoing(DESK_CHAT, "sg", "k1", text="one"))
        assert not put(bot, Outgoing(DESK_CHAT, "sg", "k1", text="one again"))
        await bot.deliver()
        assert [m.plain for m in bot.messages()] == ["one"]
    finally:
        await bot.stop()


async def test_html_telegram_refuses_is_resent_as_plain_text(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 10, 0, month=10)).start()
    try:
        put(bot, Outgoing(DESK_CHAT, "sg", "bad", text="<b>P&L <div>broken</div></b>"))
        await bot.deliver()
        assert bot.messages()[-1].plain == plain_text("<b>P&L <div>broken</div></b>")
        assert rows(bot)[-1].status == "sent"
    finally:
        await bot.stop()


async def test_a_chat_that_does_not_exist_is_marked_failed_and_the_rest_goes_out(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 10, 0, month=10)).start()
    try:
        put(bot, Outgoing(777000, "sg", "nowhere", text="lost?"))
        put(bot, Outgoing(DESK_CHAT, "sg", "here", text="arrives"))
        await bot.deliver()
        by_key = {r.dedupe_key: r for r in rows(bot)}
        assert (
            by_key["nowhere"].status == "failed" and "chat not found" in by_key["nowhere"].last_error.lower()
        )
        assert by_key["here"].status == "sent"
    finally:
        await bot.stop()


async def test_messages_to_one_chat_are_paced(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 10, 0, month=10)).start()
    try:
        bot.bc.outbox.private_gap = 0.2
        for i in range(4):
            put(bot, Outgoing(DESK_CHAT, "sg", f"p{i}", text=f"m{i}"))
        started = _time.monotonic()
        await bot.deliver()
        assert _time.monotonic() - started >= 0.55  # three gaps of 0.2 s at least
        times = emu.request_times(DESK_CHAT)[-4:]
        assert all(b - a >= 0.18 for a, b in itertools.pairwise(times))
    finally:
        await bot.stop()


def test_delivery_follows_the_chat_settings_and_quiet_hours():
    prefs = NotificationSettings(
        modes={NotificationType.FILLS: NotifyMode.OFF, NotificationType.EXITS: NotifyMode.SILENT},
        quiet_hours=True,
        quiet_start=time(22, 0),
        quiet_end=time(7, 0),
    )
    noon = datetime(2026, 11, 25, 12, 0, tzinfo=IST)
    night = datetime(2026, 11, 25, 23, 30, tzinfo=IST)
    early = datetime(2026, 11, 26, 6, 59, tzinfo=IST)
    assert delivery(prefs, NotificationType.FILLS, noon) is NotifyMode.OFF
    assert delivery(prefs, NotificationType.EXITS, noon) is NotifyMode.SILENT
    assert delivery(prefs, NotificationType.SUGGESTIONS, noon) is NotifyMode.ON
    assert delivery(prefs, NotificationType.SUGGESTIONS, night) is NotifyMode.SILENT
    assert delivery(prefs, NotificationType.SUGGESTIONS, early) is NotifyMode.SILENT


async def test_settings_off_suppresses_a_kind_and_topics_route_pushes(engine, emu, tmp_path):
    emu.add_chat(-100123, title="desk", is_forum=True)
    bot = await DeskBot(
        engine,
        emu,
        tmp_path,
        at=at(14, 13, 0, month=10),
        settings={"telegram_chat_id": -100123, "telegram_topic_approvals": 7, "telegram_topic_alerts": 9},
    ).start()
    try:
        bot.bc.prefs.set_mode(-100123, NotificationType.FILLS, NotifyMode.OFF, ADMIN, bot.clock.now())
        await bot.tick()  # a scan pushes suggestions into the approvals topic
        sugg = [m for m in emu.messages(-100123) if m.from_bot and m.button_data()]
        assert sugg and all(m.thread_id == 7 for m in sugg)
        sid = int(next(d for d in sugg[0].button_data() if d.startswith("v1:ap:")).split(":")[2])
        await bot.bc.app.desk.approve(sid, TRADER)
        await bot.deliver()
        assert not [
            m for m in emu.messages(-100123) if m.from_bot and "opened" in m.plain and "📥" in m.plain
        ]
        assert [r.kind for r in rows(bot)].count("fl") == 0  # fills are off: nothing recorded
    finally:
        await bot.stop()


async def test_a_daily_job_runs_once_even_across_a_restart(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 8, 45, month=10)).start()
    assert "premarket_brief" in await bot.scheduler.tick()
    await bot.stop()
    again = await DeskBot(engine, emu, tmp_path, at=at(14, 8, 50, month=10)).start()
    try:
        assert "premarket_brief" not in await again.scheduler.tick()
        with again.bc.app.factory() as s:
            runs = list(s.scalars(select(JobRunRow).where(JobRunRow.job == "premarket_brief")))
        assert len(runs) == 1 and runs[0].status == "ok"
    finally:
        await again.stop()


async def test_a_late_start_skips_the_morning_brief_but_not_the_summary(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 16, 30, month=10)).start()
    try:
        ran = await bot.scheduler.tick()
        assert "premarket_brief" not in ran and "eod_summary" in ran
        with bot.bc.app.factory() as s:
            brief = s.scalars(select(JobRunRow).where(JobRunRow.job == "premarket_brief")).one()
        assert brief.status == "skipped" and "grace" in brief.detail
    finally:
        await bot.stop()


async def test_no_jobs_on_a_holiday_and_the_weekly_summary_on_the_last_trading_day(engine, emu, tmp_path):
    bot = await DeskBot(engine, emu, tmp_path, at=at(24, 16, 5)).start()  # 24 Nov 2026: a holiday
    try:
        assert await bot.scheduler.tick() == []
        bot.clock.set(at(27, 16, 5))  # Friday 27 Nov, the week's last trading day
        assert "weekly_summary" in await bot.scheduler.tick()
        bot.clock.set(at(26, 16, 5))  # a Thursday (not the last day) would not have run it
        assert "weekly_summary" not in await bot.scheduler.tick()
    finally:
        await bot.stop()


async def test_a_daily_job_a_killed_process_left_running_is_run_again_after_the_lease(engine, emu, tmp_path):
    from bot.jobs import CLAIM_LEASE, claim

    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 15, 50, month=10)).start()
    try:
        day = bot.clock.now().date()
        # A process killed mid-summary: its claim stays "running" and nothing finished it.
        assert claim(bot.bc, "eod_summary", day, bot.clock.now())
        bot.advance(minutes=1)
        assert "eod_summary" not in await bot.scheduler.tick(), "within the lease the run may be alive"
        bot.advance(seconds=CLAIM_LEASE.total_seconds())
        assert "eod_summary" in await bot.scheduler.tick(), "after the lease the job is taken over"
        assert "eod_summary" not in await bot.scheduler.tick(), "and runs once"
        with bot.bc.app.factory() as s:
            run = s.scalars(select(JobRunRow).where(JobRunRow.job == "eod_summary")).one()
        assert run.status == "ok"
    finally:
        await bot.stop()
