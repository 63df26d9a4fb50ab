"""A deterministic NIFTY market for the demo and the tests (``MARKET_DATA=simulated``).

Everything is a pure function of ``(seed, moment)``: a daily random walk for NIFTY over the calendar's
trading days, an India VIX that rises when NIFTY falls, a Brownian bridge for each day's one-minute
path, and option chains priced with Black-76 from a smile with skew and a term structure. Spreads widen
away from the money and near expiry, prices round to the 0.05 tick, OI and volume gather at round
strikes. Expiries follow the NSE calendar. Clocks are the caller's (pin or speed them up freely).
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from core.analytics.black import bs_price_vec
from core.analytics.chain import time_to_expiry
from core.clock import IST
from core.domain.market import CHAIN_INPUT_COLUMNS, GlobalCue, IndexQuote
from core.errors import CalendarCoverageError
from core.market_hours import NSECalendar
from core.marketdata.ports import INDIA_VIX, NIFTY

LOT_SIZE = 65
TICK = 0.05
START = date(2025, 1, 1)
_MONTH_CODE = "123456789OND"
_GLOBALS = [
    ("^GSPC", "S&P 500", 6800.0, "index"),
    ("^IXIC", "Nasdaq", 23000.0, "index"),
    ("^DJI", "Dow Jones", 47000.0, "index"),
    ("^N225", "Nikkei 225", 49000.0, "index"),
    ("^HSI", "Hang Seng", 26000.0, "index"),
    ("ES=F", "S&P 500 futures", 6820.0, "future"),
    ("NQ=F", "Nasdaq futures", 25200.0, "future"),
    ("CL=F", "WTI crude", 62.0, "commodity"),
    ("BZ=F", "Brent crude", 66.0, "commodity"),
    ("INR=X", "USD/INR", 88.5, "fx"),
    ("^TNX", "US 10Y yield", 4.1, "rate"),
]


def _seed(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def round_tick(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float) / TICK) * TICK


def tradingsymbol(expiry: date, strike: float, kind: str, monthly: bool) -> str:
    """Kite's NFO naming: NIFTY25D0925000CE (weekly) or NIFTY25DEC25000CE (monthly)."""
    yy = expiry.strftime("%y")
    if monthly:
        return f"NIFTY{yy}{expiry.strftime('%b').upper()}{int(strike)}{kind}"
    return f"NIFTY{yy}{_MONTH_CODE[expiry.month - 1]}{expiry.day:02d}{int(strike)}{kind}"


