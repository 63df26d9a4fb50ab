"""The bot's commentary adapter: domain objects → typed facts → ``CommentaryService`` → labelled text.

Claude writes the words and the core owns the numbers (``core.commentary`` rejects a reply that states
a number not in the facts). Every call has a deadline, so a slow or failing service never holds up a
scheduled brief: the deterministic writer's text goes out instead, labelled as automatic.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from bot.context import Commentator
from bot.render.commentary import Commentary, CommentarySource
from core.bootstrap import App
from core.clock import IST
from core.commentary.builders import ask_facts, brief_facts, eod_facts, suggestion_facts
from core.commentary.service import Commentary as ServiceCommentary
from core.commentary.service import CommentaryService, build_commentary_service
from core.commentary.usage import SqlUsageStore
from core.domain.market import MarketSnapshot
from core.domain.trading import Suggestion
from core.persistence.db import transaction
from core.services.events import EventKind, record_event


def _labelled(c: ServiceCommentary) -> Commentary:
    # The service returns HTML-escaped text; the templates escape what they show, so hand them plain text.
    source = CommentarySource.CLAUDE if c.source == "claude" else CommentarySource.AUTO
    return Commentary(html.unescape(c.text), source)


class ClaudeCommentator(Commentator):
    def __init__(self, app: App, service: CommentaryService) -> None:
        self.app = app
        self.service = service

    def _deadline(self, seconds: float | None = None) -> datetime:
        return self.app.clock.now() + timedelta(seconds=seconds or self.app.config.llm.timeout_seconds)

    async def brief(self, snapshot: MarketSnapshot) -> Commentary | None:
        facts = brief_facts(snapshot, snapshot.taken_at.astimezone(IST).date())
        return _labelled(await self.service.brief(facts, deadline=self._deadline()))

    async def eod(self, facts: Any) -> Commentary | None:
        now = self.app.clock.now()
        day = now.astimezone(IST).date()
        start = datetime.combine(day, datetime.min.time(), IST)
        positions = [*self.app.desk.open_positions(), *self.app.reports.history(200)]
        touched = [p for p in positions if p.is_open or (p.closed_at is not None and p.closed_at >= start)]
        snap = self.app.market.latest
        ef = eod_facts(
            day,
            touched,
            facts.get("risk") if isinstance(facts, dict) else None,
            nifty=snap.spot if snap else None,
            vix=snap.vix if snap else None,
        )
        return _labelled(await self.service.eod(ef, deadline=self._deadline()))

    async def ask(self, question: str, snapshot: MarketSnapshot | None) -> str | None:
        if snapshot is None:
            return None
        facts = ask_facts(snapshot, self.app.desk.open_positions(), self.app.desk.risk().state)
        reply = await self.service.ask(question, facts, deadline=self._deadline())
        return html.unescape(reply.text)

    async def aclose(self) -> None:
        await self.service.aclose()

    async def rationale(self, s: Suggestion) -> str | None:
        snap = self.app.market.latest
        facts = suggestion_facts(s, snap.technicals if snap else None)
        reply = await self.service.rationale(facts, deadline=self._deadline(10))
        return html.unescape(reply.text) if reply.source == "claude" else None


def build_commentator(app: App) -> ClaudeCommentator:
    """Claude when ANTHROPIC_API_KEY is set (else the automatic writer), usage in the database, and the
    once-a-day 'budget reached' alert for admins."""

    def budget_reached(notice: Any) -> None:
        with transaction(app.factory) as s:
            record_event(
                s,
                EventKind.LLM_BUDGET,
                app.clock.now(),
                {
                    "spent_usd": str(notice.spent_usd),
                    "budget_usd": str(notice.budget_usd),
                    "on": notice.trading_day.isoformat(),
                },
                dedupe_key=f"llm_budget:{notice.trading_day}",
            )

    service = build_commentary_service(
        app.settings,
        app.config.llm,
        app.guards,
        SqlUsageStore(app.engine),
        app.clock,
        on_budget_exhausted=budget_reached,
    )
    commentator = ClaudeCommentator(app, service)
    app.desk.annotate = commentator.rationale
    return commentator
