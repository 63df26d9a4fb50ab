"""Usage records, daily totals and the stores that keep them (a port, SQL, and an in-memory fake).

Days are IST trading days (``trading_day``); costs are ``Decimal`` USD with 6 decimals. The stores are
synchronous; the service calls them in a worker thread.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from core.commentary.prices import TokenUsage
from core.persistence.db import session_factory, transaction
from core.persistence.models.llm import LlmBudgetNoticeRow, LlmUsageRow

ZERO_USD = Decimal("0.000000")


class Outcome(StrEnum):
    """How a commentary request ended; every value except ``OK`` and ``CANNOT_ANSWER`` is a fallback."""

    OK = "ok"
    CANNOT_ANSWER = "cannot_answer"  # Claude said the facts do not hold the answer (/ask)
    NO_API_KEY = "no_api_key"
    OVER_BUDGET = "over_budget"
    PRICE_UNKNOWN = "price_unknown"
    DEADLINE = "deadline"  # our deadline passed before Claude answered
    TIMEOUT = "timeout"  # the SDK's request timeout
    UNAVAILABLE = "unavailable"  # circuit breaker open
    AUTH_ERROR = "auth_error"
    API_ERROR = "api_error"  # an HTTP error after the SDK's retries, or a connection failure
    EMPTY = "empty_reply"
    UNGROUNDED = "ungrounded"  # a number in the reply is not in the facts
    EMPTY_QUESTION = "empty_question"
    QUESTION_TOO_LONG = "question_too_long"
    TRADE_INSTRUCTION = "refused_trade_instruction"


@dataclass(frozen=True)
class UsageRecord:
    """One commentary request as stored."""

    at: datetime
    trading_day: date
    kind: str
    model: str
    outcome: Outcome
    tokens: TokenUsage = field(default_factory=TokenUsage)
    cost_usd: Decimal = ZERO_USD
    latency_ms: int | None = None
    detail: str | None = None


@dataclass(frozen=True)
class UsageTotals:
    """A day's totals for /health: requests by outcome, tokens and cost (USD)."""

    trading_day: date
    requests: int = 0
    api_calls: int = 0  # requests that got an answer from the API (tokens were spent)
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: Decimal = ZERO_USD
    by_outcome: dict[str, int] = field(default_factory=dict)


class UsageStore(Protocol):
    """Where usage goes. ``mark_budget_notified`` returns True only the first time for a day."""

    def record(self, rec: UsageRecord) -> None: ...

    def totals(self, day: date) -> UsageTotals: ...

    def mark_budget_notified(
        self, day: date, at: datetime, spent_usd: Decimal, budget_usd: Decimal
    ) -> bool: ...


def _spent(rec: UsageRecord) -> bool:
    return rec.tokens.input + rec.tokens.output + rec.tokens.cache_write + rec.tokens.cache_read > 0


class MemoryUsageStore:
    """In-memory store (tests, and a bot running without a database)."""

    def __init__(self) -> None:
        self.records: list[UsageRecord] = []
        self.notified: set[date] = set()
        self._lock = threading.Lock()

    def record(self, rec: UsageRecord) -> None:
        with self._lock:
            self.records.append(rec)

    def totals(self, day: date) -> UsageTotals:
        with self._lock:
            rows = [r for r in self.records if r.trading_day == day]
        return UsageTotals(
            trading_day=day,
            requests=len(rows),
            api_calls=sum(1 for r in rows if _spent(r)),
            input_tokens=sum(r.tokens.input for r in rows),
            output_tokens=sum(r.tokens.output for r in rows),
            cache_creation_input_tokens=sum(r.tokens.cache_write for r in rows),
            cache_read_input_tokens=sum(r.tokens.cache_read for r in rows),
            cost_usd=sum((r.cost_usd for r in rows), ZERO_USD),
            by_outcome=dict(Counter(r.outcome.value for r in rows)),
        )

    def mark_budget_notified(self, day: date, at: datetime, spent_usd: Decimal, budget_usd: Decimal) -> bool:
        with self._lock:
            if day in self.notified:
                return False
            self.notified.add(day)
            return True


class SqlUsageStore:
    """Usage in the ``llm_usage`` and ``llm_budget_notice`` tables (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def record(self, rec: UsageRecord) -> None:
        with transaction(self._sessions) as session:
            session.add(
                LlmUsageRow(
                    at=rec.at,
                    trading_day=rec.trading_day,
                    kind=rec.kind,
                    model=rec.model[:64],
                    outcome=rec.outcome.value,
                    input_tokens=rec.tokens.input,
                    output_tokens=rec.tokens.output,
                    cache_creation_input_tokens=rec.tokens.cache_write,
                    cache_read_input_tokens=rec.tokens.cache_read,
                    cost_usd=rec.cost_usd,
                    latency_ms=rec.latency_ms,
                    detail=None if rec.detail is None else rec.detail[:200],
                )
            )

    def totals(self, day: date) -> UsageTotals:
        t = LlmUsageRow
        tokens = t.input_tokens + t.output_tokens + t.cache_creation_input_tokens + t.cache_read_input_tokens
        with self._sessions() as session:
            row = session.execute(
                select(
                    func.count(),
                    func.count().filter(tokens > 0),
                    func.coalesce(func.sum(t.input_tokens), 0),
                    func.coalesce(func.sum(t.output_tokens), 0),
                    func.coalesce(func.sum(t.cache_creation_input_tokens), 0),
                    func.coalesce(func.sum(t.cache_read_input_tokens), 0),
                    func.coalesce(func.sum(t.cost_usd), 0),
                ).where(t.trading_day == day)
            ).one()
            outcomes = session.execute(
                select(t.outcome, func.count()).where(t.trading_day == day).group_by(t.outcome)
            ).all()
        return UsageTotals(
            trading_day=day,
            requests=int(row[0]),
            api_calls=int(row[1]),
            input_tokens=int(row[2]),
            output_tokens=int(row[3]),
            cache_creation_input_tokens=int(row[4]),
            cache_read_input_tokens=int(row[5]),
            cost_usd=Decimal(str(row[6])).quantize(ZERO_USD),
            by_outcome={str(o): int(n) for o, n in outcomes},
        )

    def mark_budget_notified(self, day: date, at: datetime, spent_usd: Decimal, budget_usd: Decimal) -> bool:
        try:
            with transaction(self._sessions) as session:
                session.add(
                    LlmBudgetNoticeRow(
                        trading_day=day, notified_at=at, spent_usd=spent_usd, budget_usd=budget_usd
                    )
                )
        except IntegrityError:
            return False
        return True
