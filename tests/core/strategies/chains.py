"""Chain factories for structure tests: a small hand-made chain and a Black-76 chain for properties.

The hand-made chain: spot 25,000, expiry Tue 1 Dec 2026, quoted at 11:00 IST on Wed 25 Nov 2026,
lot size 65, ATM IV 12%, 6 days to the close, no parity forward (so POP has no drift). Strikes are
50 apart from 24,500 to 25,500 and 100 apart beyond (24,300 ... 25,700), as NSE lists them. Deltas
are round numbers so strike choices can be read off the table; the other Greeks are set from delta
(gamma = |delta|/1000, vega = 10·|delta|, theta = -20·|delta|) so net Greeks are easy sums.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from core.analytics.black import bs_price_vec
from core.analytics.chain import analyse_chain, enrich_chain
from core.clock import IST
from core.domain.market import ChainAnalytics, ChainSnapshot
from core.marketdata.simulator import tradingsymbol

SPOT = 25_000.0
EXPIRY = date(2026, 12, 1)
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=IST)
LOT = 65
ATM_IV = 0.12
DAYS = 6.0

# strike: (put bid, put ask, put delta, call bid, call ask, call delta)
HAND_TABLE: dict[float, tuple[float, float, float, float, float, float]] = {
    24300: (3.00, 3.50, -0.03, 705.00, 712.00, 0.97),
    24400: (6.00, 6.50, -0.05, 608.00, 614.00, 0.95),
    24500: (11.00, 11.50, -0.08, 513.00, 518.00, 0.92),
    24550: (14.00, 14.60, -0.10, 466.00, 470.00, 0.90),
    24600: (18.00, 18.60, -0.13, 420.00, 424.00, 0.87),
    24650: (23.00, 23.60, -0.16, 375.00, 379.00, 0.84),
    24700: (30.00, 30.80, -0.20, 331.00, 334.50, 0.80),
    24750: (37.00, 37.80, -0.24, 288.00, 291.00, 0.76),
    24800: (46.00, 46.80, -0.29, 247.00, 250.00, 0.71),
    24850: (56.00, 57.00, -0.34, 207.00, 209.50, 0.66),
    24900: (68.00, 69.00, -0.39, 169.00, 171.00, 0.61),
    24950: (82.00, 83.00, -0.45, 133.00, 135.00, 0.55),
    25000: (98.00, 99.00, -0.50, 100.00, 101.00, 0.50),
    25050: (120.00, 121.50, -0.55, 84.00, 85.00, 0.45),
    25100: (145.00, 146.50, -0.61, 70.00, 71.00, 0.39),
    25150: (172.00, 174.00, -0.66, 58.00, 59.00, 0.34),
    25200: (201.00, 203.00, -0.71, 47.00, 47.80, 0.29),
    25250: (233.00, 235.00, -0.76, 38.00, 38.80, 0.24),
    25300: (268.00, 270.00, -0.80, 30.50, 31.30, 0.20),
    25350: (305.00, 308.00, -0.84, 24.00, 24.60, 0.16),
    25400: (345.00, 348.00, -0.87, 19.00, 19.60, 0.13),
    25450: (388.00, 391.00, -0.90, 15.00, 15.60, 0.10),
    25500: (432.00, 436.00, -0.92, 11.50, 12.00, 0.08),
    25600: (525.00, 530.00, -0.95, 6.50, 7.00, 0.05),
    25700: (620.00, 626.00, -0.97, 3.50, 4.00, 0.03),
}


def hand_frame(quote_time: datetime = NOW, expiry: date = EXPIRY) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for strike, (pb, pa, pd_, cb, ca, cd) in HAND_TABLE.items():
        for kind, bid, ask, delta in (("PE", pb, pa, pd_), ("CE", cb, ca, cd)):
            symbol = tradingsymbol(expiry, strike, kind, monthly=False)
            rows.append(
                {
                    "tradingsymbol": symbol,
                    "instrument_token": 1000 + len(rows),
                    "expiry": expiry,
                    "strike": float(strike),
                    "option_type": kind,
                    "lot_size": LOT,
                    "bid": bid,
                    "ask": ask,
                    "ltp": (bid + ask) / 2,
                    "bid_qty": 650,
                    "ask_qty": 650,
                    "oi": 100_000,
                    "oi_change": 0,
                    "volume": 10_000,
                    "quote_time": quote_time,
                    "mid": (bid + ask) / 2,
                    "iv": ATM_IV,
                    "iv_status": "ok",
                    "delta": delta,
                    "gamma": abs(delta) / 1000,
                    "vega": 10 * abs(delta),
                    "theta": -20 * abs(delta),
                }
            )
    return pd.DataFrame(rows)


def hand_analytics(
    expiry: date = EXPIRY, days: float = DAYS, atm_iv: float | None = ATM_IV
) -> ChainAnalytics:
    return ChainAnalytics(
        expiry=expiry,
        spot=SPOT,
        forward=None,
        atm_strike=25000.0,
        atm_iv=atm_iv,
        expected_move=199.5,
        pcr_oi=1.0,
        pcr_volume=1.0,
        max_pain=25000.0,
        supports=(),
        resistances=(),
        skew_25d=None,
        days_to_expiry=days,
    )


def hand_chain(frame: pd.DataFrame | None = None, **analytics: object) -> ChainSnapshot:
    """The hand-made chain; pass a modified ``frame`` (see :func:`edit`) or analytics overrides."""
    frame = hand_frame() if frame is None else frame
    expiry = frame["expiry"].iloc[0] if len(frame) else EXPIRY
    a = None if analytics.pop("no_analytics", False) else hand_analytics(expiry=expiry, **analytics)  # type: ignore[arg-type]
    return ChainSnapshot("NIFTY", expiry, SPOT, NOW, frame, a)


def edit(frame: pd.DataFrame, strike: float, kind: str, **values: object) -> pd.DataFrame:
    """A copy of ``frame`` with ``values`` set on the row of (strike, kind)."""
    out = frame.copy()
    mask = (out["strike"] == strike) & (out["option_type"] == kind)
    assert mask.sum() == 1, f"no row {strike} {kind}"
    for column, value in values.items():
        out.loc[mask, column] = value
    return out


# ---- Black-76 chains for property tests ---------------------------------------------------------
def _tick(x: np.ndarray, how: str) -> np.ndarray:
    scaled = x / 0.05
    return (np.floor(scaled + 1e-9) if how == "down" else np.ceil(scaled - 1e-9)) * 0.05


def model_chain(spot: float, sigma: float, days: float, spread: float, now: datetime = NOW) -> ChainSnapshot:
    """A chain priced with Black-76 (r = 6.5%, q = 1.2%) at one vol, quotes ``spread``·price + 1 tick
    wide on the tick, enriched and analysed by the real analytics core. Strikes every 50 points, far
    enough each side (2.5 standard deviations + 500 points) for any delta and wing the tests ask for."""
    expiry = (now + timedelta(days=math.ceil(days))).date()
    t = days / 365.0
    window = math.ceil((2.5 * spot * sigma * math.sqrt(t) + 500) / 50)
    atm = round(spot / 50) * 50
    strikes = atm + 50.0 * np.arange(-window, window + 1)
    k = np.repeat(strikes, 2)
    kind = np.tile(np.array(["CE", "PE"]), strikes.size)
    theo = bs_price_vec(spot, k, t, sigma, 0.065, 0.012, kind == "CE")
    half = 0.05 + spread * theo
    bid = _tick(np.round(theo - half, 6), "down")
    ask = np.maximum(_tick(np.round(theo + half, 6), "up"), bid + 0.05)
    bid = np.where(bid <= 0, np.nan, bid)
    symbols = [tradingsymbol(expiry, s, c, monthly=False) for s, c in zip(k, kind, strict=True)]
    frame = pd.DataFrame(
        {
            "tradingsymbol": symbols,
            "instrument_token": np.arange(k.size) + 1000,
            "expiry": expiry,
            "strike": k,
            "option_type": kind,
            "lot_size": LOT,
            "bid": bid,
            "ask": ask,
            "ltp": np.round(theo, 2),
            "bid_qty": 650,
            "ask_qty": 650,
            "oi": 1000,
            "oi_change": 0,
            "volume": 100,
            "quote_time": now,
        }
    )
    enriched = enrich_chain(frame, spot, t, 0.065, 0.012)
    analytics = analyse_chain(enriched, spot, expiry, t, 0.065, 0.012)
    return ChainSnapshot("NIFTY", expiry, spot, now, enriched, analytics)
