"""Numbers, money, volatility, percentiles, times and tables as the trader reads them."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.render import text as t
from core.clock import IST


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234.5"), "+₹1,234.50"),
        (Decimal("-980"), "-₹980.00"),
        (Decimal("0"), "₹0.00"),
        (Decimal("-0.004"), "₹0.00"),
        (Decimal("123456.785"), "+₹1,23,456.79"),
        (Decimal("-12345678.9"), "-₹1,23,45,678.90"),
    ],
)
def test_pnl_is_signed_with_indian_grouping(amount: Decimal, shown: str) -> None:
    assert t.pnl(amount) == shown


def test_inr_has_no_plus_sign_and_unknown_money_is_not_zero() -> None:
    assert t.inr(Decimal("500000")) == "₹5,00,000.00"
    assert t.inr(None) == "n/a"
    assert t.pnl(None) == "n/a"


def test_volatility_stored_as_a_decimal_is_shown_as_a_percent() -> None:
    assert t.vol(0.1234) == "12.3%"
    assert t.vol(0.1) == "10.0%"
    assert t.vol(None) == "n/a"
    assert t.vol(math.nan) == "n/a"
    assert t.vol(math.nan, na=t.DASH) == "-"


def test_percentiles_are_whole_numbers_from_0_to_100() -> None:
    assert t.pctile(83.4) == "83"
    assert t.pctile(0.0) == "0"
    assert t.pctile(100.0) == "100"
    assert t.pctile(None) == "n/a"


def test_changes_are_signed_percents_and_never_negative_zero() -> None:
    assert t.change(0.5234) == "+0.52%"
    assert t.change(-1.2) == "-1.20%"
    assert t.change(-0.001) == "0.00%"
    assert t.change(None) == "n/a"


def test_numbers_round_half_up_with_indian_grouping() -> None:
    assert t.num(300.5, 0) == "301"
    assert t.num(2.675) == "2.68"  # the float 2.675 is shown as written, not as 2.67
    assert t.num(24051.345) == "24,051.35"
    assert t.num(-0.004) == "0.00"
    assert t.num(1234567.5, 0) == "12,34,568"
    assert t.num(5.0, 2, sign=True) == "+5.00"
    assert t.strike(24000.0) == "24,000"
    assert t.score(74.25) == "74.3"


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (0, "0"),
        (950, "950"),
        (45_200, "45.2k"),
        (99_949, "99.9k"),
        (99_950, "1.0L"),
        (1_234_567, "12.3L"),
        (9_995_000, "1.0Cr"),
        (123_456_789, "12.3Cr"),
        (-54_800, "-54.8k"),
        (None, "-"),
        (math.nan, "-"),
    ],
)
def test_compact_units_are_thousands_lakhs_and_crores(n: float | None, shown: str) -> None:
    assert t.compact(n) == shown


def test_compact_signs_changes_when_asked() -> None:
    assert t.compact(12_000, sign=True) == "+12.0k"
    assert t.compact(-12_000, sign=True) == "-12.0k"
    assert t.compact(0, sign=True) == "0"


@given(st.integers(min_value=-(10**10), max_value=10**10))
def test_compact_fits_seven_columns_with_its_sign(n: int) -> None:
    assert len(t.compact(n, sign=True)) <= 7


def test_times_are_shown_in_ist_with_the_zone_named() -> None:
    utc = datetime(2026, 11, 25, 5, 35, tzinfo=UTC)
    assert t.when(utc) == "25 Nov 11:05 IST"
    assert t.clock_time(utc) == "11:05 IST"
    assert t.short_date(datetime(2026, 11, 25, 20, 0, tzinfo=UTC)) == "26 Nov"  # 01:30 IST


def test_a_naive_time_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="naive"):
        t.when(datetime(2026, 11, 25, 11, 5))


def test_dates_read_like_tue_01_dec() -> None:
    assert t.day(date(2026, 12, 1)) == "Tue 01 Dec"
    assert t.day(datetime(2026, 11, 30, 20, 0, tzinfo=UTC)) == "Tue 01 Dec"  # IST date
    assert t.long_day(date(2026, 11, 25)) == "Wednesday 25 Nov 2026"


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0 s"), (59, "59 s"), (60, "1 min"), (3725, "1 h 02 min"), (86400 * 3, "3 d")]
)
def test_ages_are_short(seconds: float, shown: str) -> None:
    assert t.age(seconds) == shown


def test_escaping_covers_text_and_attributes() -> None:
    assert t.esc('<b>"x" & y</b>') == '&lt;b&gt;"x" &amp; y&lt;/b&gt;'
    assert t.attr("a\"b'c<") == "a&quot;b&#x27;c&lt;"
    assert t.pre(["a<b", "c&d"]) == "<pre>a&lt;b\nc&amp;d</pre>"


def test_tables_pad_columns_and_trim_trailing_space() -> None:
    lines = t.table([["Leg", "Bid"], ["SELL 24000 PE", "61.20"], ["BUY", "-"]], ("<", ">"))
    assert lines == ["Leg             Bid", "SELL 24000 PE 61.20", "BUY               -"]
    assert t.table([], ("<",)) == []


def test_clip_adds_an_ellipsis() -> None:
    assert t.clip("Nasdaq 100 futures", 10) == "Nasdaq 10…"
    assert t.clip("short", 10) == "short"


def test_money_never_uses_the_wall_clock_or_naive_times() -> None:
    # when() with an aware non-IST time converts; the zone name is IST regardless of input zone.
    assert t.when(datetime(2026, 11, 25, 11, 5, tzinfo=IST) + timedelta(0)).endswith(" IST")
