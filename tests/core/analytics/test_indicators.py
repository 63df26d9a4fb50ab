import numpy as np
import pandas as pd
import pytest
import ta

from core.analytics.indicators import (
    atr,
    bollinger,
    clean_candles,
    compute_technicals,
    ema,
    rsi,
    supertrend,
    vwap,
)
from core.errors import DataValidationError


def _candles(n=300, seed=5):
    """A reproducible random walk of one-minute NIFTY bars over two sessions."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2026-11-25 09:15", periods=n // 2, freq="1min", tz="Asia/Kolkata").append(
        pd.date_range("2026-11-26 09:15", periods=n - n // 2, freq="1min", tz="Asia/Kolkata")
    )
    close = 25000 + np.cumsum(rng.normal(0, 8, n))
    open_ = close + rng.normal(0, 3, n)
    high = np.maximum(open_, close) + rng.uniform(0, 6, n)
    low = np.minimum(open_, close) - rng.uniform(0, 6, n)
    vol = rng.integers(1_000, 50_000, n).astype(float)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": vol}, index=idx)


def test_ema_matches_ta():
    c = _candles()
    ours = ema(c["close"], 21)
    theirs = ta.trend.EMAIndicator(c["close"], window=21).ema_indicator()
    pd.testing.assert_series_equal(ours, theirs, check_names=False, atol=1e-9, rtol=0)


def test_rsi_matches_ta():
    c = _candles()
    ours = rsi(c["close"], 14)
    theirs = ta.momentum.RSIIndicator(c["close"], window=14).rsi()
    mask = theirs.notna()
    assert np.abs(ours[mask] - theirs[mask]).max() <= 1e-9
    assert ours[~mask].isna().all()


def test_atr_matches_ta_from_its_first_full_window():
    c = _candles()
    ours = atr(c, 14)
    theirs = ta.volatility.AverageTrueRange(c["high"], c["low"], c["close"], window=14).average_true_range()
    assert np.abs(ours.iloc[13:] - theirs.iloc[13:]).max() <= 1e-9
    assert ours.iloc[:13].isna().all()  # ta fills zeros; we say "not enough data"


def test_bollinger_matches_ta():
    c = _candles()
    ours = bollinger(c["close"], 20, 2.0)
    bb = ta.volatility.BollingerBands(c["close"], window=20, window_dev=2)
    assert np.nanmax(np.abs(ours["upper"] - bb.bollinger_hband())) <= 1e-9
    assert np.nanmax(np.abs(ours["lower"] - bb.bollinger_lband())) <= 1e-9


def test_vwap_is_anchored_to_each_session():
    c = _candles(10)
    v = vwap(c)
    tp = (c.high + c.low + c.close) / 3
    first_day = c.index.date == c.index[0].date()
    expected = (tp[first_day] * c.volume[first_day]).cumsum() / c.volume[first_day].cumsum()
    assert np.abs(v[first_day] - expected).max() <= 1e-9
    second = ~first_day
    assert v[second].iloc[0] == pytest.approx(tp[second].iloc[0])  # restarts at the new session


def test_supertrend_direction_follows_a_strong_trend():
    idx = pd.date_range("2026-11-25 09:15", periods=60, freq="1min", tz="Asia/Kolkata")
    close = np.linspace(25000, 25600, 60)
    c = pd.DataFrame(
        {"open": close - 2, "high": close + 5, "low": close - 5, "close": close, "volume": 1.0}, index=idx
    )
    st = supertrend(c)
    assert st["up"].iloc[-1]
    assert st["supertrend"].iloc[-1] < close[-1]


def test_nan_prices_are_refused_not_propagated():
    c = _candles()
    c.iloc[50, c.columns.get_loc("close")] = np.nan
    with pytest.raises(DataValidationError, match=r"NaN|missing"):
        ema(c["close"], 9)
    clean, dropped = clean_candles(c)
    assert dropped == 1
    assert len(clean) == len(c) - 1
    tech = compute_technicals(c)
    assert tech is not None
    assert np.isfinite(tech.rsi)


def test_technicals_of_no_candles_is_none():
    empty = _candles().iloc[:0]
    assert compute_technicals(empty) is None
