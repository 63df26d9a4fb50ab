"""The Telegram column of the fault matrix: the Bot API failing (timeout, connection dropped, 429 with
retry_after, 5xx, token refused) under the real bot (tests/faults/harness.py, the emulator's faults).

Telegram cannot carry an alert about itself, so: while it fails the desk keeps working (the brief is
written and queued), /health (rendered by the same code) names the failing delivery, the outbox holds
every message and retries with backoff, and when sends work again the admins get ONE note saying when
delivery failed; every message queued during the outage is delivered once and none is marked failed.
(A timed-out send Telegram did carry out may show twice: the outbox cannot know; it is counted.)
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from bot.health import health_reply
from bot.jobs import brief_job
from core.persistence.models import OutboxMessageRow
from tests.bot.harness import ADMIN, DESK_CHAT, TRADER, at
from tests.faults.harness import FaultBot
from tests.faults.test_matrix import INJECTIONS

pytestmark = [pytest.mark.e2e, pytest.mark.db]

BACK = "Telegram delivery is back"
ALWAYS = 10**6  # a fault on until the test clears it


async def inject(emu, fault: str) -> None:
    """Every Bot API method but getUpdates fails (refused: the whole server is gone)."""
    if fault == "timeout":
        emu.delay_next("*", 2.0, times=ALWAYS)  # PTB gives up after 1 s here; the sends happen late
    elif fault == "refused":
        await emu.stop()
    elif fault == "429":
        emu.fail_next("*", 429, retry_after=1, times=ALWAYS)
    elif fault == "5xx":
        emu.fail_next("*", 502, times=ALWAYS)
    elif fault == "malformed":
        emu.malform_next("*", times=ALWAYS)
    elif fault == "auth":
        emu.fail_next("*", 401, times=ALWAYS, description="Unauthorized")


async def clear(emu, fault: str) -> None:
    emu.faults.clear()
    if fault == "refused" and emu._runner is None:
        await emu.start()


@pytest.mark.parametrize(
    "fault",
    [
        "5xx",
        pytest.param("malformed", marks=pytest.mark.slow),
        pytest.param("refused", marks=pytest.mark.slow),
        pytest.param("timeout", marks=pytest.mark.slow),
        pytest.param("429", marks=pytest.mark.slow),
        pytest.param("auth", marks=pytest.mark.slow),
    ],
)
async def test_telegram_cell(fault, sqlite_engine, emu, claude, tmp_path):
    started = time.perf_counter()
    bot = await FaultBot(sqlite_engine, emu, tmp_path, at=at(18, 10, 0), claude=claude).start()
    try:
        await bot.tick()
        sent_before = len(bot.messages(DESK_CHAT))
        await inject(emu, fault)
        now = bot.clock.now()
        await brief_job(bot.bc, now)  # the desk keeps working: a push is queued during the outage
        if fault != "refused":  # a command arrives; its reply cannot be sent
            emu.user_sends(TRADER, TRADER, "/positions")
            await asyncio.sleep(1.5)
        bot.advance(seconds=61)
        assert "monitor" in await bot.tick(), "the desk keeps working"
        for _ in range(10):  # a long outage: more rounds than the outbox once allowed (8) before giving up
            bot.advance(seconds=61)
            await bot.deliver()
        problem = bot.bc.outbox.delivery_problem()
        # (429: PTB's rate limiter first waits out retry_after itself, up to 5 times per send)
        assert problem is not None and "held" in problem
        assert "telegram delivery" in (await health_reply(bot.bc)).text
        with bot.bc.app.factory() as s:
            held = list(s.scalars(select(OutboxMessageRow).where(OutboxMessageRow.status != "sent")))
        assert held and all(r.status == "pending" for r in held), "held, never given up"
        if fault != "429":  # a 429 is a wait Telegram asked for, not a failed attempt
            assert max(r.attempts for r in held) >= 9
        injected = bot.bc.outbox.failures
        assert injected >= 3
        # the fault clears
        await clear(emu, fault)
        for _ in range(3):
            bot.advance(seconds=61)
            await bot.deliver()
        assert bot.bc.outbox.backlog() == 0
        assert bot.bc.outbox.delivery_problem() is None
        with bot.bc.app.factory() as s:
            rows = list(s.scalars(select(OutboxMessageRow)))
        assert rows and all(r.status == "sent" for r in rows)
        briefs = [m for m in bot.messages(DESK_CHAT)[sent_before:] if "Pre-market brief" in m.plain]
        assert len(briefs) >= 1 and (fault == "timeout" or len(briefs) == 1)
        assert len(bot.texts(ADMIN, BACK)) == 1
        help_ = (await bot.say(ADMIN, "/help", wait=40))[0].plain  # (refused: polling reconnects)
        assert "/health" in help_
        assert not bot.texts(ADMIN, "Error in"), "Telegram's own failures are not error alerts"
        INJECTIONS.append(
            {
                "dep": "telegram",
                "fault": fault,
                "injected": injected,
                "seconds": time.perf_counter() - started,
            }
        )
    finally:
        await clear(emu, fault)
        await bot.stop()
