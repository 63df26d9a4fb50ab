"""Technical indicators on candle frames (columns open, high, low, close, volume; aware DatetimeIndex).

Definitions follow the common references (Wilder's RSI and ATR, span-EMA, population-std Bollinger
Bands) and match the ``ta`` package where it has the indicator. Indicator functions refuse input with
NaN prices (``DataValidationError``) instead of letting NaN spread silently; ``clean_candles`` drops
incomplete bars and says how many.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.clock import IST
from core.domain.market import Technicals
from core.errors import DataValidationError

OHLC = ("open", "high", "low", "close")


def clean_candles(candles: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop bars with a missing or non-positive price; returns (clean frame, bars dropped)."""
    missing = [c for c in (*OHLC, "volume") if c not in candles]
    if missing:
        raise DataValidationError(f"candles lack columns: {', '.join(missing)}", errors=missing)
    prices = candles[list(OHLC)].to_numpy(float)
    ok = np.isfinite(prices).all(axis=1) & (prices > 0).all(axis=1)
    clean = candles.loc[ok].sort_index()
    clean = clean[~clean.index.duplicated(keep="last")]
    return clean, int((~ok).sum())


def _require_finite(series: pd.Series, name: str) -> None:
    if series.isna().any():
        raise DataValidationError(
            f"{name} has {int(series.isna().sum())} missing values; clean the candles first",
            errors=[f"{name}: NaN"],
        )


def ema(close: pd.Series, span: int) -> pd.Series:
    """Exponential moving average with ``span`` (alpha = 2/(span+1)); NaN for the first span-1 bars."""
    _require_finite(close, "close")
    return close.ewm(span=span, min_periods=span, adjust=False).mean()


def rsi(close: pd.Series, window: int = 14) -> pd.Series:
    """Wilder's RSI (0-100); 100 where there were no losses in the window."""
    _require_finite(close, "close")
    diff = close.diff(1)
    up = diff.where(diff > 0, 0.0)
    down = -diff.where(diff < 0, 0.0)
    avg_up = up.ewm(alpha=1 / window, min_periods=window, adjust=False).mean()
    avg_down = down.ewm(alpha=1 / window, min_periods=window, adjust=False).mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(avg_down == 0, 100.0, 100.0 - 100.0 / (1.0 + avg_up / avg_down))
    out = pd.Series(value, index=close.index)
    return out.where(avg_up.notna())


def true_range(candles: pd.DataFrame) -> pd.Series:
    prev = candles["close"].shift(1)
    ranges = pd.concat(
        [candles["high"] - candles["low"], (candles["high"] - prev).abs(), (candles["low"] - prev).abs()],
        axis=1,
    )
    return ranges.max(axis=1)


def atr(candles: pd.DataFrame, window: int = 14) -> pd.Series:
    """Wilder's ATR: the first value is the mean true range of ``window`` bars, then smoothed."""
    for c in ("high", "low", "close"):
        _require_finite(candles[c], c)
    tr = true_range(candles).to_numpy(float)
    out = np.full(tr.size, np.nan)
    if tr.size >= window:
        out[window - 1] = tr[:window].mean()
        for i in range(window, tr.size):
            out[i] = (out[i - 1] * (window - 1) + tr[i]) / window
    return pd.Series(out, index=candles.index)


def bollinger(close: pd.Series, window: int = 20, devs: float = 2.0) -> pd.DataFrame:
    """Middle, upper and lower bands (population standard deviation, as in ``ta``)."""
    _require_finite(close, "close")
    mid = close.rolling(window, min_periods=window).mean()
    std = close.rolling(window, min_periods=window).std(ddof=0)
    return pd.DataFrame({"mid": mid, "upper": mid + devs * std, "lower": mid - devs * std})


def vwap(candles: pd.DataFrame) -> pd.Series:
    """Session-anchored VWAP: cumulative typical price × volume over cumulative volume, per IST day."""
    for c in ("high", "low", "close", "volume"):
        _require_finite(candles[c], c)
    typical = (candles["high"] + candles["low"] + candles["close"]) / 3.0
    idx = candles.index
    days = idx.tz_convert(IST) if isinstance(idx, pd.DatetimeIndex) and idx.tz is not None else idx
    session = pd.Series(pd.DatetimeIndex(days).date, index=candles.index)
    pv = (typical * candles["volume"]).groupby(session).cumsum()
    vol = candles["volume"].groupby(session).cumsum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pv / vol
    # Index has no volume (e.g. NIFTY spot): fall back to the cumulative mean typical price.
    fallback = typical.groupby(session).expanding().mean().reset_index(level=0, drop=True)
    return out.where(vol > 0, fallback)


def supertrend(candles: pd.DataFrame, window: int = 10, multiplier: float = 3.0) -> pd.DataFrame:
    """Supertrend line and direction (True = up trend) from Wilder's ATR and the HL2 bands."""
    a = atr(candles, window).to_numpy(float)
    hl2 = ((candles["high"] + candles["low"]) / 2.0).to_numpy(float)
    close = candles["close"].to_numpy(float)
    n = close.size
    upper = hl2 + multiplier * a
    lower = hl2 - multiplier * a
    line = np.full(n, np.nan)
    up = np.zeros(n, dtype=bool)
    start = window - 1
    if n > start:
        final_u, final_l = upper.copy(), lower.copy()
        up[start] = close[start] >= hl2[start]
        line[start] = final_l[start] if up[start] else final_u[start]
        for i in range(start + 1, n):
            final_u[i] = (
                upper[i] if upper[i] < final_u[i - 1] or close[i - 1] > final_u[i - 1] else final_u[i - 1]
            )
            final_l[i] = (
                lower[i] if lower[i] > final_l[i - 1] or close[i - 1] < final_l[i - 1] else final_l[i - 1]
            )
            if up[i - 1]:
                up[i] = close[i] >= final_l[i]
            else:
                up[i] = close[i] > final_u[i]
            line[i] = final_l[i] if up[i] else final_u[i]
    return pd.DataFrame({"supertrend": line, "up": up}, index=candles.index)


def _last(series: pd.Series) -> float | None:
    if series.empty:
        return None
    value = float(series.iloc[-1])
    return value if np.isfinite(value) else None


def compute_technicals(candles: pd.DataFrame) -> Technicals | None:
    """Latest indicator values; ``None`` when there are no usable candles."""
    clean, _ = clean_candles(candles)
    if clean.empty:
        return None
    close = clean["close"]
    st = supertrend(clean)
    bands = bollinger(close)
    last_up = st["up"].iloc[-1] if st["supertrend"].notna().iloc[-1] else None
    as_of = clean.index[-1]
    return Technicals(
        close=float(close.iloc[-1]),
        vwap=_last(vwap(clean)),
        ema_fast=_last(ema(close, 9)),
        ema_slow=_last(ema(close, 21)),
        rsi=_last(rsi(close)),
        atr=_last(atr(clean)),
        supertrend=_last(st["supertrend"]),
        supertrend_up=None if last_up is None else bool(last_up),
        bb_upper=_last(bands["upper"]),
        bb_lower=_last(bands["lower"]),
        as_of=as_of.to_pydatetime() if hasattr(as_of, "to_pydatetime") else as_of,
    )
