"""The fallback writer: labelled automatic, deterministic, and always grounded in its own facts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import IST
from core.commentary import builders, fallback
from core.commentary.facts import (
    AskFacts,
    BriefFacts,
    ChainFact,
    CueFact,
    EodFacts,
    IndexFact,
    LimitFact,
    MarketFact,
    PositionFact,
    RiskFact,
    TradeFact,
    VolFact,
)
from core.commentary.grounding import check, index_facts
from core.config.schema import NiftyConfig
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.simulator import SimulatedMarket
from tests.core.commentary import factories as f


@pytest.mark.parametrize(
    ("facts", "label"),
    [
        (f.brief_facts, fallback.AUTOMATIC),
        (f.suggestion_facts, fallback.AUTOMATIC),
        (f.eod_facts, fallback.AUTOMATIC),
        (f.ask_facts, fallback.AUTOMATIC_REPLY),
    ],
)
def test_each_kind_is_labelled_automatic_and_grounded(facts, label):
    built = facts()
    text = fallback.write(built)
    assert text.startswith(label)
    assert check(text, index_facts(built)).ok
    assert fallback.write(facts()) == text  # deterministic


def test_the_brief_reads_like_a_desk_note():
    text = fallback.write(f.brief_facts())
    assert "pre-market brief for Tue 24 Nov 2026" in text
    assert "NIFTY 50 at 24,087.04, down 0.42% (101.36 points)" in text
    assert "Brent crude 78.40 down 1.10%" in text and "USD/INR 84.12 up 0.05%" in text
    assert "expected move ±210.50 points, PCR 1.12, max pain 24,000" in text
    assert "Data notes: global: stale (yahoo rate limited)." in text


def test_the_rationale_names_the_legs_risk_and_failed_gates():
    text = fallback.write(f.suggestion_facts())
    assert "SELL 24,000 PE at ₹85.50, BUY 23,900 PE at ₹60.20" in text
    assert "max loss ₹4,855.50" in text and "POP 68.20%" in text
    assert "Gates: all passed." in text


def test_the_eod_review_uses_indian_grouping_and_signs():
    text = fallback.write(f.eod_facts())
    assert "Net P&L -₹489.82 (gross -₹377.00, charges ₹112.82)" in text
    assert "closed #9: Bull put spread (stop loss), net -₹489.82" in text
    assert "equity ₹9,99,715.33" in text


def test_unknown_values_are_said_to_be_unknown():
    text = fallback.write(BriefFacts(day=f.DAY))
    assert "NIFTY 50 is unknown." in text and "India VIX is unknown." in text


async def test_a_brief_from_the_simulators_snapshot_is_grounded():
    now = datetime(2026, 11, 25, 8, 40, tzinfo=IST)
    market = SimulatedMarket(default_calendar(), seed=7)
    snap = await SnapshotEngine(market, default_calendar(), NiftyConfig(), iv_history=market).build(now)
    facts = builders.brief_facts(snap, now.date())
    assert facts.nifty is not None and facts.chain is not None and facts.vol is not None
    assert check(fallback.write(facts), index_facts(facts)).ok


# ---- property: whatever the numbers, the fallback passes its own grounding ------------------------
def money(lo: str = "-9999999", hi: str = "9999999") -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(lo), max_value=Decimal(hi), places=2)


LEVEL = st.decimals(min_value=Decimal("1"), max_value=Decimal("99999"), places=2)
PCT = st.decimals(min_value=Decimal("-99"), max_value=Decimal("99"), places=2)
NAMES = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=30)
DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))

INDEX = st.builds(
    IndexFact, name=NAMES, level=LEVEL, change_points=st.none() | LEVEL, change_pct=st.none() | PCT
)
CUE = st.builds(
    CueFact, name=NAMES, last=st.none() | LEVEL, change_pct=st.none() | PCT, as_of=st.none() | DAYS
)
VOL = st.builds(
    VolFact,
    regime=st.sampled_from(["low", "normal", "high"]),
    atm_iv_pct=st.none() | PCT,
    iv_percentile=st.none() | st.decimals(0, 100, places=1),
    vix_percentile=st.none() | st.decimals(0, 100, places=1),
    rv_20d_pct=st.none() | PCT,
    rv_percentile=st.none() | st.decimals(0, 100, places=1),
)
CHAIN = st.builds(
    ChainFact,
    expiry=DAYS,
    days_to_expiry=st.decimals(0, 60, places=1),
    atm_strike=LEVEL,
    expected_move_points=st.none() | LEVEL,
    pcr_oi=st.none() | st.decimals(0, 5, places=2),
    max_pain=st.none() | LEVEL,
    oi_supports=st.lists(LEVEL, max_size=3).map(tuple),
    oi_resistances=st.lists(LEVEL, max_size=3).map(tuple),
)
RISK = st.builds(
    RiskFact,
    status=st.sampled_from(["active", "reducing", "halted"]),
    paused=st.booleans(),
    reasons=st.lists(NAMES, max_size=2).map(tuple),
    realized_today_net=money(),
    unrealized=money(),
    equity=money("0"),
    drawdown=money("0"),
    limits=st.lists(
        st.builds(
            LimitFact, name=NAMES, used=money("0"), limit=money("1"), used_pct=PCT, tripped=st.booleans()
        ),
        max_size=2,
    ).map(tuple),
)
POSITION = st.builds(
    PositionFact,
    id=st.integers(1, 9999),
    algorithm=NAMES,
    strategy=NAMES,
    expiry=DAYS,
    lots=st.integers(1, 10),
    legs=st.lists(NAMES, max_size=4).map(tuple),
    entry_premium=money(),
    unrealized_pnl=st.none() | money(),
)
TRADE = st.builds(
    TradeFact,
    id=st.integers(1, 9999),
    algorithm=NAMES,
    strategy=NAMES,
    lots=st.integers(1, 10),
    action=st.sampled_from(["opened", "closed"]),
    reason=st.none() | NAMES,
    premium=st.none() | money(),
    net_pnl=st.none() | money(),
)
BRIEF = st.builds(
    BriefFacts,
    day=DAYS,
    nifty=st.none() | INDEX,
    vix=st.none() | INDEX,
    global_cues=st.lists(CUE, max_size=4).map(tuple),
    crude=st.none() | CUE,
    usd_inr=st.none() | CUE,
    vol=st.none() | VOL,
    chain=st.none() | CHAIN,
    data_notes=st.lists(NAMES, max_size=2).map(tuple),
)
EOD = st.builds(
    EodFacts,
    day=DAYS,
    gross_pnl=money(),
    charges=money("0"),
    net_pnl=money(),
    trades=st.lists(TRADE, max_size=3).map(tuple),
    open_positions=st.lists(POSITION, max_size=3).map(tuple),
    risk=st.none() | RISK,
    nifty_close=st.none() | INDEX,
    vix_close=st.none() | INDEX,
)
ASK = st.builds(
    AskFacts,
    market=st.builds(
        MarketFact,
        as_of=st.datetimes(
            min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(IST)
        ),
        nifty=st.none() | INDEX,
        vix=st.none() | INDEX,
        vol=st.none() | VOL,
        chain=st.none() | CHAIN,
    ),
    open_positions=st.lists(POSITION, max_size=2).map(tuple),
    risk=st.none() | RISK,
)


@pytest.mark.property
@settings(max_examples=100)
@given(facts=st.one_of(BRIEF, EOD, ASK))
def test_the_fallback_always_passes_its_own_grounding(facts):
    text = fallback.write(facts)
    report = check(text, index_facts(facts))
    assert report.ok, (report.unsupported, text)


@pytest.mark.slow
@pytest.mark.property
@settings(max_examples=3000, deadline=None)
@given(facts=st.one_of(BRIEF, EOD, ASK))
def test_the_fallback_always_passes_its_own_grounding_long(facts):
    report = check(fallback.write(facts), index_facts(facts))
    assert report.ok, report.unsupported
