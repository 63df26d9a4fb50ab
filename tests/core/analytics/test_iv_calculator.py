import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.analytics.black import bs_price_vec, forward, greeks
from core.analytics.iv_calculator import (
    IVStatus,
    bs_price,
    bs_vega,
    compute_iv_for_chain,
    implied_volatilities,
    implied_volatility,
)

R, Q = 0.065, 0.012


def test_hull_reference_values():
    # Hull, Options, Futures and Other Derivatives, Example 15.6: S=42, K=40, r=10%, sigma=20%, T=0.5
    assert bs_price(42, 40, 0.5, 0.10, 0.20, "CE") == pytest.approx(4.76, abs=0.005)
    assert bs_price(42, 40, 0.5, 0.10, 0.20, "PE") == pytest.approx(0.81, abs=0.005)
    assert implied_volatility(4.759422392871532, 42, 40, 0.5, 0.10, "CE") == pytest.approx(0.20, abs=1e-12)
    # Hull Example 19.x: vega of S=49, K=50, r=5%, sigma=20%, T=0.3846 is 12.1 per 1.00 of vol
    assert bs_vega(49, 50, 0.3846, 0.05, 0.20, "CE") == pytest.approx(12.1, abs=0.05)


@pytest.mark.parametrize(
    ("price", "spot", "strike", "t", "status"),
    [
        (1.0, 25000, 25000, 0.0, IVStatus.EXPIRED),
        (1.0, 25000, 25000, -0.1, IVStatus.EXPIRED),
        (1.0, 0.0, 25000, 0.1, IVStatus.BAD_INPUT),
        (1.0, 25000, -5, 0.1, IVStatus.BAD_INPUT),
        (float("nan"), 25000, 25000, 0.1, IVStatus.BAD_INPUT),
        (-1.0, 25000, 25000, 0.1, IVStatus.BAD_INPUT),
        (900.0, 25000, 24000, 0.05, IVStatus.BELOW_INTRINSIC),  # call intrinsic on the forward > 1000
        (30000.0, 25000, 24000, 0.05, IVStatus.ABOVE_MAX),
        (0.0, 25000, 30000, 0.05, IVStatus.NO_INFORMATION),
    ],
)
def test_rows_that_cannot_be_solved_get_a_status_and_nan(price, spot, strike, t, status):
    res = implied_volatilities([price], [spot], [strike], [t], R, Q, [True])
    assert res.status[0] == status
    assert math.isnan(res.iv[0])


def test_scalar_helper_returns_none_not_zero():
    assert implied_volatility(0.0, 25000, 30000, 0.05, R, "CE") is None
    assert implied_volatility(5.0, -1, 30000, 0.05, R, "CE") is None
    assert bs_price(-1, 100, 1, 0.05, 0.2) is None


def test_one_bad_row_does_not_spoil_the_batch():
    strikes = np.array([24000.0, 25000.0, 26000.0])
    prices = bs_price_vec(25000, strikes, 0.1, 0.15, R, Q, True)
    prices[1] = np.nan
    res = implied_volatilities(prices, 25000, strikes, 0.1, R, Q, True)
    assert list(res.status) == [IVStatus.OK, IVStatus.BAD_INPUT, IVStatus.OK]
    assert res.iv[[0, 2]] == pytest.approx([0.15, 0.15], abs=1e-12)


def test_tiny_premiums_on_a_25000_spot_are_solved_exactly():
    # Far OTM weekly options quoted below 5 paise still pin vol tightly.
    strikes = np.array([26500.0, 27000.0, 27500.0, 23000.0, 22500.0])
    calls = np.array([True, True, True, False, False])
    sigma = np.array([0.11, 0.13, 0.16, 0.19, 0.22])
    t = 3 / 365
    prices = bs_price_vec(25000, strikes, t, sigma, R, Q, calls)
    assert (prices < 0.05).all()
    assert (prices > 0).all()
    res = implied_volatilities(prices, 25000, strikes, t, R, Q, calls)
    assert (res.status == IVStatus.OK).all()
    assert np.abs(res.iv - sigma).max() <= 1e-12


def _pinning(prices, spot, strikes, t, sigma, calls):
    """How tightly the float64 price pins sigma: a few ulps of price over |dPrice/dsigma|."""
    vega = greeks(spot, strikes, t, sigma, R, Q, calls)["vega"] * 100.0
    with np.errstate(divide="ignore"):
        return np.where(vega > 0, 4 * np.spacing(np.abs(prices)) / vega, np.inf)


