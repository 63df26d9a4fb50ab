"""Kite payloads checked at the edge (pydantic) and turned into domain rows and frames.

The shapes are those of Kite Connect v3 as parsed by ``kiteconnect`` 5.x: ``quote()`` entries with
``timestamp`` already a naive IST datetime, ``historical_data()`` records with aware ``date`` values,
``instruments()`` rows with numbers already converted. Prices are rupees; quantities, volume and OI
are units of the underlying (Kite's convention: a lot of 65 shows as 65). A price of 0 on a depth
level means "no order there" and becomes NaN; a ``last_price`` of 0 means "never traded" (NaN).
NaN and infinity are refused before any arithmetic.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from core.clock import IST, ensure_aware
from core.domain.market import CHAIN_INPUT_COLUMNS, IndexQuote, OptionContract
from core.marketdata.kite_errors import malformed
from core.marketdata.ports import INDIA_VIX, NIFTY

NIFTY_NAME = "NIFTY"
OPTION_SEGMENT = "NFO-OPT"
CANDLE_COLUMNS = ("open", "high", "low", "close", "volume")
INDEX_KEYS = {NIFTY: "NSE:NIFTY 50", INDIA_VIX: "NSE:INDIA VIX"}  # port symbol -> Kite instrument


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, frozen=True)


class InstrumentRow(_Payload):
    """One row of the instruments dump (only the columns we use)."""

    instrument_token: int = Field(gt=0)
    tradingsymbol: str = Field(min_length=1)
    name: str
    expiry: date
    strike: float = Field(gt=0)
    tick_size: float = Field(gt=0)
    lot_size: int = Field(gt=0)
    instrument_type: Literal["CE", "PE"]
    segment: str
    exchange: str

    def contract(self) -> OptionContract:
        return OptionContract(
            tradingsymbol=self.tradingsymbol,
            instrument_token=self.instrument_token,
            expiry=self.expiry,
            strike=self.strike,
            option_type=self.instrument_type,
            lot_size=self.lot_size,
            tick_size=self.tick_size,
            exchange=self.exchange,
        )


DUMP_COLUMNS = tuple(InstrumentRow.model_fields)  # the dump's columns this adapter reads


class _Level(_Payload):
    price: float = Field(ge=0)
    quantity: int = Field(ge=0)


class _Depth(_Payload):
    buy: list[_Level]
    sell: list[_Level]


class _Ohlc(_Payload):
    open: float = Field(ge=0)
    high: float = Field(ge=0)
    low: float = Field(ge=0)
    close: float = Field(ge=0)


class OptionQuote(_Payload):
    """A ``/quote`` entry for an option: prices in rupees, ``timestamp`` naive IST."""

    instrument_token: int
    timestamp: datetime
    last_price: float = Field(ge=0)
    volume: int = Field(ge=0)
    oi: float = Field(ge=0)
    depth: _Depth


class IndexQuotePayload(_Payload):
    """A ``/quote`` entry for an index (NIFTY 50, INDIA VIX); ``ohlc.close`` is the previous close."""

    instrument_token: int
    timestamp: datetime
    last_price: float = Field(gt=0)
    ohlc: _Ohlc


_OPTION_QUOTES = TypeAdapter(dict[str, OptionQuote])
_INSTRUMENT_ROWS = TypeAdapter(list[InstrumentRow])
_LTP = TypeAdapter(dict[str, dict[str, float]])


def nifty_option_contracts(rows: Iterable[Mapping[str, Any]]) -> list[OptionContract]:
    """NIFTY options (``name == "NIFTY"``, ``segment == "NFO-OPT"``) of an instruments dump's rows."""
    picked = [r for r in rows if r.get("name") == NIFTY_NAME and r.get("segment") == OPTION_SEGMENT]
    return [row.contract() for row in _INSTRUMENT_ROWS.validate_python(picked)]


