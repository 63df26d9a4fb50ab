"""What the handlers and jobs share: the core app, roles, the outbox, preferences, commentary.

Built once at start-up (``bot.app.build_bot``) and kept in ``application.bot_data["ctx"]``; handlers get
it with :func:`ctx_of`. Nothing here holds trading logic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram.ext import ContextTypes

from bot.auth import Roles
from bot.notify import Notifier
from bot.outbox import OutboxSender
from bot.prefs import PrefsStore
from bot.render.commentary import Commentary
from core.bootstrap import App
from core.domain.market import MarketSnapshot


class Commentator:
    """The commentary port the bot uses (Claude with a deterministic fallback, see core.commentary)."""

    async def brief(self, snapshot: MarketSnapshot) -> Commentary | None:
        return None

    async def eod(self, facts: Any) -> Commentary | None:
        return None

    async def ask(self, question: str, snapshot: MarketSnapshot | None) -> str | None:
        return None

    async def aclose(self) -> None:
        """Release network clients (called at shutdown)."""


@dataclass
class BotContext:
    app: App
    roles: Roles
    outbox: OutboxSender
    prefs: PrefsStore
    notifier: Notifier
    started_at: datetime
    commentator: Commentator = field(default_factory=Commentator)
    observers: list[Callable[[str, float, bool], None]] = field(default_factory=list)  # (command, secs, ok)
    wake_outbox: Callable[[], Awaitable[None]] | None = None
    login_waiting: set[int] = field(default_factory=set)  # admins asked for a Kite request token
    metrics: Any = None  # core.ops.metrics.Metrics
    scheduler_observer: Callable[[str, str], None] | None = None  # (job, status)
    db_watch: Any = None  # bot.dbwatch.DatabaseWatch
    views: Any = None  # bot.views.ViewCache (read views shared at the same desk state)

    @property
    def settings(self) -> Any:
        return self.app.settings

    def now(self) -> datetime:
        return self.app.clock.now()

    async def aclose(self) -> None:
        await self.commentator.aclose()
        if self.metrics is not None:
            self.metrics.stop()


def ctx_of(context: ContextTypes.DEFAULT_TYPE) -> BotContext:
    bc = context.application.bot_data["ctx"]
    assert isinstance(bc, BotContext)
    return bc
