"""Paper fills: mid plus slippage toward the worse side, on the tick, inside the quote."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.domain.market import OptionContract
from core.domain.trading import Action, StructureLeg
from core.errors import ConfigError, DataValidationError
from core.paper.charges import compute_charges
from core.paper.fills import fill_entry, fill_exit, fill_price, quote_problem

BUY, SELL = Action.BUY, Action.SELL


@pytest.mark.parametrize(
    ("action", "bid", "ask", "ticks", "price"),
    [
        (BUY, "100.00", "101.00", 1, "100.55"),  # mid 100.50 + 0.05
        (SELL, "100.00", "101.00", 1, "100.45"),  # mid 100.50 - 0.05
        (BUY, "100.00", "101.00", 0, "100.50"),  # at mid
        (SELL, "100.00", "101.00", 3, "100.35"),
        (BUY, "100.00", "100.05", 0, "100.05"),  # mid 100.025 rounds up to buy
        (SELL, "100.00", "100.05", 0, "100.00"),  # ... and down to sell
        (BUY, "100.00", "100.05", 1, "100.05"),  # never worse than the ask
        (SELL, "100.00", "100.05", 1, "100.00"),  # never worse than the bid
        (BUY, "100.00", "101.00", 20, "101.00"),  # slippage capped at natural
        (SELL, "100.00", "101.00", 20, "100.00"),
        (BUY, "12.35", "12.80", 1, "12.65"),  # mid 12.575 + 0.05 = 12.625, up to 12.65
        (SELL, "12.35", "12.80", 1, "12.50"),  # mid 12.575 - 0.05 = 12.525, down to 12.50
        (SELL, "0.05", "0.10", 5, "0.05"),  # never below one tick
        (BUY, "0.05", "0.05", 1, "0.05"),  # a locked quote fills at its price
    ],
)
def test_fill_prices(action, bid, ask, ticks, price):
    assert fill_price(action, D(bid), D(ask), ticks) == D(price)


@pytest.mark.parametrize(
    ("bid", "ask", "problem"),
    [
        (None, D("10"), "no bid"),
        (D("NaN"), D("10"), "no bid"),
        (D("0"), D("10"), "no bid"),
        (D("10"), None, "no offer"),
        (D("10"), D("-1"), "no offer"),
        (None, None, "no bid and no offer"),
        (D("10.50"), D("10.00"), "a crossed quote (bid 10.50 above ask 10.00)"),
        (D("10.03"), D("10.10"), "a quote off the 0.05 tick (bid 10.03, ask 10.10)"),
    ],
)
def test_a_quote_that_is_not_two_sided_cannot_be_filled(bid, ask, problem):
    assert quote_problem(bid, ask) == problem
    with pytest.raises(DataValidationError) as err:
        fill_price(BUY, bid, ask)
    assert err.value.errors == [problem]
    assert str(err.value) == f"Cannot fill a buy: the quote has {problem}."


def test_negative_slippage_is_a_config_error():
    with pytest.raises(ConfigError, match="slippage_ticks"):
        fill_price(BUY, D("10"), D("11"), -1)


_ticks = st.integers(min_value=1, max_value=40_000).map(lambda n: D(n) * D("0.05"))


@pytest.mark.property
@settings(max_examples=500, deadline=None)
@given(bid=_ticks, extra=st.integers(0, 400), action=st.sampled_from(list(Action)), ticks=st.integers(0, 50))
def test_fills_are_on_the_tick_inside_the_quote_and_never_better_than_mid(bid, extra, action, ticks):
    ask = bid + D(extra) * D("0.05")
    price = fill_price(action, bid, ask, ticks)
    assert price % D("0.05") == 0
    assert bid <= price <= ask
    assert price >= D("0.05")
    mid = (bid + ask) / 2
    assert (price >= mid) if action is BUY else (price <= mid)
    more = fill_price(action, bid, ask, ticks + 1)  # more slippage never helps the trader
    assert (more >= price) if action is BUY else (more <= price)


# ---- whole structures -----------------------------------------------------------------------------
def leg(strike: float, kind: str, action: Action, bid: str | None, ask: str | None) -> StructureLeg:
    contract = OptionContract(
        f"NIFTY26D01{strike:.0f}{kind}", int(strike), date(2026, 12, 1), strike, kind, 65
    )
    b, a = (D(bid) if bid else None), (D(ask) if ask else None)
    mid = (b + a) / 2 if b is not None and a is not None else None
    return StructureLeg(contract, action, b, a, mid, 0.12, None)


BULL_PUT = (leg(24600, "PE", BUY, "18.00", "18.60"), leg(24700, "PE", SELL, "30.00", "30.80"))


def test_an_entry_fills_each_leg_with_its_own_action():
    fill = fill_entry(BULL_PUT, lots=2, lot_size=65, slippage_ticks=1)
    assert not fill.closing
    assert [(f.action, f.quantity, f.price) for f in fill.legs] == [
        (BUY, 130, D("18.35")),  # mid 18.30 + 0.05
        (SELL, 130, D("30.35")),  # mid 30.40 - 0.05
    ]
    assert fill.net_premium == D("1560.00")  # (30.35 - 18.35) × 130 received
    assert fill.slippage == D("13.00")  # 0.05 × 130 on each leg
    assert fill.legs[0].label == "BUY 130 × 24600 PE @ 18.35"


def test_an_exit_reverses_each_leg():
    later = (leg(24600, "PE", BUY, "8.00", "8.40"), leg(24700, "PE", SELL, "12.00", "12.50"))
    fill = fill_exit(later, lots=2, lot_size=65, slippage_ticks=1)
    assert fill.closing
    assert [(f.action, f.price) for f in fill.legs] == [
        (SELL, D("8.15")),  # the long put is sold: mid 8.20 - 0.05
        (BUY, D("12.30")),  # the short put is bought back: mid 12.25 + 0.05
    ]
    assert fill.net_premium == D("-539.50")  # (8.15 - 12.30) × 130 paid
    entry = fill_entry(BULL_PUT, 2, 65, 1)
    assert entry.net_premium + fill.net_premium == D("1020.50")  # gross P&L of the round trip


def test_fills_feed_charges_as_orders():
    entry = fill_entry(BULL_PUT, lots=1, lot_size=65, slippage_ticks=1)
    charges = compute_charges(entry.legs, date(2026, 11, 25))
    # Two orders; sell premium 30.35 × 65 = 1,972.75; buy premium 18.35 × 65 = 1,192.75.
    assert charges.brokerage == D("40.00")
    assert charges.stt == D("2.96")  # 0.15% of 1,972.75 = 2.959125
    assert charges.stamp == D("0.04")  # 0.003% of 1,192.75 = 0.0357825


def test_a_structure_with_an_unquoted_leg_cannot_be_filled_and_names_every_bad_leg():
    legs = (leg(24600, "PE", BUY, "18.00", None), leg(24700, "PE", SELL, "31.00", "30.80"))
    with pytest.raises(DataValidationError) as err:
        fill_entry(legs, 1, 65)
    assert err.value.errors == [
        "BUY 24600 PE has no offer",
        "SELL 24700 PE has a crossed quote (bid 31.00 above ask 30.80)",
    ]
    assert str(err.value).startswith("Cannot fill the entry: BUY 24600 PE has no offer; SELL 24700 PE")
    with pytest.raises(DataValidationError, match="Cannot fill the exit: SELL 24600 PE has no offer"):
        fill_exit(legs, 1, 65)


@pytest.mark.parametrize(("lots", "lot_size"), [(0, 65), (-1, 65), (1, 0), (True, 65)])
def test_sizes_must_be_positive_whole_numbers(lots, lot_size):
    with pytest.raises(DataValidationError):
        fill_entry(BULL_PUT, lots, lot_size)


def test_a_structure_without_legs_cannot_be_filled():
    with pytest.raises(DataValidationError, match="without legs"):
        fill_entry((), 1, 65)