def test_accuracy_where_the_price_pins_sigma():
    rng = np.random.default_rng(11)
    n = 50_000
    strikes = rng.uniform(18000, 32000, n)
    t = rng.uniform(1 / (365 * 24), 1.0, n)
    sigma = rng.uniform(0.03, 1.5, n)
    calls = rng.random(n) < 0.5
    prices = bs_price_vec(25000, strikes, t, sigma, R, Q, calls)
    res = implied_volatilities(prices, 25000, strikes, t, R, Q, calls)
    pinned = _pinning(prices, 25000, strikes, t, sigma, calls) <= 1e-13
    assert pinned.sum() > n * 0.5
    assert (res.status[pinned] == IVStatus.OK).all()
    assert np.abs(res.iv[pinned] - sigma[pinned]).max() <= 1e-12
    # Never zero, never a bracket end, never negative
    ok = res.status == IVStatus.OK
    assert (res.iv[ok] > 0).all()


@settings(max_examples=300, deadline=None)
@example(strike=24911.0, t=1 / 365, sigma=0.021484375, call=True)  # found by hypothesis: parity ulps
@example(strike=24288.0, t=0.01953125, sigma=0.0234375, call=True)  # deep ITM: sigma barely pinned
@given(
    strike=st.floats(15000, 35000),
    t=st.floats(1 / 365, 2.0),
    sigma=st.floats(0.02, 2.0),
    call=st.booleans(),
)
def test_round_trip_reprices_to_a_few_ulps(strike, t, sigma, call):
    price = float(bs_price_vec(25000, strike, t, sigma, R, Q, call))
    res = implied_volatilities(price, 25000, strike, t, R, Q, call)
    if res.status[0] != IVStatus.OK:
        # Only prices that carry no time value information may fail.
        assert res.status[0] in (IVStatus.NO_INFORMATION, IVStatus.BELOW_INTRINSIC)
        return
    vol = float(res.iv[0])
    again = float(bs_price_vec(25000, strike, t, vol, R, Q, call))
    # sigma is exact to 1e-12 (the target); the price it gives back differs from the input by no more
    # than what that sigma error moves it, plus a few ulps of the price for the parity terms.
    # (Near the money with sigma*sqrt(t) < 0.05 the normalised price loses ~2 digits to cancellation,
    # so a 1-ulp repricing is not promised there; see the issue 3 note.)
    vega = float(greeks(25000, strike, t, vol, R, Q, call)["vega"]) * 100.0
    assert abs(again - price) <= 128 * np.spacing(price) + vega * 1e-12
    if price > 1e-300:  # below that the float64 price itself has only a few significant digits
        # sigma is exact to 1e-12, unless the price does not pin it that far: either a 1e-12 move in
        # sigma is below 64 ulps of the price (deep ITM, tiny vega), or sigma's error moves the price
        # by no more than the ulps the ITM-to-OTM parity conversion costs (strike 24,911, 1 day, 2.1%
        # vol: 195 ulps of a 92.62 call whose time value is ~0.5, ~2 digits lost to the subtraction).
        assert (
            abs(vol - sigma) <= 1e-12
            or vega * 1e-12 < 64 * np.spacing(price)
            or abs(vol - sigma) * vega <= 256 * np.spacing(price)
        )


@settings(max_examples=200, deadline=None)
@given(strike=st.floats(15000, 35000), t=st.floats(1 / 365, 2.0), sigma=st.floats(0.02, 2.0))
def test_put_call_parity(strike, t, sigma):
    call = float(bs_price_vec(25000, strike, t, sigma, R, Q, True))
    put = float(bs_price_vec(25000, strike, t, sigma, R, Q, False))
    f = float(forward(25000, t, R, Q))
    assert call - put == pytest.approx(math.exp(-R * t) * (f - strike), abs=1e-9 * f)


def test_chain_takes_each_strikes_iv_from_its_otm_option():
    spot, t = 25000.0, 5 / 365
    f = float(forward(spot, t, R, Q))
    rows = []
    for k in (24500.0, 25000.0, 25500.0):
        for kind in ("CE", "PE"):
            p = float(bs_price_vec(spot, k, t, 0.14, R, Q, kind == "CE"))
            rows.append({"strike": k, "option_type": kind, "mid": p, "ltp": p})
    frame = pd.DataFrame(rows)
    # A deep ITM quote rounded below intrinsic must not matter.
    frame.loc[(frame.strike == 24500) & (frame.option_type == "CE"), "mid"] = (f - 24500) * 0.99
    out = compute_iv_for_chain(frame, spot, t, R, Q)
    assert out["iv_status"].eq("ok").all()
    assert out["iv"].to_numpy() == pytest.approx([0.14] * 6, abs=1e-10)
