"""Market data types: contracts, quotes, chains and the snapshot the engine assembles.

Conventions: prices in rupees as ``float`` (analytics maths; money becomes ``Decimal`` at fills);
volatility as a decimal (0.14 = 14%); ``*_pct`` fields named so hold percent or percentile (0-100);
times are aware datetimes (IST for the market). ``None`` means unknown, never a neutral default.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

import pandas as pd

OptionType = Literal["CE", "PE"]

# Columns of a chain frame (one row per option). Inputs first, then what the engine computes.
CHAIN_INPUT_COLUMNS = (
    "tradingsymbol",  # str, from the instruments dump (never built by hand)
    "instrument_token",  # int
    "expiry",  # datetime.date
    "strike",  # float
    "option_type",  # "CE" | "PE"
    "lot_size",  # int, per contract
    "bid",  # float, NaN when no bid
    "ask",  # float, NaN when no offer
    "ltp",  # float, NaN when never traded
    "bid_qty",  # int
    "ask_qty",  # int
    "oi",  # int, contracts
    "oi_change",  # int, since previous close
    "volume",  # int, contracts today
    "quote_time",  # aware datetime of the quote
)
CHAIN_COMPUTED_COLUMNS = (
    "mid",  # float, (bid+ask)/2 when both sides are valid, else NaN
    "iv",  # float decimal, NaN when no IV
    "iv_status",  # str, the solver's status name ("ok", "below_intrinsic", ...)
    "delta",  # per unit underlying, call positive
    "gamma",  # per rupee of underlying
    "vega",  # rupees per 1 vol point (0.01)
    "theta",  # rupees per calendar day
)


class DataStatus(StrEnum):
    FRESH = "fresh"
    STALE = "stale"
    FAILED = "failed"
    UNKNOWN = "unknown"


class VolRegime(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    ELEVATED = "elevated"
    HIGH = "high"
    EXTREME = "extreme"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OptionContract:
    tradingsymbol: str
    instrument_token: int
    expiry: date
    strike: float
    option_type: OptionType
    lot_size: int
    tick_size: float = 0.05
    exchange: str = "NFO"


@dataclass(frozen=True)
class IndexQuote:
    """An index level (NIFTY 50, India VIX)."""

    symbol: str
    last: float
    prev_close: float | None
    timestamp: datetime
    open: float | None = None
    high: float | None = None
    low: float | None = None

    @property
    def change_pct(self) -> float | None:
        if self.prev_close in (None, 0):
            return None
        assert self.prev_close is not None
        return (self.last / self.prev_close - 1.0) * 100.0


@dataclass(frozen=True)
class GlobalCue:
    """A global market (S&P 500, crude, USD/INR ...) with its last close and change."""

    symbol: str  # yfinance ticker, e.g. "^GSPC"
    name: str  # e.g. "S&P 500"
    last: float | None
    change_pct: float | None
    as_of: date | None
    kind: Literal["index", "future", "commodity", "fx", "rate"] = "index"


@dataclass(frozen=True)
class ChainAnalytics:
    """What the analytics core derives from one expiry's chain."""

    expiry: date
    spot: float
    forward: float | None  # synthetic forward from put-call parity
    atm_strike: float
    atm_iv: float | None  # decimal
    expected_move: float | None  # rupees, from the ATM straddle
    pcr_oi: float | None
    pcr_volume: float | None
    max_pain: float | None
    supports: tuple[float, ...]  # strikes with the largest put OI below spot, strongest first
    resistances: tuple[float, ...]  # strikes with the largest call OI above spot, strongest first
    skew_25d: float | None  # 25-delta risk reversal: put IV - call IV, decimal
    days_to_expiry: float  # calendar days (fraction) to the 15:30/15:40 close


