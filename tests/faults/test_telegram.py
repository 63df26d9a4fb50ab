"""The Telegram column of the fault matrix: the Bot API failing (timeout, connection dropped, 429 with
retry_after, 5xx, token refused) under the real bot (tests/faults/harness.py, the emulator's faults).

Telegram cannot carry an alert about itself, so: while it fails the desk keeps working (the brief is
written and queued), /health (rendered by the same code) names the failing delivery, the outbox holds
every message and retries with backoff, and when sends work again the admins get ONE note saying when
delivery failed; every message queued during the outage is delivered once and none is marked failed.
(A timed-out send Telegram did carry out may show twice: the outbox cannot know; it is counted.)
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.health import health_reply
from bot.jobs import brief_job
from core.persistence.models import OutboxMessageRow
from tests.bot.harness import ADMIN, DESK_CHAT, at
from tests.faults.harness import FaultBot
from tests.faults.test_matrix import INJECTIONS

pytestmark = [pytest.mark.e2e, pytest.mark.db]

BACK = "Telegram delivery is back"
TIMES = 6  # failed calls before the fault clears


def inject(emu, fault: str) -> None:
    if fault == "timeout":
        emu.delay_next("*", 2.0, times=TIMES)  # PTB's read timeout is 1 s here
    elif fault == "refused":
        emu.drop_next("*", times=TIMES)
    elif fault == "429":
        emu.fail_next("*", 429, retry_after=1, times=TIMES)
    elif fault == "5xx":
        emu.fail_next("*", 502, times=TIMES)
    elif fault == "auth":
        emu.fail_next("*", 401, times=TIMES, description="Unauthorized")


@pytest.mark.parametrize(
    "fault",
    [
        "5xx",
        "refused",
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
        inject(emu, fault)
        now = bot.clock.now()
        await brief_job(bot.bc, now)  # the desk keeps working: a push is queued during the outage
        for _ in range(3):
            await bot.deliver()
            bot.advance(seconds=61)
        problem = bot.bc.outbox.delivery_problem()
        if (
            fault != "429"
        ):  # PTB's rate limiter waits out a 429 itself (retry_after) before the outbox sees it
            assert problem is not None and "held" in problem
            assert "telegram delivery" in (await health_reply(bot.bc)).text
        with bot.bc.app.factory() as s:
            assert not list(s.scalars(select(OutboxMessageRow).where(OutboxMessageRow.status == "failed")))
        # the fault clears
        emu.faults.clear()
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
        assert len(bot.texts(ADMIN, BACK)) == (0 if fault == "429" else 1)
        help_ = (await bot.say(ADMIN, "/help"))[0].plain
        assert "/health" in help_
        INJECTIONS.append({"dep": "telegram", "fault": fault, "seconds": time.perf_counter() - started})
    finally:
        emu.faults.clear()
        await bot.stop()
