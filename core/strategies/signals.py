"""What the algorithms read off a snapshot: trend direction and strength, the expiry to trade, exits.

All pure. Trend is read from intraday technicals (one-minute candles):

- direction votes, each +1 (bullish), -1 (bearish) or 0: Supertrend up/down; EMA(9) above/below
  EMA(21); close above/below the session VWAP; RSI(14) above 55 / below 45 (0 between).
- ``direction`` = sum of votes / 4, in [-1, 1]; ``agreement`` = how many votes share the sign of the
  sum (0-4).
- ``strength`` = |EMA(9) − EMA(21)| / ATR(14) (one-minute ATR), capped at 2 and scaled to [0, 1]:
  how far the averages have pulled apart, in units of the bar-to-bar noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core.clock import IST
from core.domain.market import ChainSnapshot, MarketSnapshot, Technicals
from core.domain.money import paise
from core.domain.trading import ExitPlan, Structure


@dataclass(frozen=True)
class Trend:
    direction: float  # -1 bearish .. +1 bullish
    agreement: int  # votes sharing the direction's sign (0-4)
    strength: float  # 0 .. 1
    votes: tuple[tuple[str, int], ...]

    @property
    def bias(self) -> str:
        if self.direction >= 0.5:
            return "bullish"
        if self.direction <= -0.5:
            return "bearish"
        return "neutral"

    def describe(self) -> str:
        parts = ", ".join(f"{name} {'+' if v > 0 else '-' if v < 0 else '='}" for name, v in self.votes)
        return f"{self.bias} ({parts}; EMA spread {self.strength * 2:.1f} ATR)"


def read_trend(t: Technicals | None) -> Trend | None:
    """The trend from technicals; None when any input is missing (no guessing)."""
    if t is None:
        return None
    needed = (t.ema_fast, t.ema_slow, t.vwap, t.rsi, t.atr, t.supertrend_up)
    if any(v is None for v in needed):
        return None
    assert t.ema_fast is not None
    assert t.ema_slow is not None
    assert t.vwap is not None
    assert t.rsi is not None
    assert t.atr is not None
    votes = (
        ("Supertrend", 1 if t.supertrend_up else -1),
        ("EMA 9/21", 1 if t.ema_fast > t.ema_slow else -1 if t.ema_fast < t.ema_slow else 0),
        ("VWAP", 1 if t.close > t.vwap else -1 if t.close < t.vwap else 0),
        ("RSI", 1 if t.rsi > 55 else -1 if t.rsi < 45 else 0),
    )
    total = sum(v for _, v in votes)
    direction = total / 4.0
    sign = (total > 0) - (total < 0)
    agreement = sum(1 for _, v in votes if v == sign and sign != 0)
    strength = min(abs(t.ema_fast - t.ema_slow) / t.atr, 2.0) / 2.0 if t.atr > 0 else 0.0
    return Trend(direction, agreement, strength, votes)


def choose_chain(snapshot: MarketSnapshot, now: datetime, min_days: float) -> ChainSnapshot | None:
    """The nearest expiry with at least ``min_days`` calendar days to its close."""
    for chain in sorted(snapshot.chains, key=lambda c: c.expiry):
        a = chain.analytics
        if a is not None and a.days_to_expiry >= min_days and chain.expiry >= now.astimezone(IST).date():
            return chain
    return None


def days_left(chain: ChainSnapshot) -> float:
    return chain.analytics.days_to_expiry if chain.analytics is not None else math.nan


def credit_exit_plan(
    s: Structure, target_fraction: float, stop_multiple: float, max_sessions: int | None
) -> ExitPlan:
    """Take profit at ``target_fraction`` of the credit; stop at ``stop_multiple`` × the credit (capped
    at the max loss); rupees per lot."""
    credit = s.max_profit
    stop = min(paise(credit * Decimal(str(stop_multiple))), s.max_loss)
    return ExitPlan(paise(credit * Decimal(str(target_fraction))), stop, max_sessions)


def debit_exit_plan(
    s: Structure, target_fraction: float, stop_fraction: float, max_sessions: int | None
) -> ExitPlan:
    """Take profit at ``target_fraction`` of the max profit; stop when ``stop_fraction`` of the debit
    is lost; rupees per lot."""
    return ExitPlan(
        paise(s.max_profit * Decimal(str(target_fraction))),
        paise(s.max_loss * Decimal(str(stop_fraction))),
        max_sessions,
    )


def clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def legs_text(s: Structure) -> str:
    """'sell 24000 PE / buy 23900 PE'."""
    return " / ".join(
        f"{leg.action.value.lower()} {leg.contract.strike:.0f} {leg.contract.option_type}" for leg in s.legs
    )


def levels(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:,.0f}" for v in values)


def expiry_label(d: date) -> str:
    return f"{d:%a %d %b}"
