"""One full snapshot build over 1,452 options (6 expiries × 121 strikes × 2), network excluded.

The source's answers are computed once and served from memory, so the timing is the engine's own work:
enriching every chain (mid, parity forward, IV, Greeks), chain analytics, technicals on the day's
one-minute candles, and the vol snapshot from a year of history. For scale, the same run times the IV
peer (py_vollib_vectorized) solving IV alone for the same 1,452 options.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import warnings
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from core.clock import IST
from core.config.schema import parse_config
from core.domain.market import GlobalCue, IndexQuote
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.simulator import SimulatedMarket

NOW = datetime(2026, 10, 14, 13, 0, tzinfo=IST)
EXPIRIES = 6
STRIKES_EACH_SIDE = 60


class Recorded:
    """The simulator's answers for one moment, computed once and served from memory."""

    name = "recorded"

    def __init__(self, market: SimulatedMarket, expiries: list[date]) -> None:
        self.market = market
        self._expiries = expiries
        self._cache: dict[Any, Any] = {}

    async def prime(self, center: float) -> None:
        m = self.market
        self._cache["spot"] = await m.index_quote("NIFTY 50", NOW)
        self._cache["vix"] = await m.index_quote("INDIA VIX", NOW)
        self._cache["candles"] = await m.candles(NOW)
        self._cache["nifty"] = await m.daily_history("NIFTY 50", NOW, 300)
        self._cache["vixd"] = await m.daily_history("INDIA VIX", NOW, 300)
        self._cache["cues"] = await m.global_cues(NOW)
        for e in self._expiries:
            self._cache[e] = await m.chain(e, center, STRIKES_EACH_SIDE, NOW)

    async def index_quote(self, symbol: str, now: datetime) -> IndexQuote:
        return self._cache["spot" if symbol == "NIFTY 50" else "vix"]  # type: ignore[no-any-return]

    async def expiries(self, now: datetime) -> list[date]:
        return list(self._expiries)

    async def chain(self, expiry: date, center: float, window: int, now: datetime) -> pd.DataFrame:
        return self._cache[expiry]  # type: ignore[no-any-return]

    async def candles(self, now: datetime) -> pd.DataFrame:
        return self._cache["candles"]  # type: ignore[no-any-return]

    async def daily_history(self, symbol: str, now: datetime, days: int) -> pd.DataFrame:
        return self._cache["nifty" if symbol == "NIFTY 50" else "vixd"]  # type: ignore[no-any-return]

    async def global_cues(self, now: datetime) -> list[GlobalCue]:
        return self._cache["cues"]  # type: ignore[no-any-return]

    def iv_history(self, now: datetime, days: int = 252) -> pd.Series:
        return self.market.iv_history(now, days)


def run(quick: bool = True) -> str:
    cal = default_calendar()
    market = SimulatedMarket(cal, seed=7)
    expiries = cal.weekly_expiries(NOW.date(), EXPIRIES)
    config = parse_config(
        {
            "options_desk": {
                "weekly_expiries": EXPIRIES,
                "monthly_expiries": 0,
                "strike_window": STRIKES_EACH_SIDE,
            }
        }
    )
    source = Recorded(market, expiries)
    spot = asyncio.run(market.index_quote("NIFTY 50", NOW)).last
    asyncio.run(source.prime(spot))
    engine = SnapshotEngine(source, cal, config, iv_history=source)  # type: ignore[arg-type]
    snap = asyncio.run(engine.build(NOW))
    options = sum(len(c.frame) for c in snap.chains)
    repeats = 10 if quick else 40
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        asyncio.run(engine.build(NOW))
        times.append(time.perf_counter() - t0)

    # The IV peer on the same options (prices at mid, the same forward carry).
    from py_vollib_vectorized import vectorized_implied_volatility as peer

    warnings.simplefilter("ignore")
    frames = [c.frame.assign(t=c.analytics.days_to_expiry / 365.0) for c in snap.chains if c.analytics]
    allf = pd.concat(frames)
    price = allf["mid"].to_numpy(float)
    strike = allf["strike"].to_numpy(float)
    t = allf["t"].to_numpy(float)
    flag = np.where(allf["option_type"].to_numpy() == "CE", "c", "p")

    def theirs() -> None:
        peer(price, spot, strike, t, 0.065, flag, q=0.012, model="black_scholes_merton", return_as="numpy")

    theirs()
    peer_times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        theirs()
        peer_times.append(time.perf_counter() - t0)
    best, median = min(times), statistics.median(times)
    peer_best = min(peer_times)
    return "\n".join(
        [
            "## Snapshot build (1,452 options)",
            "",
            "`python -m benchmarks snapshot` — `SnapshotEngine.build` with the source's answers served from memory",
            f"(network excluded): {len(snap.chains)} expiries × {2 * STRIKES_EACH_SIDE + 1} strikes × 2 = "
            f"{options:,} options; IV and Greeks for every row, chain analytics per expiry, technicals on "
            f"{len(source._cache['candles'])} one-minute candles, the vol snapshot from 300 days of history.",
            "",
            "| what | best (ms) | median (ms) |",
            "|---|---:|---:|",
            f"| full snapshot build | {best * 1e3:.1f} | {median * 1e3:.1f} |",
            f"| peer: py_vollib_vectorized IV only, same {options:,} options | {peer_best * 1e3:.2f} | "
            f"{statistics.median(peer_times) * 1e3:.2f} |",
            "",
            f"Ratio full build / peer IV-only: {best / peer_best:.0f}× (the build does far more than IV; the ratio "
            "is here to scale the number to this machine).",
        ]
    )
