"""Charges on NIFTY option orders from DATED rates (``core/data/charges.yaml``).

Components (Zerodha-style): brokerage per executed order; STT on sell-side premium; the exchange
transaction charge on premium turnover; the SEBI fee per crore of turnover; GST on brokerage +
transaction charge + SEBI fee; stamp duty on buy-side premium. Each component takes the rate in force
on the trade date (IST), so a change such as STT 0.1% -> 0.15% on 1 Apr 2026 applies by date.

Rounding: one call of :func:`compute_charges` is one contract note (the orders executed together,
e.g. all legs of an entry). Every component is computed exactly in ``Decimal`` over all the orders,
GST on the UNROUNDED brokerage + transaction charge + SEBI fee, and only then is each component rounded
to paise (half up, :func:`core.domain.money.paise`). ``Charges.total`` is the sum of rounded components.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import yaml

from core.clock import IST
from core.domain.money import ZERO, paise, to_decimal
from core.domain.trading import Action, Charges
from core.errors import ConfigError, DataValidationError

CRORE = Decimal(10_000_000)
COMPONENTS = (
    "brokerage_per_order",
    "stt_sell_rate",
    "exchange_rate",
    "sebi_per_crore",
    "gst_rate",
    "stamp_buy_rate",
)


@dataclass(frozen=True)
class ChargeRates:
    """The rates in force on one trade date. Rates are fractions (0.001 = 0.1%); amounts are rupees."""

    effective_from: date  # the latest change among the components
    brokerage_per_order: Decimal
    stt_sell_rate: Decimal
    exchange_rate: Decimal
    sebi_per_crore: Decimal
    gst_rate: Decimal
    stamp_buy_rate: Decimal


class ChargeableOrder(Protocol):
    """One executed order: ``price`` per unit in rupees, ``quantity`` in units (lots × lot size)."""

    @property
    def action(self) -> Action: ...

    @property
    def price(self) -> Decimal: ...

    @property
    def quantity(self) -> int: ...


@dataclass(frozen=True)
class Order:
    """A plain executed order (fills from :mod:`core.paper.fills` satisfy the same protocol)."""

    action: Action
    price: Decimal
    quantity: int


class ChargeSchedule:
    """Dated charge rates; :meth:`rates_on` picks the ones in force on a trade date."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        try:
            self.version = str(data["version"])
            components = data["components"]
            self._from: dict[str, list[date]] = {}
            self._values: dict[str, list[Decimal]] = {}
            for name in COMPONENTS:
                entries = sorted(components[name], key=lambda e: e["from"])
                if not entries:
                    raise ValueError(f"{name} has no entries")
                starts = [e["from"] for e in entries]
                if not all(isinstance(d, date) for d in starts) or len(set(starts)) != len(starts):
                    raise ValueError(f"{name}: 'from' must be distinct dates")
                values = [to_decimal(str(e["value"])) for e in entries]
                if any(v < 0 for v in values):
                    raise ValueError(f"{name}: values must not be negative")
                self._from[name], self._values[name] = starts, values
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"The charges data (core/data/charges.yaml) is malformed: {exc}") from exc

    @property
    def first_date(self) -> date:
        """The first trade date every component covers."""
        return max(starts[0] for starts in self._from.values())

    def rates_on(self, trade_date: date) -> ChargeRates:
        """The rates in force on ``trade_date``; ConfigError before the data's first date."""
        day = _trade_day(trade_date)
        if day < self.first_date:
            raise ConfigError(
                f"No charge rates for trades on {day:%d %b %Y}: core/data/charges.yaml starts on "
                f"{self.first_date:%d %b %Y}. Add the older rates to the file."
            )
        picked: dict[str, Decimal] = {}
        since = self.first_date
        for name in COMPONENTS:
            i = bisect.bisect_right(self._from[name], day) - 1
            picked[name] = self._values[name][i]
            since = max(since, self._from[name][i])
        return ChargeRates(
            effective_from=since,
            brokerage_per_order=picked["brokerage_per_order"],
            stt_sell_rate=picked["stt_sell_rate"],
            exchange_rate=picked["exchange_rate"],
            sebi_per_crore=picked["sebi_per_crore"],
            gst_rate=picked["gst_rate"],
            stamp_buy_rate=picked["stamp_buy_rate"],
        )


def _trade_day(value: date) -> date:
    """A date, or an aware datetime taken as its IST date (naive datetimes are refused)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a trade time must be timezone-aware")
        return value.astimezone(IST).date()
    return value


def load_charge_schedule(path: Path | None = None) -> ChargeSchedule:
    """Load the schedule from ``path`` or the packaged ``core/data/charges.yaml``."""
    if path is None:
        text = resources.files("core.data").joinpath("charges.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"The charges data is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError("The charges data must be a mapping with 'version' and 'components'.")
    return ChargeSchedule(data)


@functools.cache
def default_charge_schedule() -> ChargeSchedule:
    return load_charge_schedule()


def _check(order: ChargeableOrder) -> tuple[Decimal, int]:
    price, qty = order.price, order.quantity
    if not isinstance(price, Decimal) or not price.is_finite() or price < 0:
        raise DataValidationError(
            f"Cannot compute charges: price {price!r} is not a non-negative amount.", errors=["bad price"]
        )
    if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
        raise DataValidationError(
            f"Cannot compute charges: quantity {qty!r} is not a positive number of units.",
            errors=["bad quantity"],
        )
    return price, qty


def compute_charges(
    orders: Iterable[ChargeableOrder], trade_date: date, schedule: ChargeSchedule | None = None
) -> Charges:
    """Charges on ``orders`` executed together on ``trade_date`` (one contract note; see module doc).

    ``trade_date`` is the IST date (an aware datetime is converted). No orders: zero charges.
    """
    rates = (schedule or default_charge_schedule()).rates_on(trade_date)
    buy = sell = ZERO
    count = 0
    for order in orders:
        price, qty = _check(order)
        premium = price * qty
        if order.action is Action.SELL:
            sell += premium
        else:
            buy += premium
        count += 1
    if count == 0:
        return Charges()
    turnover = buy + sell
    brokerage = rates.brokerage_per_order * count
    exchange = turnover * rates.exchange_rate
    sebi = turnover * rates.sebi_per_crore / CRORE
    gst = (brokerage + exchange + sebi) * rates.gst_rate
    return Charges(
        brokerage=paise(brokerage),
        stt=paise(sell * rates.stt_sell_rate),
        exchange=paise(exchange),
        sebi=paise(sebi),
        gst=paise(gst),
        stamp=paise(buy * rates.stamp_buy_rate),
    )
