"""The desk service on a real database (SQLite and PostgreSQL) and the simulator."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.domain.trading import ExitReason, PositionStatus, SuggestionStatus
from core.persistence.models import PositionRow, TradeDecisionRow
from core.services.results import Outcome
from tests.desk_harness import Desk, FixedAlgo

pytestmark = pytest.mark.db


async def test_a_scan_stores_and_announces_a_pending_suggestion(engine):
    desk = Desk(engine)
    report = await desk.service.scan()
    assert len(report.created) == 1
    s = report.created[0]
    assert s.status is SuggestionStatus.PENDING and s.id is not None
    assert s.gates_passed and len(s.gates) == 11
    assert s.expires_at - s.created_at == timedelta(minutes=15)
    assert [e.payload for e in desk.events("suggestion_created")] == [{"suggestion_id": s.id}]
    # The same idea is not suggested twice while it is pending.
    again = await desk.service.scan()
    assert again.created == () and again.skipped_duplicates == 1


async def test_approving_opens_one_position_and_a_second_tap_changes_nothing(engine):
    desk = Desk(engine)
    s = (await desk.service.scan()).created[0]
    first = await desk.service.approve(s.id, user_id=7)
    assert first.outcome is Outcome.OK, first.message
    pos = first.position
    assert pos.is_open and pos.suggestion_id == s.id and pos.opened_by == 7
    assert pos.entry_charges.brokerage == Decimal("40.00")  # two orders
    assert pos.max_loss > 0
    second = await desk.service.approve(s.id, user_id=8)
    assert second.outcome is Outcome.ALREADY
    assert f"position #{pos.id}" in second.message
    assert desk.service.reject(s.id, user_id=8).outcome is Outcome.ALREADY
    assert len(desk.service.open_positions()) == 1
    assert len(desk.events("position_opened")) == 1


async def test_concurrent_approvals_open_exactly_one_position(engine):
    desk = Desk(engine)
    s = (await desk.service.scan()).created[0]
    results = await asyncio.gather(*(desk.service.approve(s.id, user_id=u) for u in range(1, 7)))
    assert sorted(r.outcome for r in results).count(Outcome.OK) == 1
    with desk.factory() as session:
        assert session.scalar(select(func.count()).select_from(PositionRow)) == 1


def test_approvals_from_threads_open_exactly_one_position(engine):
    """Real concurrency on the database: each thread runs its own event loop and transactions."""
    desk = Desk(engine)
    s = asyncio.run(desk.service.scan()).created[0]
    outcomes: list[Outcome] = []
    barrier = threading.Barrier(4)

    def tap(user: int) -> None:
        barrier.wait()
        outcomes.append(asyncio.run(desk.service.approve(s.id, user_id=user)).outcome)

    threads = [threading.Thread(target=tap, args=(u,)) for u in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(Outcome.OK) == 1, outcomes
    with desk.factory() as session:
        assert session.scalar(select(func.count()).select_from(PositionRow)) == 1


async def test_an_expired_suggestion_cannot_be_approved(engine):
    desk = Desk(engine)
    s = (await desk.service.scan()).created[0]
    desk.clock.advance(timedelta(minutes=16))
    result = await desk.service.approve(s.id, user_id=7)
    assert result.outcome is Outcome.EXPIRED
    assert desk.service.open_positions() == []
    assert desk.service.suggestion(s.id).status is SuggestionStatus.EXPIRED


async def test_approval_rechecks_the_gates(engine):
    desk = Desk(engine)
    s = (await desk.service.scan()).created[0]
    desk.service.pause(user_id=9)
    result = await desk.service.approve(s.id, user_id=7)
    assert result.outcome is Outcome.REFUSED
    assert "paused" in result.message
    assert desk.service.suggestion(s.id).status is SuggestionStatus.REFUSED
    assert desk.service.open_positions() == []
    # A refused suggestion stays refused.
    desk.service.resume(user_id=9)
    again = await desk.service.approve(s.id, user_id=7)
    assert again.outcome is Outcome.FINAL and "refused" in again.message


async def test_approval_is_refused_when_the_price_moved_beyond_the_tolerance(engine):
    from core.config.schema import parse_config

    desk = Desk(engine, config=parse_config({"paper_trading": {"approval_price_tolerance": 0.02}}))
    s = (await desk.service.scan()).created[0]
    desk.clock.advance(timedelta(minutes=10))  # the simulated market moves on
    result = await desk.service.approve(s.id, user_id=7)
    assert result.outcome is Outcome.REFUSED
    assert "moved from" in result.message and "tolerance 2%" in result.message


async def test_reject_then_approve_says_it_was_rejected(engine):
    desk = Desk(engine)
    s = (await desk.service.scan()).created[0]
    assert desk.service.reject(s.id, user_id=3).outcome is Outcome.OK
    assert (await desk.service.approve(s.id, user_id=3)).outcome is Outcome.FINAL
    assert desk.service.reject(999, user_id=3).outcome is Outcome.NOT_FOUND


async def test_manual_close_books_the_exit_with_charges(engine):
    desk = Desk(engine)
    s = (await desk.service.scan()).created[0]
    pos = (await desk.service.approve(s.id, user_id=7)).position
    desk.clock.advance(timedelta(minutes=30))
    result = await desk.service.close(pos.id, user_id=7)
    assert result.outcome is Outcome.OK
    closed = result.position
    assert closed.status is PositionStatus.CLOSED and closed.exit_reason is ExitReason.MANUAL
    assert closed.exit_charges.total > 0
    assert closed.net_realized_pnl == closed.realized_pnl - closed.charges.total
    assert (await desk.service.close(pos.id, user_id=7)).outcome is Outcome.ALREADY


async def test_the_monitor_takes_profit(engine):
    desk = Desk(engine, algos=[FixedAlgo(profit_target=Decimal("1"), stop_loss=Decimal("100000"))])
    s = (await desk.service.scan()).created[0]
    await desk.service.approve(s.id, user_id=7)
    exits = []
    for _ in range(60):
        desk.clock.advance(timedelta(minutes=5))
        report = await desk.service.monitor()
        exits += report.exits
        if exits:
            break
    assert exits and exits[0].reason in (ExitReason.PROFIT_TARGET,)
    assert desk.service.open_positions() == []


async def test_the_monitor_stops_out(engine):
    desk = Desk(engine, algos=[FixedAlgo(profit_target=Decimal("100000"), stop_loss=Decimal("1"))])
    s = (await desk.service.scan()).created[0]
    await desk.service.approve(s.id, user_id=7)
    for _ in range(60):
        desk.clock.advance(timedelta(minutes=5))
        report = await desk.service.monitor()
        if report.exits:
            assert report.exits[0].reason is ExitReason.STOP_LOSS
            break
    else:
        pytest.fail("no stop-loss exit")


async def test_time_limit_exit_after_the_sessions_held(engine):
    desk = Desk(
        engine,
        algos=[FixedAlgo(profit_target=Decimal("100000"), stop_loss=Decimal("100000"), max_sessions=1)],
    )
    s = (await desk.service.scan()).created[0]
    pos = (await desk.service.approve(s.id, user_id=7)).position
    assert pos.sessions_held == 1
    desk.clock.advance(timedelta(hours=2))
    assert (await desk.service.monitor()).exits == ()
    # Next trading day (26 Nov), first minute after the open: held for a second session -> exit.
    desk.clock.set(desk.clock.now().replace(day=26, hour=9, minute=20))
    report = await desk.service.monitor()
    assert [e.reason for e in report.exits] == [ExitReason.TIME_LIMIT]
    assert report.exits[0].position.sessions_held == 2


async def test_expiry_day_square_off(engine):
    desk = Desk(engine, algos=[FixedAlgo(profit_target=Decimal("100000"), stop_loss=Decimal("100000"))])
    desk.clock.set(
        desk.clock.now().replace(month=12, day=1, hour=10, minute=0)
    )  # expiry day of the near weekly
    s = (await desk.service.scan()).created[0]
    assert s.structure.expiry.day == 1
    await desk.service.approve(s.id, user_id=7)
    desk.clock.set(desk.clock.now().replace(hour=15, minute=14))
    assert (await desk.service.monitor()).exits == ()
    desk.clock.set(desk.clock.now().replace(hour=15, minute=15))
    report = await desk.service.monitor()
    assert [e.reason for e in report.exits] == [ExitReason.EXPIRY]


async def test_a_crash_mid_approval_is_refused_on_recovery(engine):
    desk = Desk(engine)
    s = (await desk.service.scan()).created[0]
    from core.persistence.desk_repo import desk_uow

    with desk_uow(desk.factory) as repo:  # phase 1 done, then the process died
        assert repo.transition(
            s.id, from_=[SuggestionStatus.PENDING], to=SuggestionStatus.APPROVED, user_id=7
        )
    assert desk.service.recover() == [s.id]
    after = desk.service.suggestion(s.id)
    assert after.status is SuggestionStatus.REFUSED and "restarted" in after.status_reason
    assert desk.service.open_positions() == []


async def test_every_decision_is_audited(engine):
    desk = Desk(engine)
    s = (await desk.service.scan()).created[0]
    await desk.service.approve(s.id, user_id=7)
    with desk.factory() as session:
        actions = [r.action for r in session.scalars(select(TradeDecisionRow).order_by(TradeDecisionRow.id))]
    assert actions == ["suggest", "approve", "open"]
    assert [d.action.value for d in desk.service.audit.recent(3)] == ["open", "approve", "suggest"]


def _wide_debit_spread() -> FixedAlgo:
    """A near-the-money bear put spread 300 points wide (on expiry day the deltas are steep: a wide
    tolerance), held to expiry (no target or stop)."""
    from core.domain.trading import StrategyKind
    from core.strategies.structures import StructureParams

    return FixedAlgo(
        kind=StrategyKind.BEAR_PUT_DEBIT,
        profit_target=Decimal("100000"),
        stop_loss=Decimal("100000"),
        params=StructureParams(long_delta=0.5, width=300, delta_tolerance=0.2),
    )


async def _expired_while_down(desk: Desk):
    """A position on the 1 Dec weekly, opened that morning; the bot is down from 10:00 and comes back
    on 2 Dec at 09:30 (the position expired at 1 Dec's close while nobody watched)."""
    desk.clock.set(desk.clock.now().replace(month=12, day=1, hour=10, minute=0))
    s = (await desk.service.scan()).created[0]
    assert s.structure.expiry.day == 1
    opened = (await desk.service.approve(s.id, user_id=7)).position
    desk.clock.set(desk.clock.now().replace(day=2, hour=9, minute=30))
    return opened


def _paid(leg, level: Decimal) -> Decimal:
    """What one unit of ``leg`` pays at expiry with NIFTY at ``level``."""
    k = Decimal(str(leg.contract.strike))
    return max(level - k, Decimal(0)) if leg.contract.option_type == "CE" else max(k - level, Decimal(0))


async def test_a_position_that_expired_while_the_bot_was_down_settles_at_the_expiry_close(engine):
    from core.marketdata.ports import NIFTY
    from core.marketdata.simulator import SimulatedMarket
    from tests.desk_harness import CAL

    class CountedHistory(SimulatedMarket):
        asked = 0

        async def daily_history(self, symbol, now, days):
            CountedHistory.asked += symbol == NIFTY
            return await super().daily_history(symbol, now, days)

    desk = Desk(engine, algos=[_wide_debit_spread()])
    opened = await _expired_while_down(desk)
    history = await desk.market_source.daily_history(NIFTY, desk.clock.now(), 5)
    close = Decimal(str(history.loc["2026-12-01", "close"])).quantize(Decimal("0.01"))
    desk.snapshots.source = CountedHistory(CAL, seed=7)
    report = await desk.service.monitor()
    assert [e.reason for e in report.exits] == [ExitReason.EXPIRY]
    assert CountedHistory.asked == 1, "the close comes from the snapshot's daily history, not a second fetch"
    level_now = Decimal(str(desk.market.latest.spot.last))
    assert abs(level_now - close) > 1, "the test needs the next morning's level to differ from the close"
    closed = report.exits[0].position
    assert [leg.exit_price for leg in closed.legs] == [_paid(leg, close) for leg in closed.legs]
    # at this morning's level the legs would have paid something else: the close is what was used
    assert [_paid(leg, close) for leg in closed.legs] != [_paid(leg, level_now) for leg in closed.legs]
    with desk.factory() as session:
        exit_row = session.scalars(select(TradeDecisionRow).where(TradeDecisionRow.action == "exit")).one()
    assert exit_row.details["settled_at"] == str(close)
    assert exit_row.details["settlement"] == "NIFTY close of 2026-12-01"
    assert opened.id == closed.id


async def test_without_the_expiry_close_it_settles_at_the_current_level_and_says_so(engine):
    from core.marketdata.simulator import SimulatedMarket
    from tests.desk_harness import CAL

    class NoHistory(SimulatedMarket):
        async def daily_history(self, symbol, now, days):
            raise ConnectionError("history endpoint down")

    desk = Desk(engine, algos=[_wide_debit_spread()])
    await _expired_while_down(desk)
    desk.snapshots.source = NoHistory(CAL, seed=7)
    report = await desk.service.monitor()
    assert [e.reason for e in report.exits] == [ExitReason.EXPIRY]
    level_now = Decimal(str(desk.market.latest.spot.last)).quantize(Decimal("0.01"))
    with desk.factory() as session:
        exit_row = session.scalars(select(TradeDecisionRow).where(TradeDecisionRow.action == "exit")).one()
    assert exit_row.details["settled_at"] == str(level_now)
    assert "the close of 2026-12-01 was unavailable" in exit_row.details["settlement"]


async def test_looking_at_the_risk_state_writes_nothing_and_updated_at_is_the_last_change(engine):
    from core.persistence.models.desk import RiskStateRow
    from core.persistence.writes import WriteCounter

    desk = Desk(engine)
    desk.service.risk()  # the first look creates the row and starts the trading day
    writes = WriteCounter(engine)
    before = writes.value
    for _ in range(3):
        desk.service.risk()
    assert writes.value == before, "a /drawdown that changes nothing must not write"

    def updated_at():
        with desk.factory() as s:
            return s.scalars(select(RiskStateRow.updated_at)).one()

    first = updated_at()
    desk.clock.advance(timedelta(minutes=5))
    desk.service.risk()
    assert updated_at() == first
    desk.service.pause(user_id=1)  # a change: written, and dated
    assert writes.value != before
    assert updated_at() == desk.clock.now()


async def test_pause_resume_and_reset_are_audited_and_announced(engine):
    desk = Desk(engine)
    assert desk.service.pause(user_id=1).state.paused
    assert not desk.service.resume(user_id=1).state.paused
    report = desk.service.reset_breakers(user_id=1)
    assert report.state.tripped == ()
    kinds = [e.payload["action"] for e in desk.events("risk_changed")]
    assert kinds == ["pause", "resume", "reset"]
