"""Risk engine: equity with unrealized P&L, the daily-loss and drawdown breakers, the trading state."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.config.schema import PaperTradingConfig
from core.domain.trading import Charges, RiskStatus
from core.paper.risk import DAILY_LOSS, DRAWDOWN, RiskInputs, evaluate, headroom
from tests.factories import OPENED, bull_put

CFG = PaperTradingConfig(capital=Decimal("1000000"), daily_loss_limit=Decimal("20000"), max_drawdown_pct=0.08)
DAY = date(2026, 11, 25)


def inputs(**kw) -> RiskInputs:
    base = dict(
        trading_day=DAY,
        day_start_equity=Decimal("1000000"),
        peak_equity=Decimal("1000000"),
        tripped=frozenset(),
        tripped_at=None,
        paused=False,
        paused_by=None,
    )
    base.update(kw)
    return RiskInputs(**base)


def test_an_unrealized_loss_counts_toward_the_daily_limit():
    # 2 lots (130 units): sold the 24000 PE at 60, now 400: -340 × 130 = -44,200;
    # bought the 23900 PE at 30, now 150: +120 × 130 = +15,600. Net -28,600.
    pos = bull_put(short_mark="400", long_mark="150", lots=2)
    state, newly = evaluate(
        CFG, inputs(), realized_net_total=Decimal(0), realized_today=Decimal(0), positions=[pos], now=OPENED
    )
    assert state.unrealized == Decimal("-28600.00")
    assert state.equity == Decimal("971400.00")
    assert newly == {DAILY_LOSS}
    assert state.status is RiskStatus.HALTED
    assert not state.can_open
    assert "daily loss limit tripped" in state.reasons[0]


def test_entry_charges_are_part_of_the_open_value():
    pos = bull_put(
        short_mark="60", long_mark="30", entry_charges=Charges(brokerage=Decimal("40"), stt=Decimal("3.90"))
    )
    state, _ = evaluate(
        CFG, inputs(), realized_net_total=Decimal(0), realized_today=Decimal(0), positions=[pos], now=OPENED
    )
    assert state.unrealized == Decimal("-43.90")


def test_reducing_near_a_limit_and_active_below():
    near = bull_put(short_mark="300", long_mark="30")  # -240 × 65 = -15,600: 78% of 20,000
    state, newly = evaluate(
        CFG, inputs(), realized_net_total=Decimal(0), realized_today=Decimal(0), positions=[near], now=OPENED
    )
    assert state.status is RiskStatus.REDUCING and not newly
    assert state.can_open
    calm = bull_put(short_mark="70", long_mark="30")
    state, _ = evaluate(
        CFG, inputs(), realized_net_total=Decimal(0), realized_today=Decimal(0), positions=[calm], now=OPENED
    )
    assert state.status is RiskStatus.ACTIVE and state.reasons == ()


def test_drawdown_is_measured_from_the_peak_not_the_day_start():
    # Peak 1,100,000; equity now 1,000,000 - 1,000 ⇒ drawdown 101,000 ≥ 8% of 1.1M (88,000).
    state, newly = evaluate(
        CFG,
        inputs(peak_equity=Decimal("1100000"), day_start_equity=Decimal("1000000")),
        realized_net_total=Decimal("-1000"),
        realized_today=Decimal("-1000"),
        positions=[],
        now=OPENED,
    )
    assert newly == {DRAWDOWN}
    assert state.drawdown == Decimal("101000.00")


def test_a_trip_is_remembered_even_after_the_loss_recovers():
    state, newly = evaluate(
        CFG,
        inputs(tripped=frozenset({DAILY_LOSS}), tripped_at=OPENED),
        realized_net_total=Decimal(0),
        realized_today=Decimal(0),
        positions=[],
        now=OPENED,
    )
    assert state.status is RiskStatus.HALTED and not newly
    assert headroom(state)[0] == "daily loss limit: tripped"


def test_paused_blocks_entries_without_halting():
    state, _ = evaluate(
        CFG,
        inputs(paused=True, paused_by=5),
        realized_net_total=Decimal(0),
        realized_today=Decimal(0),
        positions=[],
        now=OPENED,
    )
    assert state.status is RiskStatus.ACTIVE and not state.can_open
    assert "paused" in state.reasons[-1]


def test_headroom_says_how_much_more_loss_trips_each_breaker():
    pos = bull_put(short_mark="100", long_mark="30")  # -40 × 65 = -2,600
    state, _ = evaluate(
        CFG, inputs(), realized_net_total=Decimal(0), realized_today=Decimal(0), positions=[pos], now=OPENED
    )
    assert headroom(state) == [
        "₹17,400.00 more loss today trips the daily loss limit",
        "₹77,400.00 more fall from the peak trips the drawdown limit",
    ]


@given(
    realized=st.decimals(min_value=-50000, max_value=50000, places=2),
    mark=st.decimals(min_value=Decimal("0.05"), max_value=500, places=2),
)
def test_equity_and_breakers_are_consistent(realized, mark):
    pos = bull_put(short_mark=str(mark), long_mark="30")
    state, newly = evaluate(
        CFG, inputs(), realized_net_total=realized, realized_today=realized, positions=[pos], now=OPENED
    )
    assert state.equity == Decimal("1000000") + realized + state.unrealized
    assert state.peak_equity >= state.equity
    loss = max(Decimal("1000000") - state.equity, Decimal(0))
    assert (DAILY_LOSS in newly) == (loss >= CFG.daily_loss_limit)
    assert (state.status is RiskStatus.HALTED) == bool(newly)
