"""Legs from a chain: chain rows become ``StructureLeg``s with ``Decimal`` quotes, and quotes are judged.

Chain prices are floats on the 0.05 tick (with float noise such as 100.05000000000001); they become
``Decimal`` rupees rounded to paise here, once. A missing, zero or NaN side becomes ``None``. Greeks
stay per unit as the chain carries them (see :mod:`core.analytics.black`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import numpy as np
import pandas as pd

from core.clock import ensure_aware
from core.domain.market import ChainSnapshot, OptionContract
from core.domain.money import paise, to_decimal
from core.domain.trading import Action, StructureLeg
from core.paper.fills import quote_problem


class HasContract(Protocol):
    """Anything that names a contract and the action it was opened with (structure or position legs)."""

    @property
    def contract(self) -> OptionContract: ...

    @property
    def action(self) -> Action: ...


def price_of(value: Any) -> Decimal | None:
    """A chain price as ``Decimal`` rupees (paise), or ``None`` when missing, NaN, zero or negative."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    return paise(number)


def _float_or_none(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _time_or_none(value: Any) -> datetime | None:
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    return ensure_aware(stamp.to_pydatetime())


def _day(value: Any) -> date:
    """An expiry cell as a ``date`` (frames may hold dates, datetimes or pandas Timestamps)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def contract_of(row: Mapping[str, Any]) -> OptionContract:
    """The contract a chain row quotes (tradingsymbol from the instruments dump, never built here)."""
    return OptionContract(
        tradingsymbol=str(row["tradingsymbol"]),
        instrument_token=int(row["instrument_token"]),
        expiry=_day(row["expiry"]),
        strike=float(row["strike"]),
        option_type=row["option_type"],
        lot_size=int(row["lot_size"]),
        tick_size=float(row.get("tick_size", 0.05)),
    )


def leg_of(row: Mapping[str, Any], action: Action) -> StructureLeg:
    """A leg as quoted by a chain row; ``mid`` is (bid + ask) / 2 in ``Decimal`` when both sides exist."""
    bid, ask = price_of(row.get("bid")), price_of(row.get("ask"))
    mid = (bid + ask) / 2 if bid is not None and ask is not None and bid <= ask else None
    return StructureLeg(
        contract=contract_of(row),
        action=action,
        bid=bid,
        ask=ask,
        mid=mid,
        iv=_float_or_none(row.get("iv")),
        delta=_float_or_none(row.get("delta")),
        gamma=_float_or_none(row.get("gamma")),
        vega=_float_or_none(row.get("vega")),
        theta=_float_or_none(row.get("theta")),
        quote_time=_time_or_none(row.get("quote_time")),
    )


def describe(leg: StructureLeg) -> str:
    """'24,700 PE' for messages."""
    return f"{leg.contract.strike:,.0f} {leg.contract.option_type}"


def leg_problem(leg: StructureLeg, now: datetime, max_age: timedelta | None) -> str | None:
    """Why ``leg`` cannot be priced now (missing or crossed quote, stale quote), or ``None``."""
    problem = quote_problem(leg.bid, leg.ask, to_decimal(leg.contract.tick_size))
    if problem is not None:
        return f"the {describe(leg)} has {problem}"
    if max_age is not None:
        if leg.quote_time is None:
            return f"the {describe(leg)} has no quote time, so its freshness is unknown"
        age = now - leg.quote_time
        if age > max_age:
            return (
                f"the quote for the {describe(leg)} is stale: {_minutes(age)} old (limit {_minutes(max_age)})"
            )
    return None


def _minutes(age: timedelta) -> str:
    """'45 s', '3 min', '3 min 20 s'."""
    seconds = round(age.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _rows_of(frame: pd.DataFrame, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """The chain rows of the ``wanted`` symbols as dicts (the last row wins for a repeated symbol).

    Only those rows are read, column by column (``Series.array`` keeps Timestamps tz-aware): a whole
    chain is 120-1,500 rows and the monitor requotes every open position every minute.
    """
    if not len(frame) or "tradingsymbol" not in frame:
        return {}
    hits = np.flatnonzero(frame["tradingsymbol"].isin(wanted).to_numpy())
    if hits.size == 0:
        return {}
    columns = [(str(c), frame[c].array) for c in frame.columns]
    out: dict[str, dict[str, Any]] = {}
    for i in hits:
        row = {name: values[i] for name, values in columns}
        out[str(row["tradingsymbol"])] = row
    return out


def quote_legs(legs: Sequence[HasContract], chain: ChainSnapshot) -> tuple[StructureLeg, ...]:
    """The legs with ``chain``'s bid, ask and mid only (no IV, no Greeks): what marking a position and
    filling its exit need, read from the chain's cached quote index rather than its rows."""
    quotes = chain.quotes
    out: list[StructureLeg] = []
    for leg in legs:
        got = quotes.get(leg.contract.tradingsymbol)
        ratio = int(getattr(leg, "ratio", 1))
        bid, ask = (price_of(got[0]), price_of(got[1])) if got is not None else (None, None)
        mid = (bid + ask) / 2 if bid is not None and ask is not None and bid <= ask else None
        out.append(StructureLeg(leg.contract, leg.action, bid, ask, mid, None, None, ratio=ratio))
    return tuple(out)


def requote_legs(legs: Sequence[HasContract], chain: ChainSnapshot) -> tuple[StructureLeg, ...]:
    """The same legs (same actions) with the quotes of ``chain``; a contract missing from the chain
    comes back without quotes, so filling it fails with the reason."""
    by_symbol = _rows_of(chain.frame, {leg.contract.tradingsymbol for leg in legs})
    out: list[StructureLeg] = []
    for leg in legs:
        row = by_symbol.get(leg.contract.tradingsymbol)
        ratio = int(getattr(leg, "ratio", 1))
        if row is None:
            out.append(StructureLeg(leg.contract, leg.action, None, None, None, None, None, ratio=ratio))
            continue
        fresh = leg_of(row, leg.action)
        out.append(
            StructureLeg(
                leg.contract,
                leg.action,
                fresh.bid,
                fresh.ask,
                fresh.mid,
                fresh.iv,
                fresh.delta,
                fresh.gamma,
                fresh.vega,
                fresh.theta,
                fresh.quote_time,
                ratio,
            )
        )
    return tuple(out)
