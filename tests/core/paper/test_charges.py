"""Charges from dated rates: the worked example by component, the rate changes by date, properties."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import IST, UTC
from core.domain.trading import Action, Charges
from core.errors import ConfigError, DataValidationError
from core.paper.charges import (
    ChargeSchedule,
    Order,
    compute_charges,
    default_charge_schedule,
    load_charge_schedule,
)

NOV_2026 = date(2026, 11, 25)
SELL_100 = Order(Action.SELL, D("100"), 65)
BUY_50 = Order(Action.BUY, D("50"), 65)


def test_worked_example_sell_at_100_buy_back_at_50_costs_61_15():
    # Rates of Nov 2026. Sell premium 65 × 100 = 6,500; buy premium 65 × 50 = 3,250; turnover 9,750.
    charges = compute_charges([SELL_100, BUY_50], NOV_2026)
    brokerage = D("20") * 2  # two executed orders
    stt = D("6500") * D("0.0015")  # 9.75
    exchange = D("9750") * D("0.0003553")  # 3.464175
    sebi = D("9750") * D("10") / D("10000000")  # 0.00975
    gst = (brokerage + exchange + sebi) * D("0.18")  # 18% of 43.473925 = 7.8253065
    stamp = D("3250") * D("0.00003")  # 0.0975
    assert (stt, exchange, sebi, gst, stamp) == (
        D("9.75"),
        D("3.464175"),
        D("0.00975"),
        D("7.8253065"),
        D("0.0975"),
    )
    assert charges == Charges(
        brokerage=D("40.00"),
        stt=D("9.75"),
        exchange=D("3.46"),
        sebi=D("0.01"),
        gst=D("7.83"),  # on the unrounded base; 18% of the rounded base would give 7.82
        stamp=D("0.10"),
    )
    assert charges.total == D("61.15")


def test_worked_example_as_separate_entry_and_exit_notes_also_costs_61_15():
    entry = compute_charges([SELL_100], NOV_2026)
    exit_ = compute_charges([BUY_50], NOV_2026)
    # Entry: 20 + STT 9.75 + exch 2.30945→2.31 + SEBI 0.0065→0.01 + GST 18%×22.31595→4.02 + stamp 0.
    assert entry == Charges(D("20.00"), D("9.75"), D("2.31"), D("0.01"), D("4.02"), D("0.00"))
    # Exit: 20 + STT 0 + exch 1.154725→1.15 + SEBI 0.00325→0.00 + GST 18%×21.157975→3.81 + stamp 0.10.
    assert exit_ == Charges(D("20.00"), D("0.00"), D("1.15"), D("0.00"), D("3.81"), D("0.10"))
    assert (entry + exit_).total == D("61.15")


def test_stt_rises_from_0_1_to_0_15_percent_on_1_april_2026():
    before = compute_charges([SELL_100], date(2026, 3, 31))
    after = compute_charges([SELL_100], date(2026, 4, 1))
    assert before.stt == D("6.50")  # 0.1% of 6,500
    assert after.stt == D("9.75")  # 0.15% of 6,500
    # Everything else is unchanged across that date.
    assert (before.brokerage, before.exchange, before.sebi, before.gst, before.stamp) == (
        after.brokerage,
        after.exchange,
        after.sebi,
        after.gst,
        after.stamp,
    )
    assert after.total - before.total == D("3.25")


def test_transaction_charge_includes_the_ipf_levy_from_1_march_2026():
    feb = default_charge_schedule().rates_on(date(2026, 2, 28))
    mar = default_charge_schedule().rates_on(date(2026, 3, 1))
    assert feb.exchange_rate == D("0.0003503") and mar.exchange_rate == D("0.0003553")
    assert mar.effective_from == date(2026, 3, 1)
    # 0.03503% vs 0.03553% of 1,00,000 of premium turnover: 35.03 vs 35.53.
    big = [Order(Action.BUY, D("100"), 1000)]
    assert compute_charges(big, date(2026, 2, 28)).exchange == D("35.03")
    assert compute_charges(big, date(2026, 3, 1)).exchange == D("35.53")


def test_rates_of_november_2026():
    rates = default_charge_schedule().rates_on(NOV_2026)
    assert rates.brokerage_per_order == D("20")
    assert rates.stt_sell_rate == D("0.0015")
    assert rates.exchange_rate == D("0.0003553")
    assert rates.sebi_per_crore == D("10")
    assert rates.gst_rate == D("0.18")
    assert rates.stamp_buy_rate == D("0.00003")
    assert rates.effective_from == date(2026, 4, 1)


def test_each_leg_is_an_order_for_brokerage():
    legs = [Order(a, D("10"), 65) for a in (Action.SELL, Action.BUY, Action.SELL, Action.BUY)]
    assert compute_charges(legs, NOV_2026).brokerage == D("80.00")


def test_no_orders_cost_nothing():
    assert compute_charges([], NOV_2026) == Charges()


def test_an_aware_trade_time_is_taken_as_its_ist_date():
    # 31 Mar 2026 20:00 UTC is 1 Apr 2026 01:30 IST: the new STT applies.
    late_utc = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
    assert compute_charges([SELL_100], late_utc).stt == D("9.75")
    assert compute_charges([SELL_100], datetime(2026, 3, 31, 15, 0, tzinfo=IST)).stt == D("6.50")
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_charges([SELL_100], datetime(2026, 4, 1, 10, 0))


def test_a_trade_before_the_data_fails_closed():
    with pytest.raises(ConfigError, match="No charge rates for trades on 30 Sep 2024"):
        compute_charges([SELL_100], date(2024, 9, 30))
    assert compute_charges([SELL_100], date(2024, 10, 1)).stt == D("6.50")


@pytest.mark.parametrize(
    ("order", "problem"),
    [
        (Order(Action.SELL, D("NaN"), 65), "price"),
        (Order(Action.SELL, D("-1"), 65), "price"),
        (Order(Action.SELL, 100.0, 65), "price"),  # a float is refused, not silently converted
        (Order(Action.BUY, D("10"), 0), "quantity"),
        (Order(Action.BUY, D("10"), -65), "quantity"),
    ],
)
def test_bad_orders_are_refused_with_the_reason(order, problem):
    with pytest.raises(DataValidationError, match=problem):
        compute_charges([order], NOV_2026)


def test_malformed_charge_data_is_a_config_error(tmp_path):
    bad = tmp_path / "charges.yaml"
    bad.write_text("version: 1\ncomponents:\n  brokerage_per_order: [{from: 2024-10-01, value: '20'}]\n")
    with pytest.raises(ConfigError, match="malformed"):
        load_charge_schedule(bad)
    with pytest.raises(ConfigError, match="malformed"):
        ChargeSchedule({"version": "x", "components": {}})
    negative = {
        "version": "x",
        "components": {
            name: [{"from": date(2024, 10, 1), "value": "-1" if name == "gst_rate" else "1"}]
            for name in (
                "brokerage_per_order",
                "stt_sell_rate",
                "exchange_rate",
                "sebi_per_crore",
                "gst_rate",
                "stamp_buy_rate",
            )
        },
    }
    with pytest.raises(ConfigError, match="negative"):
        ChargeSchedule(negative)


def test_the_packaged_schedule_loads_from_the_package():
    schedule = load_charge_schedule()
    assert schedule.version
    assert schedule.first_date == date(2024, 10, 1)


_prices = st.decimals(min_value=D("0.05"), max_value=D("2000"), places=2)
_qty = st.integers(min_value=1, max_value=60).map(lambda lots: lots * 65)
_days = st.dates(min_value=date(2024, 10, 1), max_value=date(2026, 12, 31))


@pytest.mark.property
@settings(max_examples=200, deadline=None)
@given(
    action=st.sampled_from(list(Action)),
    price=_prices,
    qty=_qty,
    extra_price=st.decimals(min_value=D("0"), max_value=D("500"), places=2),
    extra_lots=st.integers(min_value=0, max_value=20),
    day=_days,
)
def test_charges_are_non_negative_and_monotone_in_turnover(action, price, qty, extra_price, extra_lots, day):
    small = compute_charges([Order(action, price, qty)], day)
    large = compute_charges([Order(action, price + extra_price, qty + 65 * extra_lots)], day)
    for field in ("brokerage", "stt", "exchange", "sebi", "gst", "stamp"):
        assert getattr(small, field) >= 0
        assert getattr(large, field) >= getattr(small, field)
        assert getattr(small, field) == getattr(small, field).quantize(D("0.01"))
    assert large.total >= small.total >= D("20")


@pytest.mark.property
@settings(max_examples=100, deadline=None)
@given(price=_prices, qty=_qty, day=_days)
def test_selling_costs_stt_and_buying_costs_stamp(price, qty, day):
    sell = compute_charges([Order(Action.SELL, price, qty)], day)
    buy = compute_charges([Order(Action.BUY, price, qty)], day)
    assert buy.stt == 0 and sell.stamp == 0
    assert sell.exchange == buy.exchange and sell.gst == buy.gst