class SimulatedMarket:
    """The built-in market. Deterministic for a given ``seed``."""

    name = "simulator"

    def __init__(self, calendar: NSECalendar, seed: int = 7, start_level: float = 23500.0) -> None:
        self.calendar = calendar
        self.seed = seed
        self.start_level = start_level

    # ---- daily paths --------------------------------------------------------------------------
    @functools.cached_property
    def _days(self) -> list[date]:
        end = date(max(self.calendar.years), 12, 31)
        return self.calendar.trading_days_between(START, end)

    @functools.cached_property
    def _daily(self) -> pd.DataFrame:
        rng = np.random.default_rng(_seed(self.seed, "daily"))
        n = len(self._days)
        shocks = rng.standard_normal(n)
        vix = np.empty(n)
        close = np.empty(n)
        level, v = self.start_level, 14.0
        for i in range(n):
            daily_vol = v / 100.0 / math.sqrt(252)
            ret = 0.0003 + daily_vol * shocks[i]
            level *= math.exp(ret)
            # VIX mean-reverts to 14 and jumps up on down days.
            v = max(9.0, v + 0.08 * (14.0 - v) - 40.0 * ret + 0.25 * rng.standard_normal())
            close[i], vix[i] = level, v
        rng_hl = np.random.default_rng(_seed(self.seed, "hl"))
        spread = np.abs(rng_hl.normal(0.006, 0.002, n))
        idx = pd.DatetimeIndex(self._days)
        return pd.DataFrame(
            {
                "close": close,
                "high": close * (1 + spread / 2),
                "low": close * (1 - spread / 2),
                "vix": vix,
            },
            index=idx,
        )

    @functools.cached_property
    def _day_keys(self) -> np.ndarray:
        return np.array(self._days, dtype="datetime64[D]")

    def _day_row(self, d: date) -> int:
        i = int(np.searchsorted(self._day_keys, np.datetime64(d)))
        return min(i, len(self._days) - 1)

    def _prev_close(self, d: date) -> tuple[float, float]:
        i = self._day_row(d)
        j = i - 1 if self._days[i] >= d and i > 0 else i
        row = self._daily.iloc[j]
        return float(row["close"]), float(row["vix"])

    # ---- intraday ---------------------------------------------------------------------------
    @functools.lru_cache(maxsize=8)  # noqa: B019 - the market object lives as long as the app
    def _minute_path(self, d: date) -> pd.DataFrame:
        """One-minute bars for the session of ``d``: a Brownian bridge from the previous close."""
        session = self.calendar.session(d)
        if session is None:
            return pd.DataFrame(columns=["open", "high", "low", "close", "volume", "vix"])
        minutes = int((session.close - session.open).total_seconds() // 60)
        prev, prev_vix = self._prev_close(d)
        i = self._day_row(d)
        target = float(self._daily.iloc[i]["close"]) if self._days[i] == d else prev
        target_vix = float(self._daily.iloc[i]["vix"]) if self._days[i] == d else prev_vix
        rng = np.random.default_rng(_seed(self.seed, "minutes", d.isoformat()))
        vol = prev_vix / 100.0 / math.sqrt(252 * minutes)
        steps = rng.standard_normal(minutes) * vol
        walk = np.concatenate([[0.0], np.cumsum(steps)])
        frac = np.linspace(0.0, 1.0, minutes + 1)
        gap = rng.normal(0, 0.002)
        log_path = math.log(prev) + gap + walk - frac * (walk[-1] - (math.log(target) - math.log(prev) - gap))
        path = np.exp(log_path)
        opens, closes = path[:-1], path[1:]
        wiggle = np.abs(rng.normal(0, vol * 0.6, minutes)) * opens
        idx = pd.date_range(session.open, periods=minutes, freq="1min")
        return pd.DataFrame(
            {
                "open": opens,
                "high": np.maximum(opens, closes) + wiggle,
                "low": np.minimum(opens, closes) - wiggle,
                "close": closes,
                "volume": rng.integers(20_000, 120_000, minutes).astype(float),
                "vix": np.linspace(prev_vix, target_vix, minutes),
            },
            index=idx,
        )

    @functools.lru_cache(maxsize=8)  # noqa: B019 - the market object lives as long as the app
    def _minute_arrays(self, d: date) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(bar start as int64 ns, open, close, vix) of ``_minute_path(d)`` for fast look-ups."""
        bars = self._minute_path(d)
        starts = pd.DatetimeIndex(bars.index).to_numpy("datetime64[ns]").astype(np.int64)
        return (
            starts,
            bars["open"].to_numpy(float),
            bars["close"].to_numpy(float),
            bars["vix"].to_numpy(float),
        )

    def _done(self, local: datetime) -> int:
        """How many of the day's one-minute bars have completed at ``local`` (bar start + 1 min ≤ it)."""
        starts = self._minute_arrays(local.date())[0]
        cutoff = pd.Timestamp(local) - pd.Timedelta(minutes=1)
        return int(np.searchsorted(starts, cutoff.value, side="right"))

    def _level(self, now: datetime) -> tuple[float, float, datetime]:
        """(NIFTY, VIX, as-of) at ``now``: the last completed minute, or the last close when shut."""
        local = now.astimezone(IST)
        d = local.date()
        bars = self._minute_path(d)
        if not bars.empty and local >= bars.index[0]:
            _, opens, closes, vixes = self._minute_arrays(d)
            n = self._done(local)
            if n == 0:
                return float(opens[0]), float(vixes[0]), bars.index[0].to_pydatetime()
            as_of = min(local, (bars.index[n - 1] + timedelta(minutes=1)).to_pydatetime())
            return float(closes[n - 1]), float(vixes[n - 1]), as_of
        close, vix = self._prev_close(d)
        prev_day = self.calendar.previous_trading_day(d)
        s = self.calendar.session(prev_day)
        as_of = s.close if s is not None else local
        return close, vix, as_of

    # ---- port -------------------------------------------------------------------------------
    async def index_quote(self, symbol: str, now: datetime) -> IndexQuote:
        level, vix, as_of = self._level(now)
        d = now.astimezone(IST).date()
        prev_close, prev_vix = self._prev_close(d)
        if symbol == NIFTY:
            return IndexQuote(NIFTY, round(level, 2), round(prev_close, 2), as_of)
        if symbol == INDIA_VIX:
            return IndexQuote(INDIA_VIX, round(vix, 4), round(prev_vix, 4), as_of)
        raise KeyError(f"unknown index {symbol!r}")

    async def expiries(self, now: datetime) -> list[date]:
        """The next four weeklies and the next monthly, as far as the calendar has holiday lists.

        Expiries in a year without a holiday list are not listed (the calendar fails closed there).
        """
        local = now.astimezone(IST)
        out: list[date] = []
        cursor = local.date()
        try:
            while len(out) < 4:
                e = self.calendar.next_weekly_expiry(cursor)
                if local < datetime.combine(e, self.calendar.fo_close_time(e), IST):
                    out.append(e)
                cursor = e + timedelta(days=1)
            out.append(self.calendar.next_monthly_expiry(out[0]))
        except CalendarCoverageError:
            if not out:
                raise
        return sorted(set(out))

    def _is_monthly(self, expiry: date) -> bool:
        return self.calendar.monthly_expiry(expiry.year, expiry.month) == expiry

    @functools.lru_cache(maxsize=256)  # noqa: B019 - the market object lives as long as the app
    def _symbols(self, expiry: date, atm: float, window: int) -> tuple[np.ndarray, np.ndarray]:
        """Tradingsymbols (object array) and tokens (int64) of the CE/PE rows around ``atm``, in the
        chain's row order. Read-only: the frame built from them copies them."""
        strikes = atm + 50.0 * np.arange(-window, window + 1)
        monthly = self._is_monthly(expiry)
        symbols = [tradingsymbol(expiry, s, c, monthly) for s in strikes for c in ("CE", "PE")]
        tokens = np.array([_seed(sym) % 10_000_000 for sym in symbols], dtype=np.int64)
        return np.array(symbols, dtype=object), tokens

    async def chain(self, expiry: date, center: float, window: int, now: datetime) -> pd.DataFrame:
        step = 50.0
        atm = round(center / step) * step
        strikes = atm + step * np.arange(-window, window + 1)
        symbols, tokens = self._symbols(expiry, float(atm), window)
        return self._rows(expiry, strikes, symbols, tokens, now, with_activity=True)

    async def chain_at(self, expiry: date, strikes: Sequence[float], now: datetime) -> pd.DataFrame:
        """Quotes of just these strikes (both types): the same bid/ask/mid as :meth:`chain` gives them,
        for marking positions without pricing the whole chain. LTP, OI and volume are not simulated
        here (NaN / 0): the monitor marks at mid."""
        ks = np.array(sorted({float(k) for k in strikes}), dtype=float)
        monthly = self._is_monthly(expiry)
        names = [tradingsymbol(expiry, k, c, monthly) for k in ks for c in ("CE", "PE")]
        symbols = np.array(names, dtype=object)
        tokens = np.array([_seed(sym) % 10_000_000 for sym in names], dtype=np.int64)
        return self._rows(expiry, ks, symbols, tokens, now, with_activity=False)

    def _rows(
        self,
        expiry: date,
        strikes: np.ndarray,
        symbols: np.ndarray,
        tokens: np.ndarray,
        now: datetime,
        *,
        with_activity: bool,
    ) -> pd.DataFrame:
        """Chain rows (CE then PE per strike) priced from the smile at ``now``. Bid and ask depend only on
        the strike and the moment, never on which other strikes are asked for."""
        spot, vix, as_of = self._level(now)
        t = max(time_to_expiry(now, expiry, self.calendar.fo_close_time(expiry)), 1e-6)
        k = np.repeat(strikes, 2)
        kind = np.tile(np.array(["CE", "PE"]), strikes.size)
        is_call = kind == "CE"
        r, q = 0.065, 0.012
        fwd = spot * math.exp((r - q) * t)
        m = np.log(k / fwd) / max(math.sqrt(t), 0.02)
        days = t * 365.0
        atm_vol = vix / 100.0 * (0.92 + 0.06 * math.log1p(days / 30.0))
        vol = atm_vol * (1.0 - 0.9 * m + 1.6 * m * m).clip(0.6, 3.0)
        theo = bs_price_vec(spot, k, t, vol, r, q, is_call)
        moneyness = np.abs(k / spot - 1.0)
        half = TICK + 0.004 * theo + 2.0 * moneyness * np.sqrt(theo) + (0.4 if days < 1 else 0.0)
        bid = round_tick(np.maximum(theo - half, 0.0))
        ask = round_tick(np.maximum(theo + half, TICK))
        ask = np.maximum(ask, bid + TICK)
        if with_activity:
            rng = np.random.default_rng(_seed(self.seed, "chain", expiry.isoformat(), as_of.isoformat()))
            ltp = round_tick(np.clip(theo + rng.normal(0, 0.3, k.size) * half, bid, ask))
            ltp = np.maximum(ltp, TICK)
            roundness = 1.0 + 2.0 * (k % 500 == 0) + 1.0 * (k % 100 == 0)
            base = 4_000_000 / (1.0 + (moneyness * 40.0) ** 2) * roundness
            skew_oi = np.where(is_call == (k >= spot), 1.3, 0.6)  # OTM side carries more OI
            oi = (base * skew_oi * rng.uniform(0.8, 1.2, k.size) / LOT_SIZE).astype(np.int64) * LOT_SIZE
            oi_change = (oi * rng.normal(0.02, 0.08, k.size)).astype(np.int64)
            volume = (oi * rng.uniform(0.5, 3.0, k.size) * (1.0 + 2.0 / (1.0 + days))).astype(np.int64)
            bid_qty = rng.integers(1, 40, k.size) * LOT_SIZE
            ask_qty = rng.integers(1, 40, k.size) * LOT_SIZE
        else:
            ltp = np.full(k.size, np.nan)
            zeros = np.zeros(k.size, dtype=np.int64)
            oi = oi_change = volume = bid_qty = ask_qty = zeros
        bid = np.where(bid <= 0, np.nan, bid)
        frame = pd.DataFrame(
            {
                "tradingsymbol": symbols,
                "instrument_token": tokens,
                "expiry": expiry,
                "strike": k,
                "option_type": kind,
                "lot_size": LOT_SIZE,
                "bid": bid,
                "ask": ask,
                "ltp": ltp,
                "bid_qty": bid_qty,
                "ask_qty": ask_qty,
                "oi": oi,
                "oi_change": oi_change,
                "volume": volume,
                "quote_time": as_of,
            }
        )
        if tuple(frame.columns) == CHAIN_INPUT_COLUMNS:  # built in that order: no reordering copy
            return frame
        return frame[list(CHAIN_INPUT_COLUMNS)]

    async def candles(self, now: datetime) -> pd.DataFrame:
        local = now.astimezone(IST)
        bars = self._minute_path(local.date())
        if bars.empty:
            return bars.loc[:, ["open", "high", "low", "close", "volume"]]
        done = bars.iloc[np.arange(self._done(local))]
        return done.loc[:, ["open", "high", "low", "close", "volume"]]

    async def daily_history(self, symbol: str, now: datetime, days: int) -> pd.DataFrame:
        d = now.astimezone(IST).date()
        hist = self._daily[self._daily.index < pd.Timestamp(d)].tail(days)
        if symbol == NIFTY:
            return hist[["close", "high", "low"]].copy()
        if symbol == INDIA_VIX:
            return hist[["vix"]].rename(columns={"vix": "close"})
        raise KeyError(f"unknown index {symbol!r}")

    def iv_history(self, now: datetime, days: int = 252) -> pd.Series:
        """Daily ATM IV closes (decimal) the simulator would have recorded: tied to VIX."""
        d = now.astimezone(IST).date()
        hist = self._daily[self._daily.index < pd.Timestamp(d)].tail(days)
        rng = np.random.default_rng(_seed(self.seed, "ivh"))
        noise = rng.normal(0, 0.004, len(self._daily))[: len(hist)]
        return pd.Series(hist["vix"].to_numpy() / 100.0 * 0.95 + noise, index=hist.index)

    async def global_cues(self, now: datetime) -> list[GlobalCue]:
        d = now.astimezone(IST).date()
        prev = d - timedelta(days=1)
        while prev.weekday() >= 5:
            prev -= timedelta(days=1)
        rng = np.random.default_rng(_seed(self.seed, "globals", prev.isoformat()))
        cues = []
        for symbol, name, base, kind in _GLOBALS:
            change = float(rng.normal(0.1, 0.9)) if kind != "rate" else float(rng.normal(0, 1.5))
            level = base * (1 + float(rng.normal(0, 0.03)))
            cues.append(GlobalCue(symbol, name, round(level, 2), round(change, 2), prev, kind))  # type: ignore[arg-type]
        return cues
