"""Grounding: every number in a reply must come from the facts, after the documented rounding rules."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.clock import IST
from core.commentary.facts import BriefFacts, IndexFact
from core.commentary.grounding import check, index_facts, scan
from core.domain.money import format_inr
from tests.core.commentary import factories as f

SPOT = Decimal("24087.04")


def ok(reply: str, *facts: object) -> bool:
    return check(reply, index_facts(*facts)).ok


@pytest.mark.parametrize(
    "reply",
    [
        "NIFTY at 24,087.04",
        "NIFTY at 24087.04",
        "NIFTY at 24,087",
        "NIFTY at 24087.0",
        "NIFTY near 24.1k",
        "NIFTY near 24.09k",
        "NIFTY at ₹24,087.04",
        "NIFTY at Rs. 24,087",
        "NIFTY down -24,087.04",  # signs are not compared
    ],
)
def test_a_fact_may_be_written_rounded_or_grouped(reply):
    assert ok(reply, SPOT)


@pytest.mark.parametrize(
    "reply",
    [
        "NIFTY at 24,090",  # a rounded integer claims to be exact
        "NIFTY at 24,100",
        "NIFTY at 24,087.043",  # more digits than the fact
        "NIFTY at 24,087.1",
        "NIFTY near 24.2k",
    ],
)
def test_a_number_not_within_half_a_unit_of_a_fact_is_rejected(reply):
    assert not ok(reply, SPOT)


def test_a_coarse_k_figure_covers_the_fact_within_half_its_unit():
    assert ok("NIFTY near 24k", SPOT)  # 24,000 ± 500 covers 24,087.04
    assert not ok("NIFTY near 25k", SPOT)


def test_indian_grouping_lakhs_and_crores():
    pnl = Decimal("123456.78")
    assert ok("P&L ₹1,23,456.78", pnl)
    assert ok("P&L ₹123,456.78", pnl)
    assert ok("P&L about 1.23 lakh", pnl)
    assert ok("P&L about ₹1.2L", pnl)
    assert not ok("P&L about 1.3 lakh", pnl)
    assert ok("equity ₹9.9 cr", Decimal("99000000"))


def test_a_percent_must_match_a_percent_fact():
    facts = BriefFacts(
        day=f.DAY, nifty=IndexFact(name="NIFTY 50", level=SPOT, change_points=87, change_pct=-0.42)
    )
    assert ok("NIFTY fell 0.42%", facts)
    assert ok("NIFTY fell 0.4 percent", facts)
    assert ok("NIFTY fell 87 points", facts)
    assert not ok("NIFTY fell 87%", facts)  # 87 is points, not a percent
    assert ok("down 0.42 from the close", facts)  # a number without % may match any fact


def test_fractions_are_never_scaled_to_percents():
    facts = f.suggestion_facts()  # pop_pct 68.2
    assert ok("POP 68.2%", facts)
    assert not ok("POP 0.68", facts)


def test_numbers_in_fact_strings_and_list_lengths_are_facts():
    facts = f.suggestion_facts()
    assert ok("The S&P 500 and Nikkei 225 are named; two legs, 2 legs.", f.brief_facts())
    assert ok("The gate says the window is 09:30-14:30.", facts)
    assert ok("It has 2 legs and 2 gates.", facts)
    assert not ok("It has 3 legs.", facts)


def test_dates_must_be_dates_in_the_facts():
    facts = f.brief_facts()  # day 24 Nov 2026, expiry 1 Dec 2026, cues as of 23 Nov
    for reply in (
        "On 24 Nov 2026",
        "on Nov 24, 2026",
        "on 2026-11-24",
        "on 24/11/2026",
        "the 1 Dec expiry",
        "1st December",
        "Dec 1",
        "24-Nov-26",
        "in Nov 2026",
        "in 2026",
    ):
        assert ok(reply, facts), reply
    for reply in ("on 25 Nov", "on 2026-11-25", "on 24 Nov 2025", "in 2027", "the 26th"):
        assert not ok(reply, facts), reply


def test_times_must_be_times_in_the_facts():
    facts = f.ask_facts()  # as of 08:40 IST
    assert ok("as of 08:40", facts) and ok("as of 8:40 am", facts)
    assert not ok("by 15:15", facts)
    assert not ok("at 3 pm", facts)


@pytest.mark.parametrize(
    "reply",
    [
        "1. NIFTY is flat.\n2. VIX is flat.\n(3) Done.",
        "The 25-delta skew and the 20-day RV.",
        "EMA20 over EMA(50) with RSI(14).",
        "NIFTY 50 and the S&P 500 and FTSE 100.",
        "The 2nd support and the 3rd resistance.",
        "A 4-leg iron condor.",
    ],
)
def test_innocent_numbers_are_not_claims(reply):
    assert ok(reply, Decimal("1"))


def test_an_ordinal_above_ten_must_be_a_fact():
    facts = f.brief_facts()  # iv_percentile 42.0
    assert ok("IV sits at the 42nd percentile.", facts)
    assert not ok("IV sits at the 57th percentile.", facts)


def test_identifiers_with_digits_must_be_words_of_the_facts():
    facts = ("NIFTY26DEC24000PE is short",)
    assert ok("The NIFTY26DEC24000PE leg.", *facts)
    assert not ok("The NIFTY26DEC24500PE leg.", *facts)
    assert not ok("Ask about Q3 results.", *facts)


def test_the_report_lists_every_unsupported_item_in_order():
    report = check("NIFTY 24,087.04 then 25,000 and 31 Dec and 13:00.", index_facts(SPOT))
    assert report.unsupported == ("31 Dec", "13:00", "25,000")
    assert report.checked == 4


def test_unicode_minus_and_narrow_spaces_read_as_ascii():
    (token,) = scan("down \u22120.42\u202f%").numbers
    assert token.value == Decimal("0.42") and token.percent


def test_datetime_facts_give_their_ist_date_and_time():
    at = datetime(2026, 11, 24, 3, 10, tzinfo=IST).astimezone(IST)
    assert ok("at 03:10 on 24 Nov", at)
    assert ok("at 03:10 on 24 Nov", date(2026, 11, 24), at)


# ---- properties -----------------------------------------------------------------------------------
FACT = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2).filter(
    lambda d: d != 0
)


def western(whole: str) -> str:
    return f"{int(whole):,}"


def formatted(value: Decimal, places: int, style: str, rounding: str) -> str:
    q = value.quantize(Decimal(1).scaleb(-places), rounding=rounding)
    text = f"{q:.{places}f}"
    whole, _, frac = text.partition(".")
    if style == "western":
        whole = western(whole)
    elif style == "indian":
        whole = format_inr(Decimal(whole), symbol=False)[:-3]
    return whole + (f".{frac}" if frac else "")


@pytest.mark.property
@given(
    fact=FACT,
    places=st.integers(0, 3),
    style=st.sampled_from(["plain", "western", "indian"]),
    rounding=st.sampled_from([ROUND_HALF_UP, ROUND_HALF_EVEN]),
    prefix=st.sampled_from(["", "₹", "-", "+", "-₹", "Rs "]),
    others=st.lists(FACT, max_size=5),
)
def test_a_number_formatted_from_a_fact_is_always_accepted(fact, places, style, rounding, prefix, others):
    reply = f"The desk sees {prefix}{formatted(fact, places, style, rounding)} today."
    assert ok(reply, fact, *others), reply


SCALED = st.sampled_from([("k", 3), (" lakh", 5), (" cr", 7)]).flatmap(
    lambda scale: st.tuples(
        st.just(scale),
        st.decimals(min_value=Decimal(10) ** scale[1], max_value=Decimal("99999999.99"), places=2),
    )
)


@pytest.mark.property
@given(scaled=SCALED, places=st.integers(0, 2))
def test_a_fact_written_with_a_scale_word_is_accepted(scaled, places):
    (word, power), fact = scaled
    shown = (fact.scaleb(-power)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert ok(f"about {shown}{word} today", fact)


@pytest.mark.property
@given(fact=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2))
def test_a_percent_fact_written_with_a_percent_sign_is_accepted(fact):
    facts = BriefFacts(day=f.DAY, nifty=IndexFact(name="NIFTY 50", level=SPOT, change_pct=fact))
    assert ok(f"NIFTY moved {fact}% and {fact:.1f}%", facts)


@pytest.mark.property
@given(
    facts=st.lists(FACT, min_size=1, max_size=6),
    number=st.decimals(min_value=Decimal("2"), max_value=Decimal("99999999"), places=3),
    places=st.integers(0, 3),
)
def test_a_number_not_in_the_facts_at_its_precision_is_rejected(facts, number, places):
    written = number.quantize(Decimal(1).scaleb(-places))
    half = Decimal(1).scaleb(-places) / 2
    assume(all(abs(fact - written) > half for fact in facts))
    assume(not (places == 0 and 1900 <= written <= 2100))
    reply = f"The desk sees {written:,.{places}f} today."
    assert not ok(reply, *facts), reply
