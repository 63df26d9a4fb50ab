"""The database watch: the bot notices when its database is locked or gone, says so once, and says when
it is back.

Everything the desk does goes through the database (positions, suggestions, the outbox, the events
that become alerts), so an outage of the database cannot be announced the usual way (an event row in
the outbox). The watch probes the database at the start of every scheduler tick (a read of a real
table, so a lock or a missing schema fails the probe, not only a dead server):

- going down: one alert sent straight through the Bot API to the admins and the desk chat (best
  effort: if Telegram fails too, the log has it); the scheduler runs nothing while it is down (no
  scan, no approval, no monitor writes on a database that cannot record them);
- coming back: one "database is back" note through the outbox (the database works again), naming
  when it went down; the scheduler resumes.

Commands keep answering meanwhile: a handler that hits the database failing gets the plain
:data:`DATABASE_UNAVAILABLE` reply (``bot.app.on_error``), ``/help`` needs no database, and ``/health``
shows the database check failing.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from core.clock import IST, Clock

log = logging.getLogger("niftybot.dbwatch")

DATABASE_UNAVAILABLE = (
    "⚠️ The database is unavailable right now, so this cannot be done (nothing was changed). "
    "The admins were told; try again in a minute."
)
PROBE = text("select count(*) from alembic_version")


class DatabaseWatch:
    def __init__(self, engine: Engine, clock: Clock, chats: Sequence[int]) -> None:
        self.engine = engine
        self.clock = clock
        self.chats = tuple(dict.fromkeys(chats))
        self.bot: Any = None  # telegram.Bot, set by build_bot
        self.down_since: datetime | None = None
        self.last_error: str | None = None
        self.alerts_sent = 0
        self.failures = 0  # failed probes and failed database work seen (metrics, tests)

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def _probe(self) -> str | None:
        from core.persistence.db import session_factory, transaction

        try:
            # a write transaction: on SQLite (WAL) a held lock blocks writers, not readers
            with transaction(session_factory(self.engine)) as s:
                s.execute(PROBE).scalar()
        except SQLAlchemyError as exc:
            return (
                f"{type(exc.orig if getattr(exc, 'orig', None) else exc).__name__}: "
                + " ".join(str(getattr(exc, "orig", exc)).split())[:160]
            )
        return None

    def note_failure(self, exc: BaseException) -> None:
        """A handler or job failed on the database: the next check confirms and alerts."""
        self.failures += 1
        self.last_error = f"{type(exc).__name__}"

    async def check(self) -> bool:
        """Probe; True when the database answers. Alerts on the way down and notes the way back."""
        problem = await asyncio.to_thread(self._probe)
        now = self.clock.now()
        if problem is not None:
            self.failures += 1
            self.last_error = problem
            if self.down_since is None:
                self.down_since = now
                log.error("database unavailable: %s", problem)
                await self._alert_down(now, problem)
            return False
        if self.down_since is not None:
            since, self.down_since = self.down_since, None
            log.warning("database back (down since %s)", since.isoformat())
            self._note_back(since, now)
        return True

    async def _alert_down(self, now: datetime, problem: str) -> None:
        if self.bot is None:
            return
        text_ = (
            f"🗄️ <b>Database unavailable</b> since {now.astimezone(IST):%H:%M} IST: {html.escape(problem)}. "
            "No scans, approvals or exits run until it is back; commands that need it say so."
        )
        for chat in self.chats:
            try:
                await self.bot.send_message(chat_id=chat, text=text_, parse_mode="HTML")
                self.alerts_sent += 1
            except Exception as exc:  # Telegram failing too: the log has it
                log.error("could not send the database alert to %s: %s", chat, exc)

    def _note_back(self, since: datetime, now: datetime) -> None:
        from bot.outbox import Outgoing, enqueue
        from core.persistence.db import session_factory, transaction

        body = (
            f"🗄️ <b>Database is back</b> at {now.astimezone(IST):%H:%M} IST (unavailable since "
            f"{since.astimezone(IST):%H:%M}). Scans, approvals and exits resume."
        )
        try:
            with transaction(session_factory(self.engine)) as s:
                for chat in self.chats:
                    enqueue(
                        s, Outgoing(chat, "errors", f"db-back:{since.isoformat()}:{chat}", text=body), now
                    )
        except SQLAlchemyError:
            log.exception("could not record the database recovery note")
