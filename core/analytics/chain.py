"""Chain analytics: IV and Greeks for a whole chain, and the levels a trader reads off it.

Input frames carry ``CHAIN_INPUT_COLUMNS`` (core/domain/market.py); ``enrich_chain`` adds
``CHAIN_COMPUTED_COLUMNS``. IV is taken from each strike's OTM option on the forward implied by
put-call parity (falling back to the carry forward ``S·e^{(r−q)t}`` when parity cannot be read).
"""

from __future__ import annotations

import math
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from core.analytics.greeks import compute_chain_greeks
from core.analytics.iv_calculator import compute_iv_for_chain
from core.clock import IST
from core.domain.market import ChainAnalytics

SECONDS_PER_YEAR = 365.0 * 24 * 3600


def time_to_expiry(now: datetime, expiry: date, close: time) -> float:
    """Years (ACT/365) from the aware moment ``now`` to the expiry day's close (IST); 0 if past."""
    if now.tzinfo is None:
        raise ValueError("time_to_expiry needs an aware datetime")
    end = datetime.combine(expiry, close, IST)
    return max((end - now).total_seconds(), 0.0) / SECONDS_PER_YEAR


def with_mid(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``mid``: (bid+ask)/2 when both sides are positive and not crossed, else NaN."""
    out = frame.copy()
    bid = out["bid"].to_numpy(float)
    ask = out["ask"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(bid) & np.isfinite(ask) & (bid > 0) & (ask > 0) & (ask >= bid)
    out["mid"] = np.where(ok, (bid + ask) / 2.0, np.nan)
    return out


def _pairs(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Pivot one column to a strike-indexed frame with CE and PE columns (first value per pair).

    Done with numpy scatter rather than ``pivot_table``: this runs several times per chain on every
    snapshot, and pandas' pivot costs ~30x more for the same result.
    """
    if frame.empty:
        return pd.DataFrame(columns=["CE", "PE"], dtype=float)
    strikes, where = np.unique(frame["strike"].to_numpy(float), return_inverse=True)
    kinds = frame["option_type"].to_numpy()
    values = frame[column].to_numpy(float)
    out = np.full((strikes.size, 2), np.nan)
    for j, kind in enumerate(("CE", "PE")):
        rows = np.flatnonzero(kinds == kind)[::-1]  # reversed so the first row of a pair wins
        out[where[rows], j] = values[rows]
    return pd.DataFrame(out, index=pd.Index(strikes, name="strike"), columns=["CE", "PE"])


def parity_forward(frame: pd.DataFrame, spot: float, t: float, r: float, n: int = 3) -> float | None:
    """Synthetic forward ``K + (C − P)·e^{rt}``, the median over the ``n`` strikes nearest spot."""
    if t <= 0 or frame.empty:
        return None
    mids = _pairs(frame if "mid" in frame else with_mid(frame), "mid").dropna()
    if mids.empty:
        return None
    nearest = mids.iloc[np.argsort(np.abs(mids.index.to_numpy(float) - spot))[:n]]
    values = nearest.index.to_numpy(float) + (nearest["CE"] - nearest["PE"]).to_numpy(float) * math.exp(r * t)
    value = float(np.median(values))
    return value if math.isfinite(value) and value > 0 else None


def enrich_chain(frame: pd.DataFrame, spot: float, t: float, r: float, q: float) -> pd.DataFrame:
    """Add mid, iv, iv_status, delta, gamma, vega, theta to a chain frame (one expiry).

    When put-call parity gives a forward, the carry ``q`` is replaced by the one it implies, so IVs
    and Greeks are on the market's forward.
    """
    out = with_mid(frame)
    fwd = parity_forward(out, spot, t, r)
    if fwd is not None and t > 0:
        q = r - math.log(fwd / spot) / t
    out = compute_iv_for_chain(out, spot, t, r, q)
    return compute_chain_greeks(out, spot, t, r, q)


def max_pain(frame: pd.DataFrame) -> float | None:
    """Strike at which option holders' total intrinsic value at expiry is smallest."""
    oi = _pairs(frame, "oi").fillna(0.0)
    if oi.empty or float(oi.to_numpy().sum()) <= 0:
        return None
    k = oi.index.to_numpy(float)
    settle = k[:, None]
    pain = (np.maximum(settle - k, 0) * oi["CE"].to_numpy(float)).sum(axis=1) + (
        np.maximum(k - settle, 0) * oi["PE"].to_numpy(float)
    ).sum(axis=1)
    return float(k[int(np.argmin(pain))])


def put_call_ratio(frame: pd.DataFrame, column: str) -> float | None:
    """Sum of PE ``column`` over sum of CE ``column`` (OI or volume); ``None`` without calls."""
    by_type = frame.groupby("option_type")[column].sum()
    ce, pe = float(by_type.get("CE", 0.0)), float(by_type.get("PE", 0.0))
    return pe / ce if ce > 0 else None


def oi_levels(frame: pd.DataFrame, spot: float, n: int = 3) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(supports, resistances): largest PE OI strikes at or below spot, largest CE OI at or above."""
    oi = _pairs(frame, "oi").fillna(0.0)
    below = oi[oi.index <= spot]["PE"]
    above = oi[oi.index >= spot]["CE"]
    supports = tuple(float(k) for k in below[below > 0].sort_values(ascending=False).index[:n])
    resistances = tuple(float(k) for k in above[above > 0].sort_values(ascending=False).index[:n])
    return supports, resistances


def _iv_at_delta(side: pd.DataFrame, target: float) -> float | None:
    side = side.dropna(subset=["delta", "iv"]).sort_values("delta")
    if len(side) < 2:
        return None
    d = side["delta"].to_numpy(float)
    if not d.min() <= target <= d.max():
        return None
    return float(np.interp(target, d, side["iv"].to_numpy(float)))


def skew_25d(frame: pd.DataFrame, forward_: float) -> float | None:
    """25-delta risk reversal as put IV minus call IV (decimal), on OTM options."""
    calls = frame[(frame["option_type"] == "CE") & (frame["strike"] >= forward_)]
    puts = frame[(frame["option_type"] == "PE") & (frame["strike"] <= forward_)]
    c, p = _iv_at_delta(calls, 0.25), _iv_at_delta(puts, -0.25)
    return None if c is None or p is None else p - c


def oi_buildup(frame: pd.DataFrame) -> pd.Series:
    """Label per row from price change (``ltp_change``) and ``oi_change``.

    Price up & OI up: long build-up; price down & OI up: short build-up; price down & OI down: long
    unwinding; price up & OI down: short covering; anything else (no change, missing data): neutral.
    """
    if "ltp_change" not in frame:
        return pd.Series("unknown", index=frame.index)
    dp = frame["ltp_change"].to_numpy(float)
    doi = frame["oi_change"].to_numpy(float)
    labels = np.select(
        [(dp > 0) & (doi > 0), (dp < 0) & (doi > 0), (dp < 0) & (doi < 0), (dp > 0) & (doi < 0)],
        ["long build-up", "short build-up", "long unwinding", "short covering"],
        default="neutral",
    )
    return pd.Series(labels, index=frame.index)


def iv_smile(frame: pd.DataFrame) -> pd.DataFrame:
    """Strike-indexed IV (decimal) for plotting, one value per strike (from the OTM side)."""
    ok = frame[frame["iv_status"] == "ok"] if "iv_status" in frame else frame
    return ok.groupby("strike")["iv"].first().to_frame("iv").sort_index()


def analyse_chain(
    frame: pd.DataFrame, spot: float, expiry: date, t: float, r: float, q: float
) -> ChainAnalytics:
    """Levels and statistics of one expiry's enriched chain (see ChainAnalytics)."""
    if "iv" not in frame:
        frame = enrich_chain(frame, spot, t, r, q)
    fwd = parity_forward(frame, spot, t, r)
    ref = fwd if fwd is not None else spot * math.exp((r - q) * t)
    strikes = np.sort(frame["strike"].unique().astype(float))
    if strikes.size == 0:
        raise ValueError("analyse_chain needs a non-empty chain")
    atm = float(strikes[int(np.argmin(np.abs(strikes - ref)))])
    at_atm = frame[frame["strike"] == atm]
    ivs = at_atm["iv"].to_numpy(float)
    atm_iv = float(np.nanmean(ivs)) if np.isfinite(ivs).any() else None
    mids = _pairs(frame, "mid")
    straddle = None
    if atm in mids.index:
        row = mids.loc[atm].to_numpy(float)
        value = float(row[0] + row[1])
        straddle = value if math.isfinite(value) else None
    supports, resistances = oi_levels(frame, spot)
    return ChainAnalytics(
        expiry=expiry,
        spot=spot,
        forward=fwd,
        atm_strike=atm,
        atm_iv=atm_iv,
        expected_move=straddle,
        pcr_oi=put_call_ratio(frame, "oi"),
        pcr_volume=put_call_ratio(frame, "volume"),
        max_pain=max_pain(frame),
        supports=supports,
        resistances=resistances,
        skew_25d=skew_25d(frame, ref),
        days_to_expiry=t * 365.0,
    )
