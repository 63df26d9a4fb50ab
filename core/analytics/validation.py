"""Validators (seed: ``core/validation.py``): each returns a ``ValidationResult`` and never raises.

Errors make data unusable; warnings are worth showing but do not block. ``merge`` composes checks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from core.domain.market import VolSnapshot

IV_MIN_PCT, IV_MAX_PCT = 0.5, 200.0


@dataclass
class ValidationResult:
    valid: bool = True
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, message: str) -> ValidationResult:
        self.valid = False
        self.errors.append(message)
        return self

    def warn(self, message: str) -> ValidationResult:
        self.warnings.append(message)
        return self

    def merge(self, other: ValidationResult) -> ValidationResult:
        return ValidationResult(
            self.valid and other.valid, [*self.errors, *other.errors], [*self.warnings, *other.warnings]
        )


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _stale(ts: datetime | None, now: datetime | None, max_age: timedelta) -> str | None:
    if ts is None or now is None:
        return None
    if ts.tzinfo is None:
        return "timestamp is naive (no time zone)"
    age = now - ts
    return (
        f"data is {age.total_seconds():.0f}s old (limit {max_age.total_seconds():.0f}s)"
        if age > max_age
        else None
    )


def validate_option_chain(
    frame: pd.DataFrame, *, now: datetime | None = None, max_age: timedelta = timedelta(minutes=3)
) -> ValidationResult:
    """Columns present, non-empty, no duplicate (strike, type), prices non-negative, bid <= ask."""
    r = ValidationResult()
    needed = ("strike", "option_type", "bid", "ask", "ltp", "oi", "volume")
    missing = [c for c in needed if c not in frame]
    if missing:
        return r.error(f"chain lacks columns: {', '.join(missing)}")
    if frame.empty:
        return r.error("chain is empty")
    if frame.duplicated(["strike", "option_type"]).any():
        r.error(f"{int(frame.duplicated(['strike', 'option_type']).sum())} duplicate strike/type rows")
    if not frame["option_type"].isin(["CE", "PE"]).all():
        r.error("option_type must be CE or PE")
    strikes = frame["strike"].to_numpy(float)
    if not np.isfinite(strikes).all() or (strikes <= 0).any():
        r.error("strikes must be finite and positive")
    for col in ("bid", "ask", "ltp"):
        values = frame[col].to_numpy(float)
        if (values[np.isfinite(values)] < 0).any():
            r.error(f"negative {col}")
        if np.isinf(values).any():
            r.error(f"infinite {col}")
    bid, ask = frame["bid"].to_numpy(float), frame["ask"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        crossed = np.isfinite(bid) & np.isfinite(ask) & (bid > 0) & (ask > 0) & (bid > ask)
    if crossed.any():
        r.error(f"{int(crossed.sum())} rows with bid above ask")
    no_quote = ~np.isfinite(bid) & ~np.isfinite(ask) & ~np.isfinite(frame["ltp"].to_numpy(float))
    if no_quote.mean() > 0.5:
        r.warn(f"{int(no_quote.sum())} of {len(frame)} options have no quote")
    if (frame["oi"].to_numpy(float) < 0).any():
        r.error("negative open interest")
    if "quote_time" in frame and now is not None and len(frame):
        newest = max(frame["quote_time"])
        problem = _stale(newest, now, max_age)
        if problem:
            r.error(f"chain {problem}")
    return r


def validate_strike_data(row: Mapping[str, Any]) -> ValidationResult:
    r = ValidationResult()
    if not _finite(row.get("strike")) or float(row["strike"]) <= 0:
        r.error("strike must be a positive number")
    for side in ("bid", "ask", "ltp"):
        v = row.get(side)
        if v is not None and _finite(v) and float(v) < 0:
            r.error(f"{side} is negative")
        if v is not None and not _finite(v) and not (isinstance(v, float) and math.isnan(v)):
            r.error(f"{side} is not a number")
    bid, ask = row.get("bid"), row.get("ask")
    if bid is not None and ask is not None and _finite(bid) and _finite(ask) and float(bid) > float(ask) > 0:
        r.error("bid above ask (crossed quote)")
    return r


def validate_iv(iv: float | None, *, as_percent: bool = False) -> ValidationResult:
    """IV must be finite and within [0.5%, 200%] (decimal unless ``as_percent``)."""
    r = ValidationResult()
    if not _finite(iv):
        return r.error("IV is missing or not a number")
    pct = float(iv) if as_percent else float(iv) * 100  # type: ignore[arg-type]
    if not IV_MIN_PCT <= pct <= IV_MAX_PCT:
        r.error(f"IV {pct:.2f}% is outside [{IV_MIN_PCT}%, {IV_MAX_PCT}%]")
    return r


def validate_vol_snapshot(vol: VolSnapshot | None) -> ValidationResult:
    r = ValidationResult()
    if vol is None:
        return r.error("vol snapshot is unknown")
    for name in ("iv_percentile", "vix_percentile", "rv_percentile"):
        v = getattr(vol, name)
        if v is None:
            r.error(f"{name} is unknown")
        elif not 0 <= v <= 100:
            r.error(f"{name} {v} is outside 0-100")
    for w in vol.warnings:
        r.warn(w)
    return r


def validate_technicals(tech: Any) -> ValidationResult:
    r = ValidationResult()
    if tech is None:
        return r.error("technicals are unknown")
    if not _finite(getattr(tech, "close", None)) or tech.close <= 0:
        r.error("close must be positive")
    rsi = getattr(tech, "rsi", None)
    if rsi is not None and not 0 <= rsi <= 100:
        r.error(f"RSI {rsi} outside 0-100")
    atr = getattr(tech, "atr", None)
    if atr is not None and atr < 0:
        r.error("ATR is negative")
    return r


def validate_candle_dataframe(frame: pd.DataFrame) -> ValidationResult:
    r = ValidationResult()
    missing = [c for c in ("open", "high", "low", "close") if c not in frame]
    if missing:
        return r.error(f"candles lack columns: {', '.join(missing)}")
    if frame.empty:
        return r.error("no candles")
    prices = frame[["open", "high", "low", "close"]].to_numpy(float)
    if not np.isfinite(prices).all():
        r.error(f"{int((~np.isfinite(prices)).any(axis=1).sum())} bars with missing prices")
    with np.errstate(invalid="ignore"):
        if (prices <= 0).any():
            r.error("non-positive prices")
        bad_hl = (frame["high"] < frame[["open", "close", "low"]].max(axis=1)) | (
            frame["low"] > frame[["open", "close"]].min(axis=1)
        )
    if bad_hl.any():
        r.error(f"{int(bad_hl.sum())} bars where high/low do not bound open/close")
    if not frame.index.is_monotonic_increasing:
        r.error("candles are not in time order")
    if frame.index.duplicated().any():
        r.error("duplicate candle timestamps")
    return r


def validate_trade_suggestion(s: Mapping[str, Any]) -> ValidationResult:
    """A suggestion needs legs, a positive lot count, finite max loss and a score in 0-100."""
    r = ValidationResult()
    legs = s.get("legs") or []
    if not legs:
        r.error("suggestion has no legs")
    if not isinstance(s.get("lots"), int) or s["lots"] <= 0:
        r.error("lots must be a positive integer")
    if not _finite(s.get("max_loss")):
        r.error("max loss must be a finite number (defined risk only)")
    score = s.get("score")
    if score is None or not _finite(score) or not 0 <= float(score) <= 100:
        r.error("score must be within 0-100")
    for i, leg in enumerate(legs):
        if not _finite(leg.get("price")) or float(leg["price"]) < 0:
            r.error(f"leg {i + 1} has no valid price")
    return r


def validate_paper_trading_state(state: Mapping[str, Any]) -> ValidationResult:
    r = ValidationResult()
    for key in ("capital", "positions"):
        if key not in state:
            r.error(f"state lacks {key}")
    if "capital" in state and (not _finite(state["capital"]) or float(state["capital"]) <= 0):
        r.error("capital must be positive")
    ids = [p.get("id") for p in state.get("positions", [])]
    if len(ids) != len(set(ids)):
        r.error("duplicate position ids")
    return r


def validate_iv_storage(iv_pct: float | None, ts: datetime | None) -> ValidationResult:
    """An IV to store: within [0.5, 200] percent with an aware timestamp."""
    r = validate_iv(iv_pct, as_percent=True)
    if ts is None or ts.tzinfo is None:
        r.error("IV timestamp must be timezone-aware")
    return r


def validate_yfinance_data(frame: pd.DataFrame | None, ticker: str) -> ValidationResult:
    r = ValidationResult()
    if frame is None or frame.empty:
        return r.error(f"{ticker}: no rows")
    if "Close" not in frame and "close" not in frame:
        return r.error(f"{ticker}: no Close column")
    close = (frame["Close"] if "Close" in frame else frame["close"]).to_numpy(float).ravel()
    nan = int((~np.isfinite(close)).sum())
    if nan == close.size:
        r.error(f"{ticker}: every close is NaN")
    elif nan:
        r.warn(f"{ticker}: {nan} NaN closes")
    return r


def validate_config(data: Mapping[str, Any]) -> ValidationResult:
    """Validate a trading config mapping with the pydantic schema, as a ValidationResult."""
    from core.config.schema import parse_config
    from core.errors import ConfigError

    r = ValidationResult()
    try:
        cfg = parse_config(dict(data))
    except ConfigError as exc:
        return r.error(str(exc))
    for w in cfg.cross_check():
        r.warn(w)
    return r
