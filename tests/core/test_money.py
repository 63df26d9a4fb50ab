from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.money import format_inr, paise, round_to_tick, to_decimal


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("123456.78"), "₹1,23,456.78"),
        (Decimal("1234567.5"), "₹12,34,567.50"),
        (Decimal("999"), "₹999.00"),
        (Decimal("1000"), "₹1,000.00"),
        (Decimal("-61.15"), "-₹61.15"),
        (Decimal("100000000"), "₹10,00,00,000.00"),
        (0, "₹0.00"),
    ],
)
def test_indian_digit_grouping(amount, text):
    assert format_inr(amount) == text


def test_sign_is_shown_when_asked():
    assert format_inr(Decimal("5"), sign=True) == "+₹5.00"


def test_paise_rounds_half_away_from_zero():
    assert paise("0.005") == Decimal("0.01")
    assert paise("-0.005") == Decimal("-0.01")
    assert paise(0.1 + 0.2) == Decimal("0.30")


@pytest.mark.parametrize(("price", "tick"), [("101.02", "101.00"), ("101.03", "101.05"), ("0.024", "0.00")])
def test_round_to_tick(price, tick):
    assert round_to_tick(price) == Decimal(tick)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "NaN", "abc"])
def test_non_finite_money_is_rejected(bad):
    with pytest.raises(ValueError, match="not"):
        to_decimal(bad)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_grouping_round_trips(amount):
    text = format_inr(amount).replace("₹", "").replace(",", "")
    assert Decimal(text) == amount


@given(st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False))
def test_tick_rounding_is_a_multiple_of_005_within_half_a_tick(price):
    r = round_to_tick(price)
    assert (r / Decimal("0.05")) % 1 == 0
    assert abs(r - price) <= Decimal("0.025")
