from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.analytics.vol_distribution import (
    align_vix,
    build_vol_snapshot,
    classify_regime,
    close_to_close_vol,
    get_today_vol_snapshot,
    iv_percentile,
    iv_rank,
    parkinson_vol,
    percentile_rank,
)
from core.domain.market import VolRegime
from core.errors import DataValidationError
from core.market_hours import default_calendar

CAL = default_calendar()


def _daily(end=date(2026, 11, 23), n=300, seed=3):
    days = [d for d in CAL.trading_days_between(date(2025, 1, 1), end)][-n:]
    rng = np.random.default_rng(seed)
    close = 24000 * np.exp(np.cumsum(rng.normal(0, 0.009, len(days))))
    idx = pd.DatetimeIndex(days)
    nifty = pd.DataFrame({"close": close, "high": close * 1.006, "low": close * 0.994}, index=idx)
    vix = pd.DataFrame({"close": 13 + np.cumsum(rng.normal(0, 0.3, len(days))).clip(-5, 10)}, index=idx)
    return nifty, vix


def test_unknown_percentile_is_none_never_fifty():
    assert iv_percentile(pd.Series(dtype=float), 0.14) is None
    assert iv_percentile(pd.Series([0.1, 0.2]), None) is None
    assert iv_rank(pd.Series([0.12, 0.12]), 0.12) is None


def test_percentile_ignores_non_finite_values_and_warns_when_short():
    hist = pd.Series([0.1, np.inf, np.nan, 0.2, 0.3, -np.inf])
    pct, warnings = percentile_rank(hist, 0.2)
    assert pct == pytest.approx(200 / 3)
    assert any("only 3 valid values" in w for w in warnings)


def test_iv_rank():
    assert iv_rank(pd.Series([0.10, 0.20, 0.30]), 0.25) == pytest.approx(75.0)


def test_realized_vol_of_constant_returns_is_zero_and_parkinson_matches_formula():
    close = pd.Series(100 * np.exp(0.01 * np.arange(30)))
    assert close_to_close_vol(close).iloc[-1] == pytest.approx(0.0, abs=1e-12)
    high, low = pd.Series([101.0] * 25), pd.Series([99.0] * 25)
    expected = np.sqrt(np.log(101 / 99) ** 2 / (4 * np.log(2)) * 252)
    assert parkinson_vol(high, low).iloc[-1] == pytest.approx(expected)


def test_vix_forward_fill_is_limited_to_five_days_and_coverage_warns():
    idx = pd.date_range("2026-01-01", periods=20, freq="B")
    nifty = pd.Series(1.0, index=idx)
    vix = pd.Series([14.0], index=idx[:1])
    aligned, warnings = align_vix(nifty, vix)
    assert aligned.iloc[5] == 14.0
    assert np.isnan(aligned.iloc[6])
    assert warnings
    assert "below 80%" in warnings[0]


@pytest.mark.parametrize(
    ("pcts", "regime"),
    [
        ((10, 10, 10), VolRegime.LOW),
        ((40, 40, 40), VolRegime.NORMAL),
        ((60, 60, 60), VolRegime.ELEVATED),
        ((80, 85, 80), VolRegime.HIGH),
        ((95, 95, 95), VolRegime.EXTREME),
        ((None, 50, 50), VolRegime.UNKNOWN),
    ],
)
def test_classify_regime(pcts, regime):
    assert classify_regime(*pcts) is regime


def test_snapshot_from_fresh_history_is_known():
    nifty, vix = _daily()
    iv_hist = pd.Series(np.linspace(0.09, 0.2, 120))
    snap = build_vol_snapshot(nifty, vix, iv_hist, date(2026, 11, 25), CAL, iv_atm=0.15)
    assert snap.known
    assert snap.regime is not VolRegime.UNKNOWN
    assert 0 <= snap.iv_percentile <= 100
    assert snap.rv_20d > 0


def test_snapshot_without_iv_history_has_unknown_iv_and_regime():
    nifty, vix = _daily()
    snap = build_vol_snapshot(nifty, vix, pd.Series(dtype=float), date(2026, 11, 25), CAL, iv_atm=0.15)
    assert snap.iv_percentile is None
    assert snap.regime is VolRegime.UNKNOWN
    assert not snap.known


def test_data_older_than_two_business_days_is_rejected():
    nifty, vix = _daily(end=date(2026, 11, 18))  # 19, 20, 23, 25 Nov are trading days after it
    with pytest.raises(DataValidationError, match="trading days before"):
        build_vol_snapshot(nifty, vix, pd.Series([0.1] * 80), date(2026, 11, 25), CAL, 0.15)
    assert get_today_vol_snapshot(nifty, vix, pd.Series([0.1] * 80), date(2026, 11, 25), CAL, 0.15) is None
