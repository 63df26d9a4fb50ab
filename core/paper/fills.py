"""Paper fills: the mid plus slippage toward the worse side, on the tick, never worse than natural.

For one order, with prices per unit in ``Decimal`` rupees and ``n = slippage_ticks``::

    mid  = (bid + ask) / 2
    buy  = min(ceil_to_tick(mid + n·tick), ask)     # pay up, but never more than the offer
    sell = max(floor_to_tick(mid − n·tick), bid)    # give up, but never less than the bid

and never below one tick (0.05). Rounding to the tick goes against the trader (up to buy, down to
sell), so a fill is always on the tick and inside ``[bid, ask]``. An order needs a valid two-sided
quote: bid and ask present and positive, on the tick, and not crossed; otherwise it cannot be filled
and :class:`core.errors.DataValidationError` says which leg and why.

Entry fills trade each leg's own action; exit fills reverse it (a short leg is bought back).
Quantities are units: ``lots × lot_size × ratio``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.domain.market import OptionContract
from core.domain.money import PAISA, TICK, ZERO, paise, to_decimal
from core.domain.trading import Action, StructureLeg
from core.errors import ConfigError, DataValidationError


def quote_problem(bid: Decimal | None, ask: Decimal | None, tick: Decimal = TICK) -> str | None:
    """Why ``bid``/``ask`` is not a tradable two-sided quote, or ``None`` when it is.

    The reason reads after "has": "no bid", "no offer", "a crossed quote (...)", "a quote off the tick".
    """
    no_bid = bid is None or not bid.is_finite() or bid <= 0
    no_ask = ask is None or not ask.is_finite() or ask <= 0
    if bid is None or ask is None or no_bid or no_ask:
        return "no bid and no offer" if no_bid and no_ask else ("no bid" if no_bid else "no offer")
    if bid > ask:
        return f"a crossed quote (bid {bid:.2f} above ask {ask:.2f})"
    if bid % tick or ask % tick:
        return f"a quote off the {tick} tick (bid {bid}, ask {ask})"
    return None


def _to_tick(value: Decimal, tick: Decimal, rounding: str) -> Decimal:
    return ((value / tick).to_integral_value(rounding=rounding) * tick).quantize(PAISA)


def _check_slippage(slippage_ticks: int) -> None:
    if isinstance(slippage_ticks, bool) or not isinstance(slippage_ticks, int) or slippage_ticks < 0:
        raise ConfigError(
            f"slippage_ticks must be a whole number of ticks, 0 or more (got {slippage_ticks!r})."
        )


def fill_price(
    action: Action,
    bid: Decimal | None,
    ask: Decimal | None,
    slippage_ticks: int = 1,
    tick: Decimal = TICK,
) -> Decimal:
    """The paper fill price per unit for ``action`` against ``bid``/``ask`` (see the module doc)."""
    _check_slippage(slippage_ticks)
    problem = quote_problem(bid, ask, tick)
    if problem is not None or bid is None or ask is None:
        why = problem or "no quote"
        raise DataValidationError(f"Cannot fill a {action.value.lower()}: the quote has {why}.", errors=[why])
    mid = (bid + ask) / 2
    if action is Action.BUY:
        price = min(_to_tick(mid + slippage_ticks * tick, tick, ROUND_CEILING), ask)
    else:
        price = max(_to_tick(mid - slippage_ticks * tick, tick, ROUND_FLOOR), bid)
    return max(price, tick)


@dataclass(frozen=True)
class LegFill:
    """One filled order: ``price`` per unit, ``quantity`` in units, with the quote it filled against."""

    contract: OptionContract
    action: Action
    quantity: int
    price: Decimal
    bid: Decimal
    ask: Decimal

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2

    @property
    def cash(self) -> Decimal:
        """Premium cash flow in rupees: + received for a sell, - paid for a buy (unrounded)."""
        return -self.action.sign * self.price * self.quantity

    @property
    def slippage(self) -> Decimal:
        """Rupees given up against the mid (never negative)."""
        return (self.price - self.mid) * self.quantity * self.action.sign

    @property
    def label(self) -> str:
        c = self.contract
        return f"{self.action.value} {self.quantity} × {c.strike:.0f} {c.option_type} @ {self.price:.2f}"


@dataclass(frozen=True)
class StructureFill:
    """All legs of one entry or exit, filled together (one contract note for charges)."""

    legs: tuple[LegFill, ...]
    closing: bool

    @property
    def net_premium(self) -> Decimal:
        """Net premium in rupees, + received / - paid, rounded to paise."""
        return paise(sum((leg.cash for leg in self.legs), ZERO))

    @property
    def slippage(self) -> Decimal:
        """Rupees given up against the mids, all legs, rounded to paise."""
        return paise(sum((leg.slippage for leg in self.legs), ZERO))


def _fill_legs(
    legs: Sequence[StructureLeg], lots: int, lot_size: int, slippage_ticks: int, closing: bool
) -> StructureFill:
    _check_slippage(slippage_ticks)
    if isinstance(lots, bool) or not isinstance(lots, int) or lots < 1:
        raise DataValidationError(f"Cannot fill {lots!r} lots: lots must be 1 or more.", errors=["lots"])
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 1:
        raise DataValidationError(f"Cannot fill with lot size {lot_size!r}.", errors=["lot size"])
    if not legs:
        raise DataValidationError("Cannot fill a structure without legs.", errors=["no legs"])
    problems: list[str] = []
    fills: list[LegFill] = []
    for leg in legs:
        action = leg.action.opposite if closing else leg.action
        tick = to_decimal(leg.contract.tick_size)
        where = f"{action.value} {leg.contract.strike:.0f} {leg.contract.option_type}"
        problem = quote_problem(leg.bid, leg.ask, tick)
        if problem is not None or leg.bid is None or leg.ask is None:
            problems.append(f"{where} has {problem or 'no quote'}")
            continue
        price = fill_price(action, leg.bid, leg.ask, slippage_ticks, tick)
        qty = lots * lot_size * leg.ratio
        fills.append(LegFill(leg.contract, action, qty, price, leg.bid, leg.ask))
    if problems:
        what = "exit" if closing else "entry"
        raise DataValidationError(f"Cannot fill the {what}: " + "; ".join(problems) + ".", errors=problems)
    return StructureFill(tuple(fills), closing)


def fill_entry(
    legs: Sequence[StructureLeg], lots: int, lot_size: int, slippage_ticks: int = 1
) -> StructureFill:
    """Fill every leg with its own action (``Structure.legs``, ``Structure.lot_size``)."""
    return _fill_legs(legs, lots, lot_size, slippage_ticks, closing=False)


def fill_exit(
    legs: Sequence[StructureLeg], lots: int, lot_size: int, slippage_ticks: int = 1
) -> StructureFill:
    """Close every leg: each leg's ENTRY action is reversed. ``legs`` carry the current quotes
    (see :func:`core.strategies.legs.requote_legs`)."""
    return _fill_legs(legs, lots, lot_size, slippage_ticks, closing=True)
