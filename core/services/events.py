"""Domain events, recorded in the database in the same transaction as the change they announce.

This is a transactional outbox: a position opened and its "position opened" event commit together or
not at all, so a crash can never lose the push message for a trade that happened, nor announce one that
did not. The bot's dispatcher reads undispatched events, renders them into messages for the right chats
and marks them dispatched (see bot/outbox.py). Payloads carry ids and the few facts a message needs;
renderers load current rows by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.persistence.models.events import EventRow


class EventKind(StrEnum):
    SUGGESTION_CREATED = "suggestion_created"
    SUGGESTION_DECIDED = "suggestion_decided"  # rejected, refused or expired (opened → POSITION_OPENED)
    POSITION_OPENED = "position_opened"
    POSITION_CLOSED = "position_closed"
    RISK_TRIPPED = "risk_tripped"
    RISK_CHANGED = "risk_changed"  # pause, resume, reset
    UNUSUAL_LOSS = "unusual_loss"
    DATA_STALE = "data_stale"
    BREAKER = "breaker"  # a data source's circuit breaker opened or closed
    TOKEN = "token"  # Kite token expired / expiring
    CALENDAR = "calendar"  # next year's holiday list missing
    LLM_BUDGET = "llm_budget"
    ERROR = "error"


@dataclass(frozen=True)
class Event:
    id: int
    kind: EventKind
    at: datetime
    payload: Mapping[str, Any]
    dedupe_key: str | None = None


def record_event(
    session: Session,
    kind: EventKind,
    at: datetime,
    payload: Mapping[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
) -> None:
    """Add an event to the caller's transaction. With ``dedupe_key``, a second event with the same key
    is silently dropped (e.g. one 'calendar missing' alert per day)."""
    if dedupe_key is not None:
        exists = session.scalar(select(EventRow.id).where(EventRow.dedupe_key == dedupe_key))
        if exists is not None:
            return
    session.add(EventRow(kind=kind.value, at=at, payload=dict(payload or {}), dedupe_key=dedupe_key))


def undispatched(session: Session, limit: int = 100) -> list[Event]:
    rows = session.scalars(
        select(EventRow).where(EventRow.dispatched_at.is_(None)).order_by(EventRow.id).limit(limit)
    )
    return [Event(r.id, EventKind(r.kind), r.at, dict(r.payload), r.dedupe_key) for r in rows]


def mark_dispatched(session: Session, event_id: int, at: datetime) -> bool:
    """Mark one event dispatched; False if another dispatcher got there first."""
    result = session.execute(
        update(EventRow)
        .where(EventRow.id == event_id, EventRow.dispatched_at.is_(None))
        .values(dispatched_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
