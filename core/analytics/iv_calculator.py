"""Implied volatility (seed: ``core/iv_calculator.py``), vectorised and exact to float64.

The solver works on the normalised Black price ``b(x, s) = B / sqrt(F K)`` with ``x = ln(F/K)`` and
``s = sigma * sqrt(t)``. Every option is reduced to its out-of-the-money equivalent (``x <= 0``, time
value only), priced through ``scipy.special.erfcx`` so deep OTM prices keep full relative precision, and
solved by Newton steps on ``ln b`` (concave in ``s``), with masked iterations and a convergence check.

Inputs: ``price`` (discounted premium, rupees), ``spot``, ``strike``, ``t`` (years, ACT/365), ``r`` and
``q`` (continuous decimals), ``is_call`` (bool). Output vol is a decimal. A row that cannot be solved gets
``NaN`` and a status saying why; it never raises and never spoils the other rows.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import erfcx

from core.analytics.black import black76_price, forward

Array = npt.NDArray[np.float64]
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_MAX_ITER = 40
_RESOLUTION = 16 * np.finfo(np.float64).eps
# A Halley step of relative size 1e-9 leaves an error far below 1e-15 (cubic convergence); stepping
# further only chases the rounding noise of b itself.
_STEP_TOL = 1e-9


class IVStatus(enum.IntEnum):
    OK = 0
    BELOW_INTRINSIC = 1
    ABOVE_MAX = 2
    EXPIRED = 3
    BAD_INPUT = 4
    NO_INFORMATION = 5
    NOT_CONVERGED = 6

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class IVResult:
    """``iv`` is NaN wherever ``status`` is not ``IVStatus.OK``."""

    iv: Array
    status: npt.NDArray[np.int8]

    def labels(self) -> npt.NDArray[np.object_]:
        names = np.array([s.label for s in IVStatus], dtype=object)
        return np.asarray(names[self.status], dtype=np.object_)


def implied_volatilities(
    price: npt.ArrayLike,
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    t: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    is_call: npt.ArrayLike,
) -> IVResult:
    """Vectorised IV for European options (Black-Scholes with carry = Black-76 on the forward)."""
    p, s0, k, tt, rr, qq = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (price, spot, strike, t, r, q))
    )
    call = np.broadcast_to(np.atleast_1d(np.asarray(is_call, dtype=bool)), p.shape)
    n = p.shape
    status = np.full(n, IVStatus.OK, dtype=np.int8)
    iv = np.full(n, np.nan)

    finite = np.isfinite(p) & np.isfinite(s0) & np.isfinite(k) & np.isfinite(tt) & np.isfinite(rr)
    finite &= np.isfinite(qq)
    bad = ~finite | (s0 <= 0) | (k <= 0) | (p < 0)
    status[bad] = IVStatus.BAD_INPUT
    expired = ~bad & (tt <= 0)
    status[expired] = IVStatus.EXPIRED
    live = ~bad & ~expired
    if not live.any():
        return IVResult(iv, status)

    with np.errstate(all="ignore"):
        f = s0 * np.exp((rr - qq) * tt)
        x = np.log(f / k)
        b = p * np.exp(rr * tt) / np.sqrt(f * k)  # undiscounted, normalised
        # Put -> call by parity in normalised terms: b_call = b_put + e^{x/2} - e^{-x/2}.
        up = np.exp(0.5 * x)
        down = 1.0 / up
        parity = up - down
        intrinsic = np.maximum(np.where(call, parity, -parity), 0.0)
        upper = np.where(call, up, down)
        b_otm = b - intrinsic  # time value, normalised (= the OTM option's b)
        xo = -np.abs(x)

    below = live & (b_otm < 0)
    status[below] = IVStatus.BELOW_INTRINSIC
    above = live & ~below & (b >= upper)
    status[above] = IVStatus.ABOVE_MAX
    # Time value at or below the rounding of the quote itself carries no information about vol.
    noinfo = live & ~below & ~above & (b_otm <= _RESOLUTION * np.maximum(b, intrinsic))
    status[noinfo] = IVStatus.NO_INFORMATION
    solve = live & ~below & ~above & ~noinfo
    idx = np.flatnonzero(solve)
    if idx.size:
        sig = _solve(xo[idx], b_otm[idx])
        ok = np.isfinite(sig)
        iv[idx[ok]] = sig[ok] / np.sqrt(tt[idx[ok]])
        status[idx[~ok]] = IVStatus.NOT_CONVERGED
    return IVResult(iv, status)


def _initial_guess(x: Array, b: Array) -> Array:
    """A start on the right branch: the asymptotic for deep OTM, the ATM line near the money.

    At the inflection point ``s_c = √(2|x|)`` the OTM price is ``½ e^{x/2} (1 − erfcx(√|x|))``
    (``h + t = 0`` there), which tells which branch the target lies on.
    """
    with np.errstate(all="ignore"):
        ax = -x
        s_c = np.sqrt(2.0 * ax)
        b_c = 0.5 * np.exp(-0.5 * ax) * (1.0 - erfcx(np.sqrt(ax)))
        lower = b < b_c
        s_low = ax / np.sqrt(np.maximum(-2.0 * np.log(b), 1e-300))
        s_atm = _SQRT_2PI * b / np.maximum(1.0 - 0.5 * ax, 0.5)
        guess = np.where(lower, np.minimum(np.maximum(s_low, s_atm), s_c), np.maximum(s_atm, s_c))
    return np.asarray(np.where(np.isfinite(guess) & (guess > 0), guess, 0.1), dtype=np.float64)


def _lnb_and_slope(x: Array, s: Array) -> tuple[Array, Array]:
    """``ln b(x, s)`` and ``d ln b / ds`` for ``x <= 0`` through erfcx only (no exp, no ndtr).

    ``b = ½ e^{-(h²+t²)/2} D`` with ``D = erfcx(-(h+t)/√2) − erfcx((t−h)/√2)`` and
    ``b' = e^{-(h²+t²)/2}/√(2π)``, so ``ln b = ln(D/2) − (h²+t²)/2`` and ``(ln b)' = 2/(√(2π) D)``.
    Valid while ``h + t`` stays below ~37 (s below ~70), far beyond any real option.
    """
    h = x / s
    t = 0.5 * s
    d = erfcx(-(h + t) / _SQRT2) - erfcx((t - h) / _SQRT2)
    ln_b = np.log(0.5 * d) - 0.5 * (h * h + t * t)
    return ln_b, 2.0 / (_SQRT_2PI * d)


def _solve(x: Array, b_target: Array) -> Array:
    """Halley steps on g(s) = ln b(s) for OTM-normalised inputs; NaN where it fails to converge.

    With b''/b' = x²/s³ − s/4 the second derivative of g is closed-form, so a third-order step costs
    no more special functions than a Newton step.
    """
    s = _initial_guess(x, b_target)
    ln_target = np.log(b_target)
    active = np.arange(s.size)
    done = np.zeros(s.size, dtype=bool)
    xa, lt = x, ln_target
    with np.errstate(all="ignore"):
        for _ in range(_MAX_ITER):
            sa = s[active]
            ln_b, g1 = _lnb_and_slope(xa, sa)
            g2 = g1 * (xa * xa / (sa * sa * sa) - 0.25 * sa - g1)
            newton = (ln_b - lt) / g1
            denom = 1.0 - 0.5 * newton * g2 / g1
            step = np.where(denom > 0.5, newton / denom, newton)
            new = sa - step
            # Keep the iterate positive: shrink instead of stepping through zero.
            new = np.where(new > 0, new, 0.25 * sa)
            s[active] = new
            conv = np.abs(step) <= _STEP_TOL * new
            bad = ~np.isfinite(new)
            if bad.any():
                s[active[bad]] = np.nan
            done[active[conv]] = True
            keep = ~conv & ~bad
            if not keep.any():
                break
            if not keep.all():
                active, xa, lt = active[keep], xa[keep], lt[keep]
    s[~done] = np.nan
    return s


# ---- seed-named scalar helpers ------------------------------------------------------------------
def _is_call(option_type: str) -> bool:
    kind = option_type.upper()
    if kind in ("CE", "C", "CALL"):
        return True
    if kind in ("PE", "P", "PUT"):
        return False
    raise ValueError(f"option_type must be CE or PE, not {option_type!r}")


def bs_price(
    S: float, K: float, T: float, r: float, sigma: float, option_type: str = "CE", q: float = 0.0
) -> float | None:
    """Black-Scholes price with carry; ``None`` when it cannot be computed (S<=0, K<=0, T<=0 ...)."""
    value = float(black76_price(forward(S, T, r, q), K, T, sigma, r, _is_call(option_type)))
    return value if math.isfinite(value) else None


def bs_vega(
    S: float, K: float, T: float, r: float, sigma: float, option_type: str = "CE", q: float = 0.0
) -> float | None:
    """Vega per 1.00 of volatility (seed convention); ``None`` when it cannot be computed."""
    from core.analytics.black import greeks

    value = float(greeks(S, K, T, sigma, r, q, _is_call(option_type))["vega"]) * 100.0
    return value if math.isfinite(value) else None


def implied_volatility(
    price: float, S: float, K: float, T: float, r: float, option_type: str = "CE", q: float = 0.0
) -> float | None:
    """Scalar IV; ``None`` (never 0.0) when it cannot be computed."""
    res = implied_volatilities(price, S, K, T, r, q, _is_call(option_type))
    return float(res.iv[0]) if res.status[0] == IVStatus.OK else None


def compute_iv_for_chain(frame: pd.DataFrame, spot: float, t: float, r: float, q: float) -> pd.DataFrame:
    """Add ``iv`` and ``iv_status`` to a chain frame, taking each strike's IV from its OTM option.

    The price used is ``mid`` when valid, else ``ltp``. Both options of a strike get the OTM option's
    IV (on the forward), because tick-rounded deep ITM quotes often sit below intrinsic.
    """
    out = frame.copy()
    if out.empty:
        out["iv"] = pd.Series(dtype=float)
        out["iv_status"] = pd.Series(dtype=object)
        return out
    price = out["mid"].to_numpy(float) if "mid" in out else np.full(len(out), np.nan)
    ltp = out["ltp"].to_numpy(float) if "ltp" in out else np.full(len(out), np.nan)
    price = np.where(np.isfinite(price) & (price > 0), price, ltp)
    strike = out["strike"].to_numpy(float)
    is_call = (out["option_type"] == "CE").to_numpy()
    res = implied_volatilities(price, spot, strike, t, r, q, is_call)
    f = float(forward(spot, t, r, q)) if t > 0 else spot
    otm = np.where(is_call, strike >= f, strike < f)
    iv_by_strike: dict[float, tuple[float, str]] = {}
    labels = res.labels()
    for k, is_otm, vol, lab in zip(strike, otm, res.iv, labels, strict=True):
        if is_otm:
            iv_by_strike[float(k)] = (float(vol), str(lab))
    ivs = np.empty(len(out))
    stats = np.empty(len(out), dtype=object)
    for i, (k, vol, lab) in enumerate(zip(strike, res.iv, labels, strict=True)):
        chosen = iv_by_strike.get(float(k))
        if chosen is None:  # no OTM quote at this strike: fall back to this row's own answer
            chosen = (float(vol), str(lab))
        ivs[i], stats[i] = chosen
    out["iv"] = ivs
    out["iv_status"] = stats
    return out
