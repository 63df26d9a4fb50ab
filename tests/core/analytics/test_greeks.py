import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.analytics.black import bs_price_vec, greeks
from core.analytics.greeks import (
    PayoffLeg,
    breakevens,
    bs_delta,
    compute_chain_deltas,
    compute_chain_greeks,
    compute_pop,
    payoff_at_expiry,
)

R, Q = 0.065, 0.012


@settings(max_examples=100, deadline=None)
@given(
    strike=st.floats(20000, 30000),
    t=st.floats(2 / 365, 1.0),
    sigma=st.floats(0.05, 0.8),
    call=st.booleans(),
)
def test_greeks_match_finite_differences(strike, t, sigma, call):
    s = 25000.0
    g = {k: float(v) for k, v in greeks(s, strike, t, sigma, R, Q, call).items()}

    def price(spot=s, tt=t, vol=sigma, rate=R):
        return float(bs_price_vec(spot, strike, tt, vol, rate, Q, call))

    h = s * 1e-5
    assert g["delta"] == pytest.approx((price(s + h) - price(s - h)) / (2 * h), abs=1e-6)
    h = s * 1e-4
    assert g["gamma"] == pytest.approx((price(s + h) - 2 * price() + price(s - h)) / h**2, rel=1e-3, abs=1e-7)
    dv = 1e-5
    assert g["vega"] == pytest.approx(
        (price(vol=sigma + dv) - price(vol=sigma - dv)) / (2 * dv) / 100, abs=1e-5
    )
    day = 1 / 365
    if t > 2 * day:
        fd_theta = (price(tt=t - 1e-5) - price(tt=t + 1e-5)) / 2e-5 * day
        assert g["theta"] == pytest.approx(fd_theta, rel=1e-3, abs=1e-6)
    dr = 1e-6
    assert g["rho"] == pytest.approx(
        (price(rate=R + dr) - price(rate=R - dr)) / (2 * dr) / 100, rel=1e-4, abs=1e-6
    )


def test_bs_delta_guards_bad_inputs():
    assert bs_delta(0, 100, 1, 0.05, 0.2) is None
    assert bs_delta(100, -1, 1, 0.05, 0.2) is None
    assert bs_delta(100, 100, 1, 0.05, float("nan")) is None
    assert 0 < bs_delta(100, 100, 1, 0.05, 0.2) < 1
    assert -1 < bs_delta(100, 100, 1, 0.05, 0.2, "PE") < 0


def test_chain_greeks_leave_rows_without_iv_as_nan():
    frame = pd.DataFrame({"strike": [25000.0, 25100.0], "option_type": ["CE", "PE"], "iv": [0.14, np.nan]})
    out = compute_chain_greeks(frame, 25000, 0.02, R, Q)
    assert np.isfinite(out.loc[0, ["delta", "gamma", "vega", "theta"]].astype(float)).all()
    assert out.loc[1, ["delta", "gamma", "vega", "theta"]].isna().all()
    assert compute_chain_deltas(frame, 25000, 0.02, R, Q).isna().tolist() == [False, True]


def _bull_put(short=24500.0, long_=24300.0, credit=(40.0, 20.0), qty=65):
    return [PayoffLeg(short, "PE", -1, qty, credit[0]), PayoffLeg(long_, "PE", 1, qty, credit[1])]


def test_payoff_and_breakeven_of_a_bull_put_spread_by_hand():
    legs = _bull_put()
    # Net credit 20 per unit: max profit 20*65 = 1300 above 24500; max loss (200-20)*65 = 11700 below 24300.
    assert payoff_at_expiry(legs, np.array([25000.0]))[0] == pytest.approx(1300.0)
    assert payoff_at_expiry(legs, np.array([24000.0]))[0] == pytest.approx(-11700.0)
    assert breakevens(legs) == [pytest.approx(24480.0)]


def test_pop_of_a_bull_put_equals_the_lognormal_probability_above_breakeven():
    legs = _bull_put()
    s, t, vol = 25000.0, 7 / 365, 0.13
    mu = math.log(s) + (R - Q - 0.5 * vol**2) * t
    expected = 1 - 0.5 * math.erfc(-(math.log(24480.0) - mu) / (vol * math.sqrt(t)) / math.sqrt(2))
    assert compute_pop(legs, s, t, vol, R, Q) == pytest.approx(expected, abs=1e-12)


def test_pop_of_an_iron_condor_is_the_probability_between_breakevens():
    legs = [
        PayoffLeg(24500, "PE", -1, 1, 30.0),
        PayoffLeg(24300, "PE", 1, 1, 15.0),
        PayoffLeg(25500, "CE", -1, 1, 28.0),
        PayoffLeg(25700, "CE", 1, 1, 13.0),
    ]
    lo, hi = breakevens(legs)
    assert (lo, hi) == (pytest.approx(24470.0), pytest.approx(25530.0))
    pop = compute_pop(legs, 25000, 7 / 365, 0.13)
    assert 0.5 < pop < 1.0


@pytest.mark.parametrize(
    ("t", "vol"), [(0.0, 0.2), (-1.0, 0.2), (1e-14, 0.2), (0.1, 0.0), (0.1, float("nan"))]
)
def test_pop_guards_expired_and_degenerate_inputs(t, vol):
    assert compute_pop(_bull_put(), 25000, t, vol) is None
