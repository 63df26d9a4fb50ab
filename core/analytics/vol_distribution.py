"""The volatility distribution (seed: ``core/vol_distribution.py``), with the seed's limits fixed.

Percentiles are 0-100 and ``None`` when unknown: never a 50.0 fallback, and a missing snapshot is
never replaced by neutral values. Realized vol is annualised with 252 trading days; IV and RV are
decimals; India VIX is in its quoted percent units.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from core.domain.market import VolRegime, VolSnapshot
from core.errors import DataValidationError
from core.market_hours import NSECalendar

TRADING_DAYS = 252
MIN_VALUES = 60
VIX_FFILL_LIMIT = 5
MIN_COVERAGE = 0.80
MAX_AGE_BUSINESS_DAYS = 2


def close_to_close_vol(close: pd.Series, window: int = 20) -> pd.Series:
    """Rolling annualised standard deviation of log returns (decimal)."""
    returns = pd.Series(np.log(close.to_numpy(float)), index=close.index).diff()
    out: pd.Series = returns.rolling(window, min_periods=window).std(ddof=1) * math.sqrt(TRADING_DAYS)
    return out


def parkinson_vol(high: pd.Series, low: pd.Series, window: int = 20) -> pd.Series:
    """Rolling Parkinson (high-low range) volatility, annualised (decimal)."""
    hl = pd.Series(np.log(high.to_numpy(float) / low.to_numpy(float)) ** 2, index=high.index)
    variance = hl.rolling(window, min_periods=window).mean() / (4 * math.log(2)) * TRADING_DAYS
    out: pd.Series = variance.pow(0.5)
    return out


def align_vix(nifty_close: pd.Series, vix_close: pd.Series) -> tuple[pd.Series, list[str]]:
    """VIX on NIFTY's dates, gaps forward-filled at most 5 business days; warns on poor coverage."""
    warnings: list[str] = []
    aligned = vix_close.reindex(nifty_close.index).ffill(limit=VIX_FFILL_LIMIT)
    overlap = nifty_close.index.isin(vix_close.dropna().index).mean() if len(nifty_close) else 0.0
    if overlap < MIN_COVERAGE:
        warnings.append(f"NIFTY/VIX date overlap is {overlap:.0%}, below {MIN_COVERAGE:.0%}")
    return aligned, warnings


def percentile_rank(history: pd.Series, current: float | None) -> tuple[float | None, list[str]]:
    """Share of finite history values at or below ``current`` (0-100); None when it cannot be known."""
    warnings: list[str] = []
    if current is None or not math.isfinite(current):
        return None, ["current value unknown"]
    values = history.to_numpy(float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None, ["no history"]
    if values.size < MIN_VALUES:
        warnings.append(f"only {values.size} valid values (< {MIN_VALUES}); percentile is rough")
    return float((values <= current).mean() * 100.0), warnings


def iv_percentile(history: pd.Series, current: float | None) -> float | None:
    """IV percentile from stored daily IV closes; None (not 50.0) without history."""
    return percentile_rank(history, current)[0]


def iv_rank(history: pd.Series, current: float | None) -> float | None:
    """(current - min) / (max - min) × 100 over the finite history; None when undefined."""
    if current is None or not math.isfinite(current):
        return None
    values = history.to_numpy(float)
    values = values[np.isfinite(values)]
    if values.size < 2 or values.max() == values.min():
        return None
    return float(np.clip((current - values.min()) / (values.max() - values.min()) * 100.0, 0.0, 100.0))


def classify_regime(iv_pct: float | None, vix_pct: float | None, rv_pct: float | None) -> VolRegime:
    """Regime from the mean of the three percentiles: <20 low, <45 normal, <70 elevated, <90 high,
    else extreme. UNKNOWN when any input is unknown (no neutral fallback)."""
    if iv_pct is None or vix_pct is None or rv_pct is None:
        return VolRegime.UNKNOWN
    score = (iv_pct + vix_pct + rv_pct) / 3.0
    for bound, regime in (
        (20, VolRegime.LOW),
        (45, VolRegime.NORMAL),
        (70, VolRegime.ELEVATED),
        (90, VolRegime.HIGH),
    ):
        if score < bound:
            return regime
    return VolRegime.EXTREME


def build_vol_snapshot(
    nifty_daily: pd.DataFrame,
    vix_daily: pd.DataFrame,
    iv_history: pd.Series,
    today: date,
    calendar: NSECalendar,
    iv_atm: float | None,
) -> VolSnapshot:
    """The vol picture for ``today`` from daily NIFTY (close, high, low), VIX (close) and IV history.

    Raises ``DataValidationError`` when the latest NIFTY bar is more than 2 NSE business days old.
    """
    if nifty_daily.empty or "close" not in nifty_daily:
        raise DataValidationError("no NIFTY daily history", errors=["nifty_daily empty"])
    last = pd.Timestamp(nifty_daily.index[-1]).date()
    age = len(calendar.trading_days_between(last, today)) - 1 if last <= today else 0
    if age > MAX_AGE_BUSINESS_DAYS:
        raise DataValidationError(
            f"NIFTY daily data ends {last}, {age} trading days before {today}",
            errors=[f"stale by {age} business days"],
        )
    warnings: list[str] = []
    rv = close_to_close_vol(nifty_daily["close"])
    rv_now = rv.iloc[-1] if len(rv) else float("nan")
    rv_now_f = float(rv_now) if math.isfinite(float(rv_now)) else None
    rv_pct, w = percentile_rank(rv.iloc[:-1], rv_now_f)
    warnings += [f"RV: {x}" for x in w]
    vix_now: float | None = None
    vix_pct: float | None = None
    if not vix_daily.empty and "close" in vix_daily:
        aligned, w = align_vix(nifty_daily["close"], vix_daily["close"])
        warnings += w
        tail = aligned.dropna()
        if len(tail):
            vix_now = float(tail.iloc[-1])
            vix_pct, w = percentile_rank(tail.iloc[:-1], vix_now)
            warnings += [f"VIX: {x}" for x in w]
    else:
        warnings.append("VIX history missing")
    iv_pct, w = percentile_rank(iv_history, iv_atm)
    warnings += [f"IV: {x}" for x in w]
    return VolSnapshot(
        as_of=today,
        iv_atm=iv_atm,
        iv_percentile=iv_pct,
        iv_rank=iv_rank(iv_history, iv_atm),
        vix=vix_now,
        vix_percentile=vix_pct,
        rv_20d=rv_now_f,
        rv_percentile=rv_pct,
        regime=classify_regime(iv_pct, vix_pct, rv_pct),
        warnings=tuple(warnings),
    )


def get_today_vol_snapshot(
    nifty_daily: pd.DataFrame,
    vix_daily: pd.DataFrame,
    iv_history: pd.Series,
    today: date,
    calendar: NSECalendar,
    iv_atm: float | None,
) -> VolSnapshot | None:
    """Like ``build_vol_snapshot`` but returns ``None`` (unknown) for stale or missing data.

    Callers must treat ``None`` as unknown: the algorithms refuse to trade on it.
    """
    try:
        return build_vol_snapshot(nifty_daily, vix_daily, iv_history, today, calendar, iv_atm)
    except DataValidationError:
        return None
