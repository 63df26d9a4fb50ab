"""Facts: numbers as shown, NaN refused with a clear error, builders from the domain types."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal

import pytest
from pydantic import ValidationError

from core.commentary import builders
from core.commentary.facts import BriefFacts, IndexFact
from core.domain.market import IndexQuote
from core.errors import DataValidationError
from tests.core.commentary import factories as f


def test_numbers_are_rounded_as_they_will_be_shown():
    fact = IndexFact(name="NIFTY 50", level=24087.0449, change_points=-101.355, change_pct=-0.41905)
    assert (fact.level, fact.change_points, fact.change_pct) == (
        Decimal("24087.04"),
        Decimal("-101.36"),
        Decimal("-0.42"),
    )


def test_floats_go_through_repr_so_0_1_stays_0_1():
    assert IndexFact(name="x", level=0.1).level == Decimal("0.10")


@pytest.mark.parametrize("bad", [math.nan, math.inf, "nan", True])
def test_nan_infinity_and_booleans_are_refused(bad):
    with pytest.raises(ValidationError, match=r"finite number|yes/no"):
        IndexFact(name="NIFTY 50", level=bad)


def test_facts_are_frozen_and_strict():
    fact = IndexFact(name="NIFTY 50", level=1)
    with pytest.raises(ValidationError):
        fact.level = Decimal(2)  # type: ignore[misc]
    with pytest.raises(ValidationError):
        IndexFact(name="NIFTY 50", level=1, colour="red")  # type: ignore[call-arg]


def test_json_carries_numbers_as_numbers():
    data = BriefFacts(day=f.DAY, nifty=IndexFact(name="NIFTY 50", level=24000, change_pct=-0.5)).model_dump(
        mode="json"
    )
    assert data["nifty"] == {"name": "NIFTY 50", "level": 24000, "change_points": None, "change_pct": -0.5}
    assert data["day"] == "2026-11-24"


def test_brief_builder_converts_vols_to_percents_and_splits_crude_and_rupee():
    facts = f.brief_facts()
    assert (
        facts.vol is not None
        and facts.vol.atm_iv_pct == Decimal("13.45")
        and facts.vol.rv_20d_pct == Decimal("11.20")
    )
    assert facts.vol.vix_percentile == Decimal("35.3")  # percentiles to one decimal
    assert facts.chain is not None and facts.chain.skew_25d_pct == Decimal("2.10")
    assert facts.chain.oi_supports == (Decimal("24000.00"), Decimal("23900.00"), Decimal("23800.00"))
    assert facts.crude is not None and facts.crude.name == "Brent crude"
    assert facts.usd_inr is not None and facts.usd_inr.last == Decimal("84.12")
    assert [c.name for c in facts.global_cues] == ["S&P 500", "Nikkei 225"]
    assert facts.nifty is not None and facts.nifty.change_points == Decimal("-101.36")
    assert facts.data_notes == ("global: stale (yahoo rate limited)",)


def test_suggestion_builder_gives_money_for_all_lots():
    s = f.suggestion()
    facts = builders.suggestion_facts(replace(s, lots=2), f.technicals())
    assert facts.premium_type == "credit"
    assert facts.net_premium_per_unit == Decimal("25.30")
    assert facts.net_premium_total == Decimal("3289.00")  # 25.30 × 65 × 2
    assert facts.max_loss == Decimal("9711.00") and facts.max_profit == Decimal("3289.00")
    assert facts.pop_pct == Decimal("68.20")
    assert facts.profit_target == Decimal("1644.50") and facts.stop_loss == Decimal("6577.80")
    assert facts.technicals is not None and facts.technicals.trend == "up"
    assert [(leg.action, leg.strike, leg.option_type) for leg in facts.legs] == [
        ("SELL", Decimal("24000.00"), "PE"),
        ("BUY", Decimal("23900.00"), "PE"),
    ]


def test_eod_builder_counts_the_days_trades_and_charges():
    facts = f.eod_facts()
    # Closed #9: (96.00 - 85.50) × 65 × -1 + (64.90 - 60.20) × 65 = -682.50 + 305.50 = -377.00 gross.
    assert facts.gross_pnl == Decimal("-377.00")
    # Charges: #12 opened today 55.86 + #9 closed today 56.96 = 112.82.
    assert facts.charges == Decimal("112.82") and facts.net_pnl == Decimal("-489.82")
    assert [(t.id, t.action) for t in facts.trades] == [(12, "opened"), (9, "closed")]
    assert [p.id for p in facts.open_positions] == [12]
    assert facts.risk is not None and facts.risk.limits[0].used_pct == Decimal("2.50")


def test_a_nan_in_a_domain_object_is_a_clear_validation_error():
    snap = replace(f.snapshot(), spot=IndexQuote("NSE:NIFTY 50", math.nan, 24188.4, f.NOW))
    with pytest.raises(DataValidationError, match="not a number"):
        builders.brief_facts(snap, f.DAY)
