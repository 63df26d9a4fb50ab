"""Chain rows to legs: Decimal quotes, expiries and quote times normalised, positions requoted."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pandas as pd
import pytest

from core.clock import IST
from core.domain.trading import Action, PositionLeg
from core.paper.fills import fill_exit
from core.strategies.legs import leg_of, price_of, requote_legs

from .chains import NOW, edit, hand_chain, hand_frame


@pytest.mark.parametrize(
    ("value", "price"),
    [
        (100.05000000000001, D("100.05")),  # float noise from tick rounding
        (0.05, D("0.05")),
        (float("nan"), None),
        (0.0, None),
        (-1.0, None),
        (None, None),
        ("x", None),
        (float("inf"), None),
    ],
)
def test_chain_prices_become_decimal_rupees_or_none(value, price):
    assert price_of(value) == price


def test_a_row_with_a_timestamp_expiry_and_a_naive_quote_time_is_normalised():
    row = hand_frame().iloc[0].to_dict()
    row["expiry"] = pd.Timestamp("2026-12-01")
    row["quote_time"] = datetime(2026, 11, 25, 11, 0)  # Kite sends naive IST
    leg = leg_of(row, Action.SELL)
    assert leg.contract.expiry == date(2026, 12, 1) and type(leg.contract.expiry) is date
    assert leg.quote_time == datetime(2026, 11, 25, 11, 0, tzinfo=IST)
    assert (leg.bid, leg.ask, leg.mid) == (D("3.00"), D("3.50"), D("3.25"))
    assert leg.natural == D("3.00")


def test_a_crossed_row_has_no_mid():
    row = edit(hand_frame(), 24300, "PE", bid=4.00).iloc[0].to_dict()
    assert leg_of(row, Action.BUY).mid is None


def test_an_open_position_is_requoted_from_a_later_chain_and_closed():
    chain = hand_chain()
    frame = chain.frame
    row = frame[(frame["strike"] == 24700) & (frame["option_type"] == "PE")].iloc[0].to_dict()
    short = PositionLeg(leg_of(row, Action.SELL).contract, Action.SELL, 130, D("30.35"))
    later = hand_chain(edit(hand_frame(), 24700, "PE", bid=12.00, ask=12.50))
    (current,) = requote_legs([short], later)
    assert current.action is Action.SELL and current.contract == short.contract
    assert (current.bid, current.ask, current.quote_time) == (D("12.00"), D("12.50"), NOW)
    fill = fill_exit([current], lots=2, lot_size=65)
    assert fill.legs[0].action is Action.BUY and fill.legs[0].price == D("12.30")
    assert short.pnl(fill.legs[0].price) == D("2346.50")  # (30.35 - 12.30) × 130
