"""Alerts end to end (issue 8): the real bot, the desk and the database through the Telegram emulator.

A data source that fails opens its circuit breaker and tells the desk and the admins once, however long
the outage, then says when it is back; a feed that stops updating blocks entries with one throttled
alert; a risk breaker trip is pushed, shown HALTED in /drawdown with an admin Reset button, and the
reset is audited; a missing holiday list warns the admins once a day from 1 December; an error storm is
one admin message per throttle window. Every request the bot makes is checked against the Bot API spec.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from telegram.ext import CommandHandler

from core.config.schema import parse_config
from core.persistence.models import EventRow
from core.resilience import BreakerState
from tests.bot.harness import ADMIN, DESK_CHAT, TRADER, VIEWER, at
from tests.ops.harness import OpsBot

pytestmark = [pytest.mark.e2e, pytest.mark.db]

DOWN, BACK = "simulator unavailable", "simulator is back"
STALE = "New entries blocked: data not fresh"


@pytest.fixture
async def emu():
    from bot.emulator import DEFAULT_TOKEN, TelegramEmulator

    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


def events(bot: OpsBot, kind: str) -> list[EventRow]:
    with bot.bc.app.factory() as s:
        return list(s.scalars(select(EventRow).where(EventRow.kind == kind).order_by(EventRow.id)))


def blocked_reasons(report) -> list[str]:
    """Why a scan made nothing: each algorithm's notes when it built no candidate, and the failed
    data_fresh gate of each candidate it did build (other gates, e.g. duplicates, are left out)."""
    reasons = list(report.blocked)
    reasons += [note for r in report.results if not r.candidates for note in r.notes]
    reasons += [g.reason for _, gates in report.gate_failures for g in gates if g.name == "data_fresh"]
    return reasons


def approve_button(message) -> str | None:
    return next((d for d in message.button_data() if d.startswith("v1:ap:")), None)


# ---- (a) a source that fails: breaker alert once, then "back" ---------------------------------------
async def test_a_failing_source_alerts_desk_and_admins_once_and_again_when_it_is_back(engine, emu, tmp_path):
    bot = await OpsBot(engine, emu, tmp_path, at=at(14, 11, 0, month=10)).start()
    try:
        await bot.tick()
        assert bot.breaker.state is BreakerState.CLOSED

        # A long outage: a tick a minute, and every tick the breaker's recovery time has passed, so it
        # goes half-open, tries once, fails and opens again. One alert for the whole outage.
        bot.feed.failing = True
        for _ in range(6):
            bot.advance(minutes=1)
            bot.monotonic.advance(61)
            await bot.tick()
        assert bot.breaker.state is BreakerState.OPEN
        for chat in (DESK_CHAT, ADMIN):
            down = bot.texts(chat, DOWN)
            assert len(down) == 1, (chat, down)
            assert "connection reset by peer" in down[0]
        assert not bot.texts(VIEWER, DOWN), "viewers are not operators and not the desk chat"

        # While it is open, calls are refused at once: the outage does not hammer the source.
        calls = bot.feed.calls
        bot.advance(minutes=1)
        await bot.tick()
        assert bot.feed.calls == calls

        # The source recovers: the next trial call closes the breaker, and both hear it is back.
        bot.feed.failing = False
        bot.advance(minutes=1)
        bot.monotonic.advance(61)
        await bot.tick()
        assert bot.breaker.state is BreakerState.CLOSED
        for chat in (DESK_CHAT, ADMIN):
            assert len(bot.texts(chat, BACK)) == 1
            assert len(bot.texts(chat, DOWN)) == 1
        # A later, separate outage is news again.
        bot.feed.failing = True
        bot.advance(minutes=1)
        bot.monotonic.advance(5)
        await bot.tick()
        assert len(bot.texts(DESK_CHAT, DOWN)) == 2
        emu.assert_no_violations()
    finally:
        await bot.stop()


async def test_a_claude_outage_is_an_operator_alert_not_a_desk_one(engine, emu, tmp_path):
    """The LLM has a breaker too, but Claude down means automatic commentary, not stale prices."""
    bot = await OpsBot(engine, emu, tmp_path, at=at(14, 11, 0, month=10)).start()
    try:
        llm = bot.bc.app.guards.breaker("llm")
        for _ in range(bot.bc.app.config.engine.breaker.failure_threshold):
            llm.record_failure("anthropic: 529 overloaded")
        assert llm.state is BreakerState.OPEN
        await bot.deliver()
        assert len(bot.texts(ADMIN, "llm unavailable")) == 1
        assert not bot.texts(DESK_CHAT, "llm")
        emu.assert_no_violations()
    finally:
        await bot.stop()


# ---- (b) a feed that stops updating: stale data blocks entries, one alert ---------------------------
async def test_stale_data_blocks_trading_with_one_throttled_alert(engine, emu, tmp_path):
    bot = await OpsBot(engine, emu, tmp_path, at=at(14, 11, 0, month=10)).start()
    try:
        await bot.tick()
        pushed = [m for m in bot.messages() if approve_button(m)]
        assert pushed, "a healthy scan suggested something"

        bot.feed.frozen_at = bot.clock.now()  # the quotes stop moving; no call fails
        for minute in (5, 6, 7, 8, 9):
            bot.clock.set(at(14, 11, minute, month=10))
            await bot.tick()
        stale = bot.texts(DESK_CHAT, STALE)
        assert len(stale) == 1, stale
        assert "spot: stale" in stale[0] and "chain: stale" in stale[0]
        assert not bot.texts(ADMIN, STALE)
        assert bot.breaker.state is BreakerState.CLOSED, "stale is not an outage"

        # Trading is blocked: a scan suggests nothing and says why ...
        report = await bot.bc.app.desk.scan()
        assert report.created == ()
        why = blocked_reasons(report)
        assert any("stale" in r for r in why), why
        assert report.skipped_duplicates == 0, "blocked, not merely already pending"
        replies = await bot.say(TRADER, "/scan")
        assert "Nothing scanned" in replies[0].plain and "spot: stale" in replies[0].plain
        # ... and approving the earlier suggestion is refused on the same grounds, with nothing opened.
        await bot.press(TRADER, pushed[0], approve_button(pushed[0]))
        await bot.deliver()
        edited = emu.message(DESK_CHAT, pushed[0].message_id)
        assert "refused" in edited.plain.lower() and "not fresh" in edited.plain
        assert bot.bc.app.desk.open_positions() == []

        # The feed comes back: no further alert, and a scan may suggest again.
        bot.feed.frozen_at = None
        bot.clock.set(at(14, 11, 30, month=10))
        await bot.tick()
        assert len(bot.texts(DESK_CHAT, STALE)) == 1
        assert not any("stale" in r for r in blocked_reasons(await bot.bc.app.desk.dry_scan()))
        emu.assert_no_violations()
    finally:
        await bot.stop()


# ---- (c) a risk breaker trips: alert, HALTED with a Reset button, an audited reset -----------------
async def test_a_daily_loss_trip_is_pushed_shown_halted_and_reset_by_an_admin(engine, emu, tmp_path):
    # 13:00: a scan suggests, the trader approves; by 15:00 the position is down about ₹2,400.
    bot = await OpsBot(engine, emu, tmp_path, at=at(14, 13, 0, month=10)).start()
    try:
        await bot.tick()
        msg = next(m for m in bot.messages() if approve_button(m))
        await bot.press(TRADER, msg, approve_button(msg))
        await bot.deliver()
        assert len(bot.bc.app.desk.open_positions()) == 1
    finally:
        await bot.stop()

    # The operator lowers the daily loss limit to ₹1,500 and restarts the bot at 15:00.
    tight = parse_config({"paper_trading": {"suggestion_ttl_minutes": 60, "daily_loss_limit": "1500"}})
    bot = await OpsBot(engine, emu, tmp_path, at=at(14, 15, 0, month=10), config=tight).start()
    try:
        for minute in (0, 1, 2):
            bot.clock.set(at(14, 15, minute, month=10))
            await bot.tick()
        for chat in (DESK_CHAT, ADMIN):
            trips = bot.texts(chat, "Risk breaker tripped")
            assert len(trips) == 1, (chat, trips)
            assert "daily loss" in trips[0]
        assert len(events(bot, "risk_tripped")) == 1

        # /drawdown: HALTED; the admin gets a Reset button, the trader does not.
        trader_view = (await bot.say(TRADER, "/drawdown"))[0]
        assert "HALTED" in trader_view.plain and not trader_view.button_data()
        admin_view = (await bot.say(ADMIN, "/drawdown"))[0]
        assert "HALTED" in admin_view.plain and admin_view.button_data() == ["v1:rs"]

        # New entries are blocked while halted.
        report = await bot.bc.app.desk.dry_scan()
        assert report.created == ()

        # A trader cannot reset, even by pressing an admin's button (as in a shared group chat).
        answer = await bot.press(TRADER, admin_view, "v1:rs", chat_id=ADMIN)
        assert "admin" in answer["text"].lower()
        assert bot.bc.app.desk.risk().state.tripped == ("daily_loss",)

        # The admin resets: Reset → Confirm; the desk hears who reset it; the audit trail has it.
        before = len(bot.messages(ADMIN))
        emu.user_presses(ADMIN, ADMIN, admin_view.message_id, "v1:rs")  # answered without a text
        await emu.wait_for(lambda: len(bot.messages(ADMIN)) > before)
        confirm = bot.messages(ADMIN)[-1]
        assert "Reset the risk breakers? Tripped: daily loss" in confirm.plain
        assert confirm.button_data() == ["v1:rc", "v1:rx"]
        emu.user_presses(ADMIN, ADMIN, confirm.message_id, "v1:rc")
        done = await emu.wait_for(
            lambda: (m := emu.message(ADMIN, confirm.message_id)) is not None and m.edits > 0 and m
        )
        await bot.deliver()
        assert done.plain.startswith("✅ Breakers reset") and "active" in done.plain
        state = bot.bc.app.desk.risk().state
        assert state.tripped == () and state.status.value == "active"
        assert any("Risk reset" in t for t in bot.texts(DESK_CHAT, "reset"))
        audit = bot.bc.app.reports.audit(5)
        resets = [d for d in audit if d.action.value == "reset"]
        assert resets and resets[0].user_id == ADMIN and "daily_loss" in (resets[0].reason or "")
        replies = await bot.say(ADMIN, "/audit")
        assert "reset" in replies[0].plain.lower()
        emu.assert_no_violations()
    finally:
        await bot.stop()


# ---- (d) next year's holiday list missing: the admins hear it once a day from 1 December ------------
async def test_the_calendar_check_warns_admins_once_a_day_from_december(engine, emu, tmp_path):
    bot = await OpsBot(engine, emu, tmp_path, at=at(30, 8, 31, month=11)).start()
    try:
        assert "checks" in await bot.tick()  # 30 November: the check runs and says nothing
        assert not bot.texts(ADMIN, "holiday list")

        bot.clock.set(at(1, 8, 29, month=12))
        assert "checks" not in await bot.tick()  # not before 08:30
        for minute in (30, 31, 35):
            bot.clock.set(at(1, 8, minute, month=12))
            await bot.tick()
        missing = bot.texts(ADMIN, "NSE holiday list for 2027 is missing")
        assert len(missing) == 1
        assert "core/data/nse_calendar.yaml" in missing[0]
        assert not bot.texts(DESK_CHAT, "holiday list"), "an operator alert, not a desk one"

        bot.clock.set(at(2, 8, 31, month=12))  # the next trading day: a reminder
        await bot.tick()
        await bot.tick()
        assert len(bot.texts(ADMIN, "NSE holiday list for 2027 is missing")) == 2
        emu.assert_no_violations()
    finally:
        await bot.stop()


async def test_a_year_without_a_holiday_list_runs_nothing_and_says_so_once(engine, emu, tmp_path):
    from datetime import datetime

    from core.clock import IST

    bot = await OpsBot(engine, emu, tmp_path, at=datetime(2027, 1, 4, 8, 50, tzinfo=IST)).start()
    try:
        for minute in (50, 55, 59):
            bot.clock.set(datetime(2027, 1, 4, 9, minute - 50, tzinfo=IST))
            assert await bot.tick() == [], "fail closed: no brief, no scan"
        assert len(bot.texts(ADMIN, "NSE holiday list for 2027 is missing")) == 1
        assert bot.feed.calls == 0, "no market data is asked for on an unknown day"
        emu.assert_no_violations()
    finally:
        await bot.stop()


# ---- (e) an error storm: one admin message per throttle window --------------------------------------
async def test_an_error_storm_is_one_admin_message_per_window(engine, emu, tmp_path):
    async def boom(update, context):
        raise RuntimeError("secret detail that stays in the log")

    bot = await OpsBot(
        engine, emu, tmp_path, at=at(14, 12, 0, month=10), handlers=[CommandHandler("boom", boom)]
    ).start()
    try:
        for _ in range(8):
            replies = await bot.say(TRADER, "/boom")
            assert replies[0].plain == "Something went wrong on our side; the admins were told."
        await bot.deliver()
        errors = bot.texts(ADMIN, "Error in")
        assert len(errors) == 1, errors
        assert "unexpected RuntimeError" in errors[0] and "secret detail" not in errors[0]
        assert not bot.texts(DESK_CHAT, "Error in")

        # Still storming a minute later (the throttle window is 60 s): one more message, not eight.
        bot.advance(seconds=61)
        for _ in range(4):
            await bot.say(TRADER, "/boom")
        await bot.deliver()
        assert len(bot.texts(ADMIN, "Error in")) == 2
        emu.assert_no_violations()
    finally:
        await bot.stop()
