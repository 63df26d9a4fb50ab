"""Black-76 on the forward (and Black-Scholes with carry through ``forward``), vectorised.

Units: prices in rupees; ``t`` in years (ACT/365); ``sigma``, ``r``, ``q`` as decimals (continuous,
annual); ``is_call`` a boolean array. Greeks are per one unit of the option, with respect to spot:
delta per rupee of spot, gamma per rupee squared, vega per 1 vol point (0.01), theta per calendar day,
rho per 1% rate. Invalid rows (t <= 0, sigma <= 0, S or K <= 0, NaN) give NaN, never raise.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import erfcx, ndtr

Array = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike
_SQRT_2PI = np.sqrt(2.0 * np.pi)
_SQRT2 = np.sqrt(2.0)


def forward(spot: ArrayLike, t: ArrayLike, r: ArrayLike, q: ArrayLike) -> Array:
    """Forward of an index paying a continuous dividend yield ``q``: S·e^((r−q)t)."""
    s, tt, rr, qq = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (spot, t, r, q)))
    return np.asarray(s * np.exp((rr - qq) * tt), dtype=np.float64)


def _d1_d2(f: Array, k: Array, t: Array, sigma: Array) -> tuple[Array, Array, Array]:
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = sigma * np.sqrt(t)
        d1 = (np.log(f / k) + 0.5 * sd * sd) / sd
    return d1, d1 - sd, sd


def _valid(*arrays: Array) -> npt.NDArray[np.bool_]:
    s, k, t, sigma = arrays
    return (s > 0) & (k > 0) & (t > 0) & (sigma > 0) & np.isfinite(s + k + t + sigma)


def normalised_otm(x: Array, s: Array) -> Array:
    """Normalised Black price of the OTM call, ``x <= 0``: ``b = e^{x/2} N(h+t) - e^{-x/2} N(h-t)``.

    With ``h = x/s`` and ``t = s/2`` this equals ``0.5 e^{-(h^2+t^2)/2} [erfcx(-(h+t)/√2) -
    erfcx((t-h)/√2)]``, which keeps relative precision when both normal terms are tiny.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        h = x / s
        t = 0.5 * s
        small = h + t < 0.0
        scaled = 0.5 * np.exp(-0.5 * (h * h + t * t)) * (erfcx(-(h + t) / _SQRT2) - erfcx((t - h) / _SQRT2))
        direct = np.exp(0.5 * x) * ndtr(h + t) - np.exp(-0.5 * x) * ndtr(h - t)
    return np.asarray(np.where(small, scaled, direct), dtype=np.float64)


def black76_price(
    f: ArrayLike, k: ArrayLike, t: ArrayLike, sigma: ArrayLike, r: ArrayLike, is_call: ArrayLike
) -> Array:
    """Discounted Black-76 price of a European option on the forward ``f``.

    Computed as intrinsic plus the OTM time value in normalised form, so deep OTM prices keep full
    relative precision (no cancellation between two nearly equal normal terms).
    """
    ff, kk, tt, ss, rr, cc = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.float64) for x in (f, k, t, sigma, r)), np.asarray(is_call, dtype=bool)
    )
    with np.errstate(all="ignore"):
        x = np.log(ff / kk)
        root = np.sqrt(ff * kk)
        time_value = normalised_otm(-np.abs(x), ss * np.sqrt(tt))
        parity = np.exp(0.5 * x) - np.exp(-0.5 * x)
        intrinsic = np.maximum(np.where(cc, parity, -parity), 0.0)
        out = np.exp(-rr * tt) * root * (intrinsic + time_value)
    return np.asarray(np.where(_valid(ff, kk, tt, ss), out, np.nan), dtype=np.float64)


def bs_price_vec(
    spot: ArrayLike,
    k: ArrayLike,
    t: ArrayLike,
    sigma: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
) -> Array:
    """Black-Scholes with carry: Black-76 on the forward S·e^((r−q)t)."""
    return black76_price(forward(spot, t, r, q), k, t, sigma, r, is_call)


def greeks(
    spot: ArrayLike,
    k: ArrayLike,
    t: ArrayLike,
    sigma: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
) -> dict[str, Array]:
    """Delta, gamma, vega (per vol point), theta (per calendar day) and rho (per 1%), vectorised."""
    s, kk, tt, ss, rr, qq, cc = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.float64) for x in (spot, k, t, sigma, r, q)),
        np.asarray(is_call, dtype=bool),
    )
    f = s * np.exp((rr - qq) * tt)
    d1, d2, _ = _d1_d2(f, kk, tt, ss)
    dq = np.exp(-qq * tt)
    dr = np.exp(-rr * tt)
    pdf = np.exp(-0.5 * d1 * d1) / _SQRT_2PI
    with np.errstate(divide="ignore", invalid="ignore"):
        sqrt_t = np.sqrt(tt)
        delta = np.where(cc, dq * ndtr(d1), dq * (ndtr(d1) - 1.0))
        gamma = dq * pdf / (s * ss * sqrt_t)
        vega = s * dq * pdf * sqrt_t / 100.0
        common = -s * dq * pdf * ss / (2.0 * sqrt_t)
        theta_call = common - rr * kk * dr * ndtr(d2) + qq * s * dq * ndtr(d1)
        theta_put = common + rr * kk * dr * ndtr(-d2) - qq * s * dq * ndtr(-d1)
        theta = np.where(cc, theta_call, theta_put) / 365.0
        rho = np.where(cc, kk * tt * dr * ndtr(d2), -kk * tt * dr * ndtr(-d2)) / 100.0
    ok = _valid(s, kk, tt, ss)
    return {
        name: np.asarray(np.where(ok, value, np.nan), dtype=np.float64)
        for name, value in (
            ("delta", delta),
            ("gamma", gamma),
            ("vega", vega),
            ("theta", theta),
            ("rho", rho),
        )
    }
