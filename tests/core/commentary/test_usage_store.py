"""Usage storage on SQLite and PostgreSQL: records, daily totals, and the once-a-day budget notice."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.clock import IST, FixedClock
from core.commentary.prices import TokenUsage
from core.commentary.usage import Outcome, SqlUsageStore, UsageRecord
from core.persistence.db import session_factory
from core.persistence.models.llm import LlmUsageRow
from tests.core.commentary import factories as f
from tests.core.commentary.conftest import Notices, make_service

pytestmark = pytest.mark.db

AT = datetime(2026, 11, 24, 8, 40, tzinfo=IST)


NO_TOKENS = TokenUsage()


def rec(outcome: Outcome, cost: str, tokens: TokenUsage = NO_TOKENS, at: datetime = AT) -> UsageRecord:
    return UsageRecord(
        at=at,
        trading_day=at.date(),
        kind="brief",
        model="claude-sonnet-5-5",
        outcome=outcome,
        tokens=tokens,
        cost_usd=Decimal(cost),
        latency_ms=812,
        detail=None,
    )


def test_records_and_totals_per_ist_day(engine):
    store = SqlUsageStore(engine)
    store.record(rec(Outcome.OK, "0.009650", TokenUsage(1200, 350, 1500, 0, 0)))
    store.record(rec(Outcome.UNGROUNDED, "0.005700", TokenUsage(1200, 300, 0, 0, 1500)))
    store.record(rec(Outcome.NO_API_KEY, "0"))
    store.record(rec(Outcome.OK, "1.000000", TokenUsage(1, 1), at=AT + timedelta(days=1)))
    totals = store.totals(AT.date())
    assert totals.requests == 3 and totals.api_calls == 2
    assert totals.cost_usd == Decimal("0.015350")
    assert (totals.input_tokens, totals.output_tokens) == (2400, 650)
    assert (totals.cache_creation_input_tokens, totals.cache_read_input_tokens) == (1500, 1500)
    assert totals.by_outcome == {"ok": 1, "ungrounded": 1, "no_api_key": 1}
    empty = store.totals(AT.date() - timedelta(days=1))
    assert empty.requests == 0 and empty.cost_usd == Decimal("0")


def test_rows_keep_aware_times_and_exact_costs(engine):
    SqlUsageStore(engine).record(rec(Outcome.OK, "0.012141", TokenUsage(1843, 412, 1510, 0, 2600)))
    with session_factory(engine)() as session:
        row = session.execute(select(LlmUsageRow)).scalar_one()
    assert row.at == AT and row.at.tzinfo is not None
    assert row.cost_usd == Decimal("0.012141") and row.cache_creation_input_tokens == 1510
    assert row.kind == "brief" and row.outcome == "ok" and row.latency_ms == 812


def test_the_budget_notice_is_marked_once_per_day(engine):
    store = SqlUsageStore(engine)
    day = AT.date()
    assert store.mark_budget_notified(day, AT, Decimal("2.01"), Decimal("2.00")) is True
    assert store.mark_budget_notified(day, AT, Decimal("2.50"), Decimal("2.00")) is False
    assert store.mark_budget_notified(day + timedelta(days=1), AT, Decimal("2.01"), Decimal("2.00")) is True


async def test_the_service_stores_usage_and_cost_in_the_database(engine, fake):
    fake.reply("NIFTY 50 at 24,087.", input_tokens=1200, output_tokens=350, cache_creation_input_tokens=1500)
    fake.reply("NIFTY 50 at 24,087.", input_tokens=1000, output_tokens=500)
    notices = Notices()
    store = SqlUsageStore(engine)
    service = make_service(
        fake.base_url, store=store, budget="0.015", notices=notices, clock=FixedClock(f.NOW)
    )
    await service.brief(f.brief_facts())  # $0.009650
    await service.brief(f.brief_facts())  # $0.007000 → $0.016650 ≥ $0.015
    over = await service.brief(f.brief_facts())
    assert over.reason == Outcome.OVER_BUDGET and len(fake.requests) == 2
    totals = await service.usage_today()
    assert totals.cost_usd == Decimal("0.016650")
    assert totals.by_outcome == {"ok": 2, "over_budget": 1}
    assert len(notices.got) == 1 and notices.got[0].spent_usd == Decimal("0.016650")
