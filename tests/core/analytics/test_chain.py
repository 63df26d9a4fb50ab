from datetime import date, datetime, time

import numpy as np
import pandas as pd
import pytest

from core.analytics.black import bs_price_vec, forward
from core.analytics.chain import (
    analyse_chain,
    enrich_chain,
    iv_smile,
    max_pain,
    oi_buildup,
    parity_forward,
    put_call_ratio,
    time_to_expiry,
    with_mid,
)
from core.clock import IST

R, Q = 0.065, 0.012


def _chain(spot=25000.0, t=7 / 365, skew=True):
    rows = []
    for k in np.arange(24000.0, 26050.0, 50.0):
        m = k / spot - 1
        vol = 0.13 + 2.0 * m * m - (0.15 * m if skew else 0.0)
        for kind in ("CE", "PE"):
            p = float(bs_price_vec(spot, k, t, vol, R, Q, kind == "CE"))
            oi = 100_000 if (kind == "PE" and k == 24500) or (kind == "CE" and k == 25500) else 10_000
            rows.append(
                {
                    "strike": k,
                    "option_type": kind,
                    "bid": p - 0.05,
                    "ask": p + 0.05,
                    "ltp": p,
                    "oi": oi,
                    "oi_change": 0,
                    "volume": 1000 if kind == "CE" else 1500,
                }
            )
    return pd.DataFrame(rows)


def test_time_to_expiry_counts_to_the_close_in_ist():
    now = datetime(2026, 12, 1, 9, 40, tzinfo=IST)
    assert time_to_expiry(now, date(2026, 12, 1), time(15, 40)) == pytest.approx(6 / (365 * 24))
    assert time_to_expiry(now, date(2026, 11, 30), time(15, 40)) == 0.0
    with pytest.raises(ValueError, match="aware"):
        time_to_expiry(datetime(2026, 12, 1, 9, 40), date(2026, 12, 1), time(15, 40))


def test_mid_is_nan_for_missing_or_crossed_quotes():
    f = pd.DataFrame({"bid": [10.0, np.nan, 12.0, 0.0], "ask": [11.0, 5.0, 11.0, 1.0]})
    assert with_mid(f)["mid"].tolist()[0] == 10.5
    assert with_mid(f)["mid"].iloc[1:].isna().all()


def test_parity_forward_recovers_the_carry_forward():
    t = 7 / 365
    fwd = parity_forward(with_mid(_chain()), 25000, t, R)
    assert fwd == pytest.approx(float(forward(25000, t, R, Q)), abs=0.01)


def test_enrich_chain_recovers_the_smile():
    t = 7 / 365
    out = enrich_chain(_chain(), 25000, t, R, Q)
    near = out[(out.strike - 25000).abs() <= 500]
    m = near.strike / 25000 - 1
    expected = 0.13 + 2.0 * m * m - 0.15 * m
    assert np.abs(near["iv"] - expected).max() < 2e-4  # quotes are ±5 paise around the model price
    assert set(out.columns) >= {"mid", "iv", "iv_status", "delta", "gamma", "vega", "theta"}


def test_max_pain_by_hand():
    f = pd.DataFrame(
        {
            "strike": [100.0, 100.0, 110.0, 110.0, 120.0, 120.0],
            "option_type": ["CE", "PE"] * 3,
            "oi": [10, 0, 0, 0, 0, 10],
        }
    )
    # settle 100: calls pay 0, puts (K=120) pay 20*10=200; 110: 100+100=200; 120: calls 200, puts 0 -> tie
    # at 200 everywhere except none lower; argmin picks the first, 100.
    assert max_pain(f) == 100.0
    f.loc[5, "oi"] = 30  # puts at 120 dominate: settling at 120 pays them nothing
    assert max_pain(f) == 120.0


def test_pcr_and_levels():
    t = 7 / 365
    out = enrich_chain(_chain(), 25000, t, R, Q)
    assert put_call_ratio(out, "volume") == pytest.approx(1.5)
    a = analyse_chain(out, 25000, date(2026, 12, 1), t, R, Q)
    assert a.supports[0] == 24500.0 and a.resistances[0] == 25500.0
    assert a.atm_strike == 25050.0  # nearest strike to the forward (~25,025)
    assert a.skew_25d is not None and a.skew_25d > 0  # puts richer than calls
    assert a.expected_move == pytest.approx(float(out[(out.strike == 25050.0)]["mid"].sum()), rel=1e-12)


def test_skew_is_zero_without_smile_asymmetry():
    t = 7 / 365
    out = enrich_chain(_chain(skew=False), 25000, t, R, Q)
    a = analyse_chain(out, 25000, date(2026, 12, 1), t, R, Q)
    assert abs(a.skew_25d) < 0.003


def test_oi_buildup_labels():
    f = pd.DataFrame({"ltp_change": [5, -5, -5, 5, 0], "oi_change": [10, 10, -10, -10, 0]})
    assert oi_buildup(f).tolist() == [
        "long build-up",
        "short build-up",
        "long unwinding",
        "short covering",
        "neutral",
    ]
    assert oi_buildup(pd.DataFrame({"oi_change": [1]})).tolist() == ["unknown"]


def test_iv_smile_has_one_point_per_strike():
    out = enrich_chain(_chain(), 25000, 7 / 365, R, Q)
    smile = iv_smile(out)
    assert smile.index.is_unique and len(smile) == out.strike.nunique()
