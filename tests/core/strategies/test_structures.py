"""Structures on the hand-made chain (tests/core/strategies/chains.py), numbers worked by hand."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal as D
from statistics import NormalDist

import pytest

from core.domain.trading import Action, StrategyKind, Structure, Unbuildable
from core.errors import ConfigError, DataValidationError
from core.strategies.margin import estimate_margin
from core.strategies.structures import (
    StructureParams,
    bear_call_credit,
    bear_put_debit,
    build_structure,
    bull_call_debit,
    bull_put_credit,
    iron_condor,
)

from .chains import ATM_IV, DAYS, NOW, SPOT, edit, hand_chain, hand_frame

N = NormalDist()
SIGMA_T = ATM_IV * math.sqrt(DAYS / 365)


def p_above(level: float) -> float:
    """P(S_T > level) under the driftless lognormal at the ATM IV (the hand chain has no forward)."""
    return 1 - N.cdf((math.log(level / SPOT) + SIGMA_T**2 / 2) / SIGMA_T)


def legs_of(s: Structure) -> list[tuple[str, float, str]]:
    return [(leg.action.value, leg.contract.strike, leg.contract.option_type) for leg in s.legs]


def built(result: Structure | Unbuildable) -> Structure:
    assert isinstance(result, Structure), getattr(result, "reason", result)
    return result


def test_bull_put_credit_spread_by_hand():
    s = built(bull_put_credit(hand_chain(), SPOT, NOW))
    # Short the -0.20 delta put (24,700), long the put 100 points lower (24,600).
    assert legs_of(s) == [("BUY", 24600.0, "PE"), ("SELL", 24700.0, "PE")]
    assert s.net_mid == D("12.10")  # 30.40 - 18.30
    assert s.net_natural == D("11.40")  # sell at 30.00, buy at 18.60
    assert s.width == D("100")
    assert s.max_profit == D("786.50")  # 12.10 × 65
    assert s.max_loss == D("5713.50")  # (100 - 12.10) × 65
    assert s.breakevens == pytest.approx((24687.90,), abs=1e-9)
    assert s.credit_to_width == pytest.approx(0.121)
    assert s.margin == D("38213.50")  # 5,713.50 + 2% × 25,000 × 65
    assert s.net_delta == pytest.approx((0.20 - 0.13) * 65)  # +4.55
    assert s.net_gamma == pytest.approx((-0.20 + 0.13) / 1000 * 65)
    assert s.net_vega == pytest.approx((-2.0 + 1.3) * 65)  # -45.5 rupees per vol point
    assert s.net_theta == pytest.approx((4.0 - 2.6) * 65)  # +91 rupees per day
    assert s.pop == pytest.approx(p_above(24687.90), abs=1e-9)
    assert 0.5 < s.pop < 1
    assert s.lot_size == 65 and s.spot == SPOT and s.priced_at == NOW
    assert s.description == "Bull put spread 01 Dec: BUY 24600 PE / SELL 24700 PE"


def test_bear_call_credit_spread_by_hand():
    s = built(bear_call_credit(hand_chain(), SPOT, NOW))
    assert legs_of(s) == [("SELL", 25300.0, "CE"), ("BUY", 25400.0, "CE")]
    assert s.net_mid == D("11.60")  # 30.90 - 19.30
    assert s.net_natural == D("10.90")  # 30.50 - 19.60
    assert (s.max_profit, s.max_loss) == (D("754.00"), D("5746.00"))
    assert s.breakevens == pytest.approx((25311.60,), abs=1e-9)
    assert s.credit_to_width == pytest.approx(0.116)
    assert s.margin == D("38246.00")
    assert s.net_delta == pytest.approx((-0.20 + 0.13) * 65)
    assert s.pop == pytest.approx(1 - p_above(25311.60), abs=1e-9)


def test_iron_condor_by_hand():
    s = built(iron_condor(hand_chain(), SPOT, NOW))
    assert legs_of(s) == [
        ("BUY", 24600.0, "PE"),
        ("SELL", 24700.0, "PE"),
        ("SELL", 25300.0, "CE"),
        ("BUY", 25400.0, "CE"),
    ]
    assert s.net_mid == D("23.70")  # 12.10 + 11.60
    assert s.net_natural == D("22.30")
    assert s.max_profit == D("1540.50")  # 23.70 × 65
    assert s.max_loss == D("4959.50")  # 100 × 65 - 1,540.50: only one side can lose
    assert s.breakevens == pytest.approx((24676.30, 25323.70), abs=1e-9)
    assert s.credit_to_width == pytest.approx(0.237)
    assert s.margin == D("69959.50")  # 4,959.50 + two short legs × 32,500
    assert s.net_delta == pytest.approx(0.0, abs=1e-12)  # symmetric table
    assert s.pop == pytest.approx(p_above(24676.30) - p_above(25323.70), abs=1e-9)


def test_bull_call_debit_spread_by_hand():
    s = built(bull_call_debit(hand_chain(), SPOT, NOW))
    # Long the 0.50 delta call (25,000), short the call 100 points higher.
    assert legs_of(s) == [("BUY", 25000.0, "CE"), ("SELL", 25100.0, "CE")]
    assert s.net_mid == D("-30.00")  # pay 100.50 - 70.50
    assert s.net_natural == D("-31.00")  # buy at 101.00, sell at 70.00
    assert s.max_loss == D("1950.00")  # 30 × 65
    assert s.max_profit == D("4550.00")  # (100 - 30) × 65
    assert s.breakevens == pytest.approx((25030.0,), abs=1e-9)
    assert s.credit_to_width is None
    assert s.margin == D("34450.00")  # 1,950 + 32,500 on the short call
    assert s.net_delta == pytest.approx((0.50 - 0.39) * 65)
    assert s.pop == pytest.approx(p_above(25030.0), abs=1e-9)


def test_bear_put_debit_spread_by_hand():
    s = built(bear_put_debit(hand_chain(), SPOT, NOW))
    assert legs_of(s) == [("SELL", 24900.0, "PE"), ("BUY", 25000.0, "PE")]
    assert s.net_mid == D("-30.00")  # 98.50 - 68.50
    assert s.net_natural == D("-31.00")
    assert (s.max_loss, s.max_profit) == (D("1950.00"), D("4550.00"))
    assert s.breakevens == pytest.approx((24970.0,), abs=1e-9)
    assert s.net_delta == pytest.approx((-0.50 + 0.39) * 65)
    assert s.pop == pytest.approx(1 - p_above(24970.0), abs=1e-9)


def test_build_structure_dispatches_every_kind():
    chain = hand_chain()
    for kind in StrategyKind:
        s = built(build_structure(kind, chain, SPOT, NOW))
        assert s.kind is kind and s.is_credit is kind.is_credit


def test_a_buffer_pushes_the_short_strike_away_from_spot():
    chain = hand_chain()
    # 350 points below 25,000 leaves puts at or below 24,650: the nearest to 0.20 is 24,650 (0.16).
    s = built(bull_put_credit(chain, SPOT, NOW, StructureParams(buffer=350)))
    assert legs_of(s) == [("BUY", 24550.0, "PE"), ("SELL", 24650.0, "PE")]
    assert s.net_mid == D("9.00")  # 23.30 - 14.30
    # 1.5 ATR of 200 points = 300: the 0.20 put at 24,700 is exactly 300 points away and allowed.
    s = built(bull_put_credit(chain, SPOT, NOW, StructureParams(buffer=1.5 * 200)))
    assert s.strikes() == (24600.0, 24700.0)


def test_a_wing_is_snapped_to_a_listed_strike_where_the_step_is_wider():
    # Short the 0.08 put (24,500); 150 points lower is 24,350, not listed: 24,400 and 24,300 are
    # equally near, and the narrower wing wins.
    s = built(bull_put_credit(hand_chain(), SPOT, NOW, StructureParams(short_delta=0.08, width=150)))
    assert s.strikes() == (24400.0, 24500.0)
    assert s.width == D("100")
    assert s.max_profit + s.max_loss == D("6500.00")


def test_a_different_delta_tolerance_changes_what_is_near():
    chain = hand_chain()
    assert isinstance(bull_put_credit(chain, SPOT, NOW, StructureParams(short_delta=0.42)), Structure)
    tight = StructureParams(short_delta=0.42, delta_tolerance=0.02)
    assert isinstance(bull_put_credit(chain, SPOT, NOW, tight), Unbuildable)


# ---- Unbuildable: one test per reason ----------------------------------------------------------
def reason(result: Structure | Unbuildable) -> str:
    assert isinstance(result, Unbuildable), f"built {result}"
    return result.reason


def test_a_leg_without_a_bid_is_unbuildable():
    chain = hand_chain(edit(hand_frame(), 24700, "PE", bid=float("nan")))
    r = bull_put_credit(chain, SPOT, NOW)
    assert reason(r) == "the 24,700 PE has no bid"
    assert r.kind is StrategyKind.BULL_PUT_CREDIT


def test_a_wing_without_an_offer_is_unbuildable():
    chain = hand_chain(edit(hand_frame(), 25400, "CE", ask=float("nan")))
    assert reason(iron_condor(chain, SPOT, NOW)) == "the 25,400 CE has no offer"
    assert reason(bear_call_credit(chain, SPOT, NOW)) == "the 25,400 CE has no offer"
    assert isinstance(bull_put_credit(chain, SPOT, NOW), Structure)  # the put side is untouched


def test_a_zero_bid_counts_as_no_bid():
    chain = hand_chain(edit(hand_frame(), 24600, "PE", bid=0.0))
    assert reason(bull_put_credit(chain, SPOT, NOW)) == "the 24,600 PE has no bid"


def test_a_crossed_quote_is_unbuildable():
    chain = hand_chain(edit(hand_frame(), 24600, "PE", bid=19.00))
    assert reason(bull_put_credit(chain, SPOT, NOW)) == (
        "the 24,600 PE has a crossed quote (bid 19.00 above ask 18.60)"
    )


def test_a_stale_quote_is_unbuildable():
    chain = hand_chain(edit(hand_frame(), 24600, "PE", quote_time=NOW - timedelta(minutes=10)))
    assert reason(bull_put_credit(chain, SPOT, NOW)) == (
        "the quote for the 24,600 PE is stale: 10 min old (limit 3 min)"
    )
    # Within a longer limit, or with the age check off, it builds.
    assert isinstance(
        bull_put_credit(chain, SPOT, NOW, StructureParams(max_quote_age=timedelta(minutes=15))), Structure
    )
    assert isinstance(bull_put_credit(chain, SPOT, NOW, StructureParams(max_quote_age=None)), Structure)


def test_every_quote_goes_stale_when_priced_later():
    later = NOW + timedelta(seconds=200)
    r = reason(bear_call_credit(hand_chain(), SPOT, later))
    assert r.startswith("the quote for the 25,300 CE is stale: 3 min 20 s old (limit 3 min)")
    assert "25,400 CE is stale" in r  # every problem leg is named


def test_a_quote_without_a_time_is_unbuildable_when_age_matters():
    chain = hand_chain(edit(hand_frame(), 24600, "PE", quote_time=None))
    assert reason(bull_put_credit(chain, SPOT, NOW)) == (
        "the 24,600 PE has no quote time, so its freshness is unknown"
    )


def test_no_strike_near_the_target_delta_is_unbuildable():
    # 400 points below spot leaves 24,600 (0.13) as the nearest put to 0.20: outside 0.05.
    r = reason(bull_put_credit(hand_chain(), SPOT, NOW, StructureParams(buffer=400)))
    assert r == (
        "no put near 0.20 delta at least 400 points below spot 25,000.00 "
        "(closest: the 24,600 PE at 0.13, tolerance 0.05)"
    )
    r = reason(
        bull_call_debit(hand_chain(), SPOT, NOW, StructureParams(long_delta=0.70, delta_tolerance=0.005))
    )
    assert r == "no call near 0.70 delta (closest: the 24,800 CE at 0.71, tolerance 0.01)"


def test_strikes_without_a_delta_cannot_be_chosen():
    frame = hand_frame()
    frame.loc[frame["option_type"] == "PE", "delta"] = float("nan")
    r = reason(bull_put_credit(hand_chain(frame), SPOT, NOW))
    assert r == "no put strike with a known delta below spot 25,000.00"


def test_an_unlisted_wing_is_unbuildable():
    # Short 24,500 (0.08); 50 points lower (24,450) is not listed, the nearest is 24,400.
    r = reason(bull_put_credit(hand_chain(), SPOT, NOW, StructureParams(short_delta=0.08, width=50)))
    assert r == "no listed PE 50 points below the 24,500 PE (nearest listed: 24,400)"
    # Short the last listed put: nothing below it.
    r = reason(bull_put_credit(hand_chain(), SPOT, NOW, StructureParams(short_delta=0.03)))
    assert r == "no listed PE 100 points below the 24,300 PE: the chain has no strike below 24,300"


def test_a_credit_that_is_not_positive_is_unbuildable():
    chain = hand_chain(edit(hand_frame(), 24600, "PE", bid=31.00, ask=31.50))
    assert reason(bull_put_credit(chain, SPOT, NOW)) == "the credit at mid is -₹0.85, not positive"
    chain = hand_chain(edit(hand_frame(), 24600, "PE", bid=30.00, ask=30.80))
    assert reason(bull_put_credit(chain, SPOT, NOW)) == "the credit at mid is ₹0.00, not positive"


def test_a_credit_as_large_as_the_width_is_inconsistent():
    chain = hand_chain(edit(hand_frame(), 24700, "PE", bid=120.00, ask=121.00))
    assert "is not below the 100-point width" in reason(bull_put_credit(chain, SPOT, NOW))


def test_a_debit_above_the_width_is_unbuildable():
    chain = hand_chain(edit(hand_frame(), 25100, "CE", bid=0.05, ask=0.10))
    assert (
        reason(bull_call_debit(chain, SPOT, NOW)) == "the debit at mid (₹100.43) exceeds the 100-point width"
    )


def test_a_debit_that_is_not_positive_is_inconsistent():
    chain = hand_chain(edit(hand_frame(), 24900, "PE", bid=99.00, ask=100.00))
    assert (
        reason(bear_put_debit(chain, SPOT, NOW)) == "the debit at mid is -₹1.00: the quotes are inconsistent"
    )


def test_a_leg_without_iv_is_unbuildable():
    chain = hand_chain(edit(hand_frame(), 24600, "PE", iv=float("nan")))
    assert reason(bull_put_credit(chain, SPOT, NOW)) == (
        "the 24,600 PE has no implied volatility, so its Greeks are unknown"
    )


def test_legs_with_different_lot_sizes_are_unbuildable():
    chain = hand_chain(edit(hand_frame(), 24600, "PE", lot_size=75))
    assert reason(bull_put_credit(chain, SPOT, NOW)) == "the legs have different lot sizes (65, 75)"


def test_an_empty_chain_is_unbuildable():
    chain = hand_chain(hand_frame().iloc[0:0])
    assert reason(iron_condor(chain, SPOT, NOW)) == "the chain for 01 Dec is empty"


# ---- POP, margin and inputs ---------------------------------------------------------------------
def test_pop_is_unknown_without_analytics_or_atm_iv():
    assert built(bull_put_credit(hand_chain(no_analytics=True), SPOT, NOW)).pop is None
    assert built(bull_put_credit(hand_chain(atm_iv=None), SPOT, NOW)).pop is None


def test_pop_uses_the_time_left_at_now():
    chain = hand_chain()
    early = built(bull_put_credit(chain, SPOT, NOW, StructureParams(max_quote_age=None)))
    late = built(bull_put_credit(chain, SPOT, NOW + timedelta(days=5), StructureParams(max_quote_age=None)))
    # Less time for the same out-of-the-money short put: more likely to expire worthless.
    assert late.pop > early.pop
    sigma_t = ATM_IV * math.sqrt(1 / 365)
    assert late.pop == pytest.approx(1 - N.cdf((math.log(24687.90 / SPOT) + sigma_t**2 / 2) / sigma_t))


def test_pop_follows_the_parity_forward_drift():
    chain = hand_chain()
    forward = 25_050.0  # 50 points of carry over six days
    drifted = type(chain)(
        chain.underlying, chain.expiry, chain.spot, chain.taken_at, chain.frame,
        type(chain.analytics)(**{**chain.analytics.__dict__, "forward": forward}),
    )  # fmt: skip
    s = built(bull_put_credit(drifted, SPOT, NOW))
    mu = math.log(forward / SPOT) - SIGMA_T**2 / 2
    assert s.pop == pytest.approx(1 - N.cdf((math.log(24687.90 / SPOT) - mu) / SIGMA_T), abs=1e-9)


def test_margin_model_adds_exposure_on_short_legs_and_more_on_expiry_day():
    s = built(bull_put_credit(hand_chain(), SPOT, NOW))
    assert estimate_margin(s.legs, 65, SPOT, s.max_loss) == D("38213.50")
    assert estimate_margin(s.legs, 65, SPOT, s.max_loss, expiry_day=True) == D("70713.50")  # 4%
    longs = [leg for leg in s.legs if leg.action is Action.BUY]
    assert estimate_margin(longs, 65, SPOT, D("1000")) == D("1000.00")  # long legs carry no exposure


def test_on_expiry_day_the_structure_carries_the_extra_exposure_margin():
    expiry_today = NOW.date()
    chain = hand_chain(hand_frame(expiry=expiry_today), days=0.2)
    s = built(bull_put_credit(chain, SPOT, NOW))
    assert s.margin - s.max_loss == D("65000.00")  # (2% + 2%) × 25,000 × 65


def test_inputs_that_are_wrong_raise_typed_errors():
    chain = hand_chain()
    with pytest.raises(ValueError, match="aware"):
        bull_put_credit(chain, SPOT, NOW.replace(tzinfo=None))
    for bad in (float("nan"), 0.0, -1.0, float("inf")):
        with pytest.raises(DataValidationError, match="spot"):
            bull_put_credit(chain, bad, NOW)
    raw = hand_chain(hand_frame().drop(columns=["delta", "iv"]))
    with pytest.raises(DataValidationError, match=r"not enriched \(missing iv, delta\)"):
        bull_put_credit(raw, SPOT, NOW)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"short_delta": 0.0}, "short_delta must be between 0 and 1"),
        ({"long_delta": 1.2}, "long_delta must be between 0 and 1"),
        ({"short_delta": float("nan")}, "short_delta"),
        ({"width": 0}, "width must be a positive number of points"),
        ({"width": float("nan")}, "width"),
        ({"buffer": -10}, "buffer must be 0 or more"),
        ({"buffer": float("inf")}, "buffer"),
        ({"delta_tolerance": 0}, "delta_tolerance"),
        ({"max_quote_age": timedelta(0)}, "max_quote_age"),
    ],
)
def test_bad_parameters_are_config_errors(params, message):
    with pytest.raises(ConfigError, match=message):
        StructureParams(**params)