def nifty_options_from_csv(raw: bytes | str) -> list[OptionContract]:
    """NIFTY options of the raw CSV dump (``/instruments/NFO``).

    The client's own ``instruments()`` converts every one of the ~90,000 NFO rows (a date parse each,
    seconds of CPU); here rows are filtered first and only NIFTY options are converted and checked.
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in DUMP_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise malformed("NFO instruments dump", f"it lacks the column(s) {', '.join(missing)}")
    return nifty_option_contracts(reader)


def option_quotes(data: Mapping[str, Any]) -> dict[str, OptionQuote]:
    """Validated ``/quote`` entries keyed ``NFO:<tradingsymbol>``."""
    return _OPTION_QUOTES.validate_python(data)


def last_prices(data: Mapping[str, Any]) -> dict[str, float]:
    """``/quote/ltp`` answer as ``{"EXCHANGE:SYMBOL": last_price}``."""
    return {key: entry["last_price"] for key, entry in _LTP.validate_python(data).items()}


def _side(levels: list[_Level]) -> tuple[float, int]:
    """Best price (NaN when the side is empty or priced 0) and its quantity (0 then)."""
    if not levels or levels[0].price <= 0:
        return math.nan, 0
    return levels[0].price, levels[0].quantity


def chain_frame(
    contracts: list[OptionContract], quotes: Mapping[str, OptionQuote], oi_base: Mapping[int, int]
) -> pd.DataFrame:
    """One row per quoted contract with exactly CHAIN_INPUT_COLUMNS, sorted by strike then CE/PE.

    ``oi_change`` is ``oi`` minus the previous session's closing OI from ``oi_base``; a contract not in
    ``oi_base`` gets 0. Contracts Kite did not quote are left out.
    """
    rows: list[tuple[Any, ...]] = []
    for c in contracts:
        q = quotes.get(f"{c.exchange}:{c.tradingsymbol}")
        if q is None:
            continue
        bid, bid_qty = _side(q.depth.buy)
        ask, ask_qty = _side(q.depth.sell)
        oi = int(q.oi)
        base = oi_base.get(c.instrument_token)
        rows.append(
            (
                c.tradingsymbol,
                c.instrument_token,
                c.expiry,
                float(c.strike),
                c.option_type,
                c.lot_size,
                bid,
                ask,
                q.last_price if q.last_price > 0 else math.nan,
                bid_qty,
                ask_qty,
                oi,
                0 if base is None else oi - base,
                q.volume,
                ensure_aware(q.timestamp, IST),
            )
        )
    frame = pd.DataFrame.from_records(rows, columns=list(CHAIN_INPUT_COLUMNS))
    if frame.empty:
        return frame
    for col in ("instrument_token", "lot_size", "bid_qty", "ask_qty", "oi", "oi_change", "volume"):
        frame[col] = frame[col].astype(np.int64)
    for col in ("strike", "bid", "ask", "ltp"):
        frame[col] = frame[col].astype(float)
    return frame.sort_values(["strike", "option_type"], kind="stable").reset_index(drop=True)


def candles_frame(records: list[dict[str, Any]], what: str) -> pd.DataFrame:
    """``historical_data`` records as a frame indexed by aware IST times with CANDLE_COLUMNS (floats)."""
    if not records:
        return pd.DataFrame(columns=list(CANDLE_COLUMNS), index=pd.DatetimeIndex([], tz=IST), dtype=float)
    try:
        stamps = [ensure_aware(r["date"], IST) for r in records]
        values = np.array([[float(r[c]) for c in CANDLE_COLUMNS] for r in records], dtype=float)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise malformed(what, f"a candle is incomplete ({type(exc).__name__}: {exc})") from exc
    if not np.isfinite(values).all():
        raise malformed(what, "a candle holds NaN or infinity")
    if (values[:, :4] <= 0).any():
        raise malformed(what, "a candle has a price of 0 or less")
    index = pd.DatetimeIndex(pd.to_datetime(stamps, utc=True)).tz_convert(IST)
    frame = pd.DataFrame(values, columns=list(CANDLE_COLUMNS), index=index)
    return frame[~frame.index.duplicated(keep="last")].sort_index()


def index_quotes(data: Any) -> dict[str, IndexQuote]:
    """NIFTY 50 and India VIX from a /quote answer (``ohlc.close`` is the previous close)."""
    out: dict[str, IndexQuote] = {}
    for symbol, key in INDEX_KEYS.items():
        if not isinstance(data, dict) or key not in data:
            raise malformed("index quote", f"no entry for {key}")
        q = IndexQuotePayload.model_validate(data[key])
        o = q.ohlc
        out[symbol] = IndexQuote(
            symbol,
            q.last_price,
            o.close or None,
            ensure_aware(q.timestamp, IST),
            open=o.open or None,
            high=o.high or None,
            low=o.low or None,
        )
    return out


class Profile(_Payload):
    """``/user/profile``: only the user id is used."""

    user_id: str = Field(min_length=1)