@dataclass(frozen=True)
class ChainSnapshot:
    """One expiry's chain: ``frame`` has CHAIN_INPUT_COLUMNS plus CHAIN_COMPUTED_COLUMNS."""

    underlying: str
    expiry: date
    spot: float
    taken_at: datetime
    frame: pd.DataFrame = field(repr=False, compare=False)
    analytics: ChainAnalytics | None = None

    @functools.cached_property
    def quotes(self) -> dict[str, tuple[float, float]]:
        """(bid, ask) by tradingsymbol, NaN where a side is missing; built once per snapshot (the
        monitor marks every open leg every minute)."""
        f = self.frame
        if not len(f) or "tradingsymbol" not in f:
            return {}
        return dict(
            zip(
                f["tradingsymbol"].tolist(),
                zip(f["bid"].to_numpy(float).tolist(), f["ask"].to_numpy(float).tolist(), strict=True),
                strict=True,
            )
        )

    @functools.cached_property
    def greeks(self) -> dict[str, tuple[float, float]]:
        """(delta, theta) per unit by tradingsymbol, NaN where unknown; built once per snapshot (every
        /positions reads the open legs' Greeks)."""
        f = self.frame
        if not len(f) or "tradingsymbol" not in f or "delta" not in f or "theta" not in f:
            return {}
        return dict(
            zip(
                f["tradingsymbol"].tolist(),
                zip(f["delta"].to_numpy(float).tolist(), f["theta"].to_numpy(float).tolist(), strict=True),
                strict=True,
            )
        )


@dataclass(frozen=True)
class Technicals:
    """Latest indicator values on intraday candles; ``None`` where not enough data."""

    close: float
    vwap: float | None
    ema_fast: float | None
    ema_slow: float | None
    rsi: float | None
    atr: float | None
    supertrend: float | None
    supertrend_up: bool | None
    bb_upper: float | None
    bb_lower: float | None
    as_of: datetime
    daily_atr: float | None = None  # Wilder ATR(14) on daily bars, index points (for strike buffers)


@dataclass(frozen=True)
class VolSnapshot:
    """The volatility picture; every percentile is 0-100 or ``None`` when unknown (never 50.0)."""

    as_of: date
    iv_atm: float | None  # decimal
    iv_percentile: float | None
    iv_rank: float | None
    vix: float | None  # India VIX level (percent units, as quoted)
    vix_percentile: float | None
    rv_20d: float | None  # decimal, annualised close-to-close
    rv_percentile: float | None
    regime: VolRegime = VolRegime.UNKNOWN
    warnings: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return None not in (self.iv_percentile, self.vix_percentile, self.rv_percentile)


@dataclass(frozen=True)
class PartInfo:
    """Where one part of a snapshot came from and whether it can be trusted."""

    source: str
    status: DataStatus
    as_of: datetime | None
    error: str | None = None


@dataclass(frozen=True)
class MarketSnapshot:
    """Everything the desk knows at ``taken_at``. Parts that failed are ``None`` with a PartInfo."""

    taken_at: datetime
    spot: IndexQuote | None
    vix: IndexQuote | None
    chains: tuple[ChainSnapshot, ...]
    candles: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    technicals: Technicals | None = None
    global_cues: tuple[GlobalCue, ...] = ()
    vol: VolSnapshot | None = None
    parts: dict[str, PartInfo] = field(default_factory=dict)

    def chain(self, expiry: date | None = None) -> ChainSnapshot | None:
        """The chain for ``expiry``, or the nearest one when ``expiry`` is None."""
        if not self.chains:
            return None
        if expiry is None:
            return min(self.chains, key=lambda c: c.expiry)
        return next((c for c in self.chains if c.expiry == expiry), None)

    def stale_parts(self, required: tuple[str, ...]) -> list[str]:
        """Names of required parts that are not fresh, with their status, for gate messages."""
        out = []
        for name in required:
            info = self.parts.get(name)
            if info is None:
                out.append(f"{name}: unknown")
            elif info.status is not DataStatus.FRESH:
                detail = f" ({info.error})" if info.error else ""
                out.append(f"{name}: {info.status.value}{detail}")
        return out
