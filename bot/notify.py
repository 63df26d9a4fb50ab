"""From domain events to push messages: who gets what, rendered, recorded in the outbox.

Each undispatched event is rendered and its messages are enqueued in the SAME transaction that marks
the event dispatched, so a crash can neither lose an alert nor record it twice (the outbox dedupe key
is ``event:<id>:<chat>``). Recipients:

- desk events (suggestions, fills, exits, risk, data problems) go to TELEGRAM_CHAT_ID, in its forum
  topic for approvals/alerts when configured;
- operator events (errors, Kite token, calendar, LLM budget, the LLM's breaker) go to each admin's
  private chat; a market-data source's breaker goes to both;
- each chat's /settings decide on, silent or off per notification type (quiet hours make "on" silent);
  edits of earlier messages (a suggestion that was decided) are never suppressed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.outbox import Outgoing, enqueue, rewrite_pending, sent_messages
from bot.prefs import PrefsStore, delivery
from bot.render import alerts
from bot.render.message import PhotoReply, Reply
from bot.render.notifications import NotificationType, NotifyMode
from bot.render.suggestions import suggestion_message, suggestion_status_edit
from core.config.settings import Settings
from core.domain.money import to_decimal
from core.persistence.desk_repo import DeskRepository
from core.services.events import Event, EventKind, mark_dispatched, undispatched

log = logging.getLogger(__name__)

# Breakers whose outage does not touch market data or trading: only operators hear of them (Claude down
# means automatic commentary, not stale prices).
OPERATOR_ONLY_SOURCES = frozenset({"llm"})


@dataclass(frozen=True)
class Target:
    chat_id: int
    thread_id: int | None = None


class Notifier:
    def __init__(self, settings: Settings, prefs: PrefsStore) -> None:
        self.settings = settings
        self.prefs = prefs
        self.on_event: Callable[[EventKind, tuple[str, str]], None] | None = None  # suggestion outcomes

    # ---- recipients ------------------------------------------------------------------------------
    def desk_targets(self, topic: int | None) -> list[Target]:
        chat = self.settings.telegram_chat_id
        return [Target(chat, topic)] if chat is not None else []

    def admin_targets(self) -> list[Target]:
        return [Target(a) for a in dict.fromkeys(self.settings.telegram_admin_ids)]

    # ---- enqueue helpers ------------------------------------------------------------------------
    def push(
        self,
        session: Session,
        targets: Iterable[Target],
        kind: NotificationType,
        reply: Reply | PhotoReply,
        key: str,
        now: datetime,
        ref: str | None = None,
    ) -> int:
        """Enqueue ``reply`` for each target that has ``kind`` switched on; returns messages recorded."""
        n = 0
        for t in targets:
            mode = delivery(self.prefs.get(t.chat_id), kind, now)
            if mode is NotifyMode.OFF:
                continue
            silent = mode is NotifyMode.SILENT
            base = f"{key}:{t.chat_id}"
            if isinstance(reply, PhotoReply):
                n += enqueue(
                    session,
                    Outgoing(
                        t.chat_id,
                        kind.value,
                        f"{base}:p",
                        text=reply.caption,
                        photo=reply.png,
                        keyboard=reply.keyboard,
                        thread_id=t.thread_id,
                        silent=silent,
                        ref=ref,
                        op="photo",
                    ),
                    now,
                )
                parts = list(reply.follow_up)
            else:
                parts = reply.parts()
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                kb = reply.keyboard if (last and isinstance(reply, Reply)) else None
                n += enqueue(
                    session,
                    Outgoing(
                        t.chat_id,
                        kind.value,
                        f"{base}:{i}",
                        text=part,
                        keyboard=kb,
                        thread_id=t.thread_id,
                        silent=silent,
                        ref=ref,
                    ),
                    now,
                )
        return n

    def edit(self, session: Session, ref: str, reply: Reply, key: str, now: datetime) -> int:
        """Edit the messages sent under ``ref``; those still queued get the new content instead."""
        n = rewrite_pending(session, ref, reply.parts()[0], reply.keyboard)
        for chat_id, message_id in sent_messages(session, ref):
            n += enqueue(
                session,
                Outgoing(
                    chat_id,
                    "edit",
                    f"{key}:{chat_id}:{message_id}",
                    text=reply.parts()[0],
                    keyboard=reply.keyboard,
                    ref=ref,
                    op="edit",
                    target_message_id=message_id,
                ),
                now,
            )
        return n

    def _count(self, kind: EventKind, algorithm: str, outcome: str) -> None:
        if self.on_event is not None:
            self.on_event(kind, (algorithm, outcome))

    # ---- events ---------------------------------------------------------------------------------
    def dispatch(self, factory: object, now: datetime, limit: int = 100) -> int:
        """Render and enqueue every undispatched event; returns how many events were handled."""
        from sqlalchemy.orm import sessionmaker

        from core.persistence.db import transaction

        assert isinstance(factory, sessionmaker)
        handled = 0
        with transaction(factory, write=False) as s:
            pending = undispatched(s, limit)
        for event in pending:
            try:
                with transaction(factory) as s:
                    if not mark_dispatched(s, event.id, now):
                        continue
                    self._render(s, event, now)
                handled += 1
            except Exception:  # one bad event must not block the others; it stays undispatched
                log.exception("could not dispatch event %s (%s)", event.id, event.kind)
        return handled

    def _render(self, s: Session, e: Event, now: datetime) -> None:
        repo = DeskRepository(s)
        key = f"event:{e.id}"
        p = e.payload
        st = self.settings
        if e.kind is EventKind.SUGGESTION_CREATED:
            sug = repo.get_suggestion(int(p["suggestion_id"]))
            if sug is not None:
                self._count(e.kind, sug.algorithm, "created")
            if sug is not None and sug.status.value == "pending":
                self.push(
                    s,
                    self.desk_targets(st.telegram_topic_approvals),
                    NotificationType.SUGGESTIONS,
                    suggestion_message(sug),
                    key,
                    now,
                    ref=f"suggestion:{sug.id}",
                )
        elif e.kind is EventKind.SUGGESTION_DECIDED:
            sug = repo.get_suggestion(int(p["suggestion_id"]))
            if sug is not None:
                self._count(e.kind, sug.algorithm, sug.status.value)
                self.edit(s, f"suggestion:{sug.id}", suggestion_status_edit(sug), key, now)
        elif e.kind is EventKind.POSITION_OPENED:
            pos = repo.get_position(int(p["position_id"]))
            if pos is not None:
                self._count(e.kind, pos.algorithm, "executed")
                self.push(
                    s,
                    self.desk_targets(st.telegram_topic_alerts),
                    NotificationType.FILLS,
                    alerts.fill_alert(pos),
                    key,
                    now,
                    ref=f"position:{pos.id}",
                )
                sug = repo.get_suggestion(int(p["suggestion_id"])) if p.get("suggestion_id") else None
                if sug is not None:
                    self.edit(s, f"suggestion:{sug.id}", suggestion_status_edit(sug, pos), key, now)
        elif e.kind is EventKind.POSITION_CLOSED:
            pos = repo.get_position(int(p["position_id"]))
            if pos is not None:
                self.push(
                    s,
                    self.desk_targets(st.telegram_topic_alerts),
                    NotificationType.EXITS,
                    alerts.exit_alert(pos),
                    key,
                    now,
                    ref=f"position:{pos.id}",
                )
        elif e.kind is EventKind.RISK_TRIPPED:
            reply = alerts.risk_tripped_text(
                [str(b) for b in p.get("breakers", [])], [str(r) for r in p.get("reasons", [])], e.at
            )
            self.push(
                s,
                [*self.desk_targets(st.telegram_topic_alerts), *self.admin_targets()],
                NotificationType.RISK,
                reply,
                key,
                now,
            )
        elif e.kind is EventKind.RISK_CHANGED:
            reply = alerts.risk_changed_alert(
                str(p.get("action")),
                str(p.get("detail", "")),
                str(p.get("status")),
                str(p.get("user_id")) if p.get("user_id") else None,
            )
            self.push(s, self.desk_targets(st.telegram_topic_alerts), NotificationType.RISK, reply, key, now)
        elif e.kind is EventKind.UNUSUAL_LOSS:
            reply = alerts.unusual_loss_alert(to_decimal(p["day_pnl"]), to_decimal(p["threshold"]), e.at)
            self.push(
                s,
                [*self.desk_targets(st.telegram_topic_alerts), *self.admin_targets()],
                NotificationType.RISK,
                reply,
                key,
                now,
            )
        elif e.kind is EventKind.DATA_STALE:
            reply = alerts.stale_data_alert([str(x) for x in p.get("problems", [])], e.at)
            self.push(s, self.desk_targets(st.telegram_topic_alerts), NotificationType.DATA, reply, key, now)
        elif e.kind is EventKind.BREAKER:
            source = str(p.get("source"))
            reply = alerts.source_breaker_alert(source, str(p.get("state")), p.get("reason"), e.at)
            desk = [] if source in OPERATOR_ONLY_SOURCES else self.desk_targets(st.telegram_topic_alerts)
            self.push(s, [*desk, *self.admin_targets()], NotificationType.DATA, reply, key, now)
        elif e.kind is EventKind.TOKEN:
            self.push(
                s, self.admin_targets(), NotificationType.DATA, alerts.token_expired_alert(e.at), key, now
            )
        elif e.kind is EventKind.CALENDAR:
            self.push(
                s,
                self.admin_targets(),
                NotificationType.DATA,
                alerts.calendar_missing_alert(int(p["year"])),
                key,
                now,
            )
        elif e.kind is EventKind.LLM_BUDGET:
            from datetime import date

            reply = alerts.llm_budget_alert(
                Decimal(str(p["spent_usd"])), Decimal(str(p["budget_usd"])), date.fromisoformat(str(p["on"]))
            )
            self.push(s, self.admin_targets(), NotificationType.ERRORS, reply, key, now)
        elif e.kind is EventKind.ERROR:
            reply = alerts.error_alert(
                str(p.get("where", "")), str(p.get("detail", "")), e.at, int(p.get("count", 1))
            )
            self.push(s, self.admin_targets(), NotificationType.ERRORS, reply, key, now)
