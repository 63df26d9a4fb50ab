"""Greeks and probability of profit (seed: ``core/greeks.py``).

Conventions as in :mod:`core.analytics.black`: per one unit of the option, delta per rupee of spot,
vega per vol point, theta per calendar day. Vol is a decimal, ``t`` in years (ACT/365).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr

from core.analytics.black import greeks

_MIN_SQRT_T = 1e-6


def bs_delta(
    S: float, K: float, T: float, r: float, sigma: float, option_type: str = "CE", q: float = 0.0
) -> float | None:
    """Delta of one option; ``None`` for S <= 0, K <= 0, T <= 0, sigma <= 0 or NaN inputs."""
    if not all(math.isfinite(v) for v in (S, K, T, r, sigma, q)) or S <= 0 or K <= 0:
        return None
    value = float(greeks(S, K, T, sigma, r, q, option_type.upper() in ("CE", "C", "CALL"))["delta"])
    return value if math.isfinite(value) else None


def compute_chain_greeks(frame: pd.DataFrame, spot: float, t: float, r: float, q: float) -> pd.DataFrame:
    """Add delta, gamma, vega, theta from each row's ``iv`` (NaN where the row has no IV)."""
    out = frame.copy()
    is_call = (out["option_type"] == "CE").to_numpy() if len(out) else np.zeros(0, dtype=bool)
    g = greeks(spot, out["strike"].to_numpy(float), t, out["iv"].to_numpy(float), r, q, is_call)
    for name in ("delta", "gamma", "vega", "theta"):
        out[name] = g[name]
    return out


def compute_chain_deltas(frame: pd.DataFrame, spot: float, t: float, r: float, q: float) -> pd.Series:
    """Delta per row; NaN for rows without IV (the seed's None handling, vectorised)."""
    return compute_chain_greeks(frame, spot, t, r, q)["delta"]


@dataclass(frozen=True)
class PayoffLeg:
    """One leg at expiry: ``side`` +1 long / -1 short, ``premium`` per unit paid (+) or received."""

    strike: float
    option_type: Literal["CE", "PE"]
    side: int
    quantity: int
    premium: float


def payoff_at_expiry(legs: Sequence[PayoffLeg], prices: np.ndarray) -> np.ndarray:
    """Net P&L per unit of underlying price at expiry (premiums included), in rupees."""
    prices = np.asarray(prices, dtype=float)
    total = np.zeros_like(prices)
    for leg in legs:
        intrinsic = (
            np.maximum(prices - leg.strike, 0.0)
            if leg.option_type == "CE"
            else np.maximum(leg.strike - prices, 0.0)
        )
        total += leg.side * leg.quantity * (intrinsic - leg.premium)
    return total


def breakevens(legs: Sequence[PayoffLeg]) -> list[float]:
    """Underlying prices at expiry where the P&L crosses zero (exact: payoff is piecewise linear)."""
    if not legs:
        return []
    strikes = sorted({leg.strike for leg in legs})
    lo, hi = strikes[0] * 0.5, strikes[-1] * 1.5
    knots = np.array([lo, *strikes, hi])
    values = payoff_at_expiry(legs, knots)
    out: list[float] = []
    for i in range(len(knots) - 1):
        a, b = values[i], values[i + 1]
        if a == 0.0 and (not out or out[-1] != knots[i]):
            out.append(float(knots[i]))
        if a * b < 0:
            out.append(float(knots[i] + (knots[i + 1] - knots[i]) * (-a) / (b - a)))
    return out


def compute_pop(
    legs: Sequence[PayoffLeg], spot: float, t: float, sigma: float, r: float = 0.0, q: float = 0.0
) -> float | None:
    """Probability that the position's P&L at expiry is positive, under the lognormal model.

    Uses the exact breakevens of the piecewise-linear payoff and the risk-neutral lognormal law of the
    underlying at expiry. Returns ``None`` for T <= 0, a tiny sqrt(T), sigma <= 0 or bad inputs.
    """
    if not legs or not all(math.isfinite(v) for v in (spot, t, sigma, r, q)):
        return None
    if spot <= 0 or t <= 0 or sigma <= 0 or math.sqrt(t) < _MIN_SQRT_T:
        return None
    bes = breakevens(legs)
    edges = [0.0, *bes, math.inf]
    sd = sigma * math.sqrt(t)
    mu = math.log(spot) + (r - q - 0.5 * sigma * sigma) * t

    def cdf(x: float) -> float:
        if x <= 0:
            return 0.0
        if math.isinf(x):
            return 1.0
        return float(ndtr((math.log(x) - mu) / sd))

    prob = 0.0
    for a, b in itertools.pairwise(edges):
        mid = (a + b) / 2 if math.isfinite(b) else (a * 1.5 if a > 0 else spot)
        if payoff_at_expiry(legs, np.array([mid]))[0] > 0:
            prob += cdf(b) - cdf(a)
    return min(max(prob, 0.0), 1.0)
