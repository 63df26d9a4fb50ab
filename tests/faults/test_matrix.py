"""The fault matrix (issue 9): every outside dependency × every way it fails, against the real bot.

For Kite, Yahoo and Anthropic (``llm``) and each fault — timeout, connection refused, 429, 5xx,
malformed body, authentication refused — one run of the real bot (``tests/faults/harness.py``:
MARKET_DATA=kite with the real ``kiteconnect`` client on the fake Kite server, Yahoo at the fetcher
seam, the real ``anthropic`` SDK on the fake Messages API, Telegram = the emulator) checks that:

1. it keeps serving: /help, /positions and /brief answer while the fault is on;
2. /health names the failing dependency (and its breaker or refused credentials);
3. it alerts once: one alert in the admins' chat (and the desk's for market data) for the whole
   outage, however many calls failed;
4. it blocks trading where the data is needed: Kite down → a scan suggests nothing and says why;
   Yahoo down → the brief says the global cues are unavailable, trading goes on; Claude down → the
   brief goes out with the automatic summary, trading goes on;
5. it recovers: after the fault clears, /health is back to normal and one "is back" note is sent;
6. it loses nothing: the open position, the suggestions and every outbox message of before the fault
   are intact, nothing in the outbox failed, and everything queued during the outage was delivered.

Timeline of a cell: Wednesday 18 Nov 10:00 healthy (a scan suggests, a trader approves → a position);
the fault starts; Thursday 19 Nov 08:45 the pre-market brief, then ticks at 10:00-10:03 (a scan);
the fault clears at 10:10. The guards run on a fake monotonic clock, advanced 61 s per tick so an
open breaker tries again each tick (and fails again while the fault is on).

Telegram and the database have their own files (test_telegram.py, test_database.py): a Telegram fault
cannot be reported through Telegram, and a database fault cannot be recorded in the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from core.persistence.models import OutboxMessageRow, PositionRow, SuggestionRow
from tests.bot.harness import ADMIN, DESK_CHAT, TRADER, VIEWER, at
from tests.faults.harness import FAULTS, FaultBot

pytestmark = [pytest.mark.e2e, pytest.mark.db]

DEPS = ("kite", "yahoo", "llm")
# The default suite runs one cell per dependency (the ones that caught product bugs); the rest is slow.
SHORT = {("kite", "auth"), ("yahoo", "refused"), ("llm", "timeout")}
INJECTIONS: list[dict] = []  # one entry per cell run (tests/faults/test_matrix.py::test_counts)


def cells() -> list:
    out = []
    for dep in DEPS:
        for fault in FAULTS:
            marks = [] if (dep, fault) in SHORT else [pytest.mark.slow]
            out.append(pytest.param(dep, fault, id=f"{dep}-{fault}", marks=marks))
    return out


@dataclass
class Before:
    positions: list[tuple[int, str]]
    suggestions: list[int]
    outbox: dict[str, str] = field(default_factory=dict)


def state(bot: FaultBot) -> Before:
    with bot.bc.app.factory() as s:
        positions = [(p.id, str(p.status)) for p in s.scalars(select(PositionRow).order_by(PositionRow.id))]
        suggestions = list(s.scalars(select(SuggestionRow.id).order_by(SuggestionRow.id)))
        outbox = {r.dedupe_key: r.status for r in s.scalars(select(OutboxMessageRow))}
    return Before(positions, suggestions, outbox)


def approve_button(message) -> str | None:
    return next((d for d in message.button_data() if d.startswith("v1:ap:")), None)


def down_needle(dep: str, fault: str) -> str:
    # Yahoo has no credentials of ours: its cookie/crumb refusal is an outage like any other
    auth = fault == "auth" and dep != "yahoo"
    return f"{dep} refused our credentials" if auth else f"{dep} unavailable"


async def tick(bot: FaultBot, hh: int, mm: int, day: int = 19) -> list[str]:
    bot.clock.set(at(day, hh, mm))
    bot.monotonic.advance(61)
    return await bot.tick()


@pytest.mark.parametrize(("dep", "fault"), cells())
async def test_fault_cell(dep, fault, sqlite_engine, emu, claude, tmp_path):
    started = time.perf_counter()
    bot = await FaultBot(sqlite_engine, emu, tmp_path, at=at(18, 10, 0), claude=claude).start()
    try:
        # ---- healthy: a suggestion, approved into a position ---------------------------------------
        await bot.tick()
        pushed = [m for m in bot.messages(DESK_CHAT) if approve_button(m)]
        assert pushed, "a healthy scan suggests something"
        await bot.press(TRADER, pushed[0], approve_button(pushed[0]))
        await bot.deliver()
        assert len(bot.bc.app.desk.open_positions()) == 1
        before = state(bot)
        assert all(v == "sent" for v in before.outbox.values())

        # ---- the fault is on: the brief, then a morning of ticks --------------------------------------
        await bot.inject(dep, fault)
        bot.clock.set(at(19, 8, 45))
        bot.monotonic.advance(61)
        assert "premarket_brief" in await bot.tick()
        briefs = []
        for minute in range(4):
            await tick(bot, 10, minute)
            briefs.append((await bot.say(TRADER, "/brief"))[-1].plain)  # a user asks meanwhile
        await bot.deliver()

        # 1. keeps serving
        help_ = (await bot.say(VIEWER, "/help"))[0].plain
        assert "/positions" in help_
        open_now = bot.bc.app.desk.open_positions()
        positions = (await bot.say(VIEWER, "/positions"))[0].plain
        assert all(f"#{p.id}" in positions for p in open_now), positions
        assert open_now or "No open positions" in positions, positions
        assert all(b for b in briefs)

        # 2. /health names it
        health = (await bot.say(ADMIN, "/health"))[0].plain
        line = next((ln for ln in health.splitlines() if ln.startswith((f"⚠️ {dep}:", f"⛔ {dep}:"))), None)
        assert line is not None, health
        auth = fault == "auth" and dep != "yahoo"
        assert ("credentials refused" in line) if auth else ("unavailable" in line), line
        if dep == "kite" and fault == "auth":  # and the token check agrees: log in again
            assert "⚠️ kite token: no valid Kite session for today" in health, health
        assert health.startswith("⚠️") or health.startswith("⛔")

        # 3. one alert for the whole outage
        needle = down_needle(dep, fault)
        assert len(bot.texts(ADMIN, needle)) == 1, bot.texts(ADMIN, needle)
        desk_alerts = bot.texts(DESK_CHAT, needle)
        assert len(desk_alerts) == (0 if dep == "llm" else 1), desk_alerts

        # 4. trading blocked where the data is needed, and only there
        report = await bot.bc.app.desk.dry_scan()
        # (the desk chat is the trader's private chat: /brief answers land there too)
        desk_brief = [m.plain for m in bot.messages(DESK_CHAT) if "as of 19 Nov 08:45" in m.plain]
        assert len(desk_brief) == 1, "the scheduled brief went out once"
        if dep == "kite":
            # no market data, no trade: nothing is suggested, and the scan says why
            assert report.created == ()
            reasons = [*report.blocked, *(n for r in report.results if not r.candidates for n in r.notes)]
            assert reasons, report
            scan = (await bot.say(TRADER, "/scan"))[0].plain
            assert "💡" not in scan and "Suggestion #" not in scan, scan
            assert [p.id for p in bot.bc.app.desk.open_positions()] == [before.positions[0][0]], (
                "no exit on missing market data"
            )
        else:
            assert report.blocked == (), report.blocked
        if dep == "yahoo":
            assert "Global cues: unavailable" in desk_brief[0], desk_brief[0]
        if dep == "llm":
            assert "Automatic summary (rule-based, no AI)" in desk_brief[0], desk_brief[0]
            assert "Commentary by Claude" not in desk_brief[0]

        injected = bot.injected(dep, at(19, 10, 0).date())
        assert injected >= 3, "the fault was really met"
        if dep != "llm" and fault in ("timeout", "refused", "429", "5xx"):
            assert bot.sleeps.waits, "transient errors are retried after a backoff, not hammered"

        # ---- the fault clears -----------------------------------------------------------------------
        await bot.clear(dep, fault)
        await tick(bot, 10, 10)
        if dep == "llm":
            await bot.say(TRADER, "/brief")  # the next call to Claude is the trial that closes it
        await bot.deliver()

        # 5. recovered: health clean, one note in each chat that heard of the outage
        health = (await bot.say(ADMIN, "/health"))[0].plain
        assert not any(ln.startswith(("⚠️ " + dep, "⛔ " + dep)) for ln in health.splitlines()), health
        assert f"{dep:<10} closed" in health, health
        assert len(bot.texts(ADMIN, f"{dep} is back")) == 1
        assert len(bot.texts(ADMIN, needle)) == 1, "no second alert"
        if dep == "kite":
            assert (await bot.bc.app.desk.dry_scan()).blocked == ()

        # 6. nothing lost
        after = state(bot)
        # the same positions (the monitor may have closed one on its rules when the data allowed)
        assert [p for p, _ in after.positions] == [p for p, _ in before.positions]
        assert set(before.suggestions) <= set(after.suggestions)
        for key, status in before.outbox.items():
            assert after.outbox.get(key) == status, key
        assert all(v == "sent" for v in after.outbox.values()), {
            k: v for k, v in after.outbox.items() if v != "sent"
        }
        assert bot.bc.outbox.backlog() == 0
        emu.assert_no_violations()
        INJECTIONS.append(
            {"dep": dep, "fault": fault, "injected": injected, "seconds": time.perf_counter() - started}
        )
    finally:
        await bot.clear(dep, fault)
        await bot.stop()
