"""Defined-risk structures from an enriched chain: credit spreads, the iron condor, debit spreads.

Each builder is a pure function of ``(chain, spot, now, params)`` and returns a priced
:class:`~core.domain.trading.Structure` for ONE lot, or an :class:`~core.domain.trading.Unbuildable`
whose reason a trader can read (a leg's quote missing, crossed or stale; no strike near the target
delta; wings not listed; a credit that is not positive; a debit that is not below the width).

Conventions (see also :mod:`core.domain.trading`):
- Strikes and widths are index points; premiums per unit are ``Decimal`` rupees, + credit / - debit.
  ``net_mid`` prices each leg at its mid (exact: a mid may sit half a tick off the grid, e.g. 16.925),
  ``net_natural`` at bid/ask (sell at the bid, buy at the ask). Short strikes of credit structures are
  out of the money against SPOT (not the forward), by at least ``buffer`` points.
- Max profit and max loss are rupees per lot AT MID, rounded to paise, and always add up to
  ``width × lot_size`` (the loss is derived from the rounded profit, or the other way for debits).
- Greeks are per lot: per-unit chain Greeks × ratio × lot size, signed by the action (vega in rupees
  per vol point, theta in rupees per calendar day).
- POP: :func:`core.analytics.greeks.compute_pop` (lognormal) with the chain's ATM IV, the time left to
  the expiry close as of ``now``, and the drift of the chain's parity forward (none when unknown);
  ``None`` when the ATM IV or the time left is unknown.
- Margin: :func:`core.strategies.margin.estimate_margin` (max loss + exposure on short legs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from core.analytics.chain import SECONDS_PER_YEAR
from core.analytics.greeks import PayoffLeg, breakevens, compute_pop
from core.clock import IST
from core.domain.market import ChainSnapshot
from core.domain.money import PAISA, ZERO, format_inr, paise, to_decimal
from core.domain.trading import Action, StrategyKind, Structure, StructureLeg, Unbuildable
from core.errors import ConfigError, DataValidationError
from core.strategies.legs import describe, leg_of, leg_problem
from core.strategies.margin import estimate_margin
from core.strategies.strikes import OptionType, Pick, by_delta, side, wing

REQUIRED_COLUMNS = (
    "tradingsymbol",
    "instrument_token",
    "expiry",
    "strike",
    "option_type",
    "lot_size",
    "bid",
    "ask",
    "quote_time",
    "iv",
    "delta",
    "gamma",
    "vega",
    "theta",
)


@dataclass(frozen=True)
class StructureParams:
    """How to pick strikes. Deltas are absolute (0.20 = a 0.20 call or a -0.20 put); points are index points.

    - ``short_delta``: target |delta| of the SHORT leg of credit structures (each side of a condor).
    - ``long_delta``: target |delta| of the LONG leg of debit spreads.
    - ``width``: wing width in points, snapped to a listed strike within half the width.
    - ``buffer``: the short strikes of credit structures must be out of the money by at least this many
      points from spot (pass ``k × ATR`` for a buffer in ATRs); 0 still requires out of the money.
      Debit spreads ignore it (their short leg is the profit cap, not the risk).
    - ``delta_tolerance``: how far the chosen |delta| may be from the target.
    - ``max_quote_age``: quotes older than this at ``now`` are stale (``None``: do not judge age).
    """

    short_delta: float = 0.20
    long_delta: float = 0.50
    width: float = 100.0
    buffer: float = 0.0
    delta_tolerance: float = 0.05
    max_quote_age: timedelta | None = timedelta(minutes=3)

    def __post_init__(self) -> None:
        problems = []
        for name in ("short_delta", "long_delta"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 < value < 1):
                problems.append(f"{name} must be between 0 and 1 (got {value!r})")
        if not (isinstance(self.width, (int, float)) and math.isfinite(self.width) and self.width > 0):
            problems.append(f"width must be a positive number of points (got {self.width!r})")
        if not (isinstance(self.buffer, (int, float)) and math.isfinite(self.buffer) and self.buffer >= 0):
            problems.append(f"buffer must be 0 or more points (got {self.buffer!r})")
        tol = self.delta_tolerance
        if not (isinstance(tol, (int, float)) and math.isfinite(tol) and 0 < tol < 1):
            problems.append(f"delta_tolerance must be between 0 and 1 (got {tol!r})")
        if self.max_quote_age is not None and self.max_quote_age <= timedelta(0):
            problems.append("max_quote_age must be positive or None")
        if problems:
            raise ConfigError("Invalid structure parameters: " + "; ".join(problems) + ".")


class _Reject(Exception):
    """Internal: the structure cannot be built; ``args[0]`` is the trader-facing reason."""


def _take(pick: Pick) -> dict[str, Any]:
    if pick.row is None:
        raise _Reject(pick.reason)
    return pick.row


def _check_inputs(chain: ChainSnapshot, spot: float, now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("structures need an aware 'now'")
    if not isinstance(spot, (int, float)) or not math.isfinite(spot) or spot <= 0:
        raise DataValidationError(f"Cannot build structures: spot {spot!r} is not a positive price.")
    missing = [c for c in REQUIRED_COLUMNS if c not in chain.frame.columns]
    if missing:
        raise DataValidationError(
            "Cannot build structures: the chain is not enriched (missing " + ", ".join(missing) + ").",
            errors=missing,
        )


def _vertical_credit(
    chain: ChainSnapshot, option_type: OptionType, spot: float, params: StructureParams
) -> tuple[StructureLeg, StructureLeg]:
    """(short, long) of a credit vertical: short at the target delta beyond the buffer, long further out."""
    rows = side(chain.frame, option_type)
    short = _take(
        by_delta(
            rows,
            option_type,
            params.short_delta,
            params.delta_tolerance,
            spot=spot,
            min_distance=params.buffer,
        )
    )
    out = -1 if option_type == "PE" else 1
    long = _take(wing(rows, option_type, float(short["strike"]), params.width, out))
    return leg_of(short, Action.SELL), leg_of(long, Action.BUY)


def _vertical_debit(
    chain: ChainSnapshot, option_type: OptionType, spot: float, params: StructureParams
) -> tuple[StructureLeg, StructureLeg]:
    """(long, short) of a debit vertical: long at the target delta, short ``width`` further out."""
    rows = side(chain.frame, option_type)
    long = _take(by_delta(rows, option_type, params.long_delta, params.delta_tolerance, spot=spot))
    out = -1 if option_type == "PE" else 1
    short = _take(wing(rows, option_type, float(long["strike"]), params.width, out))
    return leg_of(long, Action.BUY), leg_of(short, Action.SELL)


def _years_left(chain: ChainSnapshot, now: datetime) -> float | None:
    if chain.analytics is None:
        return None
    seconds = chain.analytics.days_to_expiry * 86400.0 - (now - chain.taken_at).total_seconds()
    return seconds / SECONDS_PER_YEAR if seconds > 0 else None


def _drift(chain: ChainSnapshot) -> float:
    """r - q implied by the parity forward at the chain's time (0 when the forward is unknown)."""
    a = chain.analytics
    if a is None or a.forward is None or a.days_to_expiry <= 0 or chain.spot <= 0:
        return 0.0
    return math.log(a.forward / chain.spot) / (a.days_to_expiry / 365.0)


def _known(price: Decimal | None) -> Decimal:
    """A price the quote checks have already passed (never ``None`` here)."""
    assert price is not None
    return price


def _per_lot(legs: Sequence[StructureLeg], lot_size: int, greek: str) -> float:
    total = 0.0
    for leg in legs:
        value = getattr(leg, greek)
        assert value is not None
        total += leg.action.sign * leg.ratio * value * lot_size
    return total


def _extremes(
    kind: StrategyKind, net_mid: Decimal, width: Decimal, lot_size: int
) -> tuple[Decimal, Decimal, float | None]:
    """(max profit, max loss, credit/width) per lot at mid; the two extremes add up to width × lot."""
    full = paise(width * lot_size)
    if kind.is_credit:
        if net_mid <= 0:
            raise _Reject(f"the credit at mid is {format_inr(net_mid)}, not positive")
        if net_mid >= width:
            raise _Reject(
                f"the credit at mid ({format_inr(net_mid)}) is not below the {width:,.0f}-point width: "
                "the quotes are inconsistent"
            )
        max_profit = paise(net_mid * lot_size)
        return max_profit, full - max_profit, float(net_mid / width)
    debit = -net_mid
    if debit <= 0:
        raise _Reject(f"the debit at mid is {format_inr(debit)}: the quotes are inconsistent")
    if debit >= width:
        raise _Reject(f"the debit at mid ({format_inr(debit)}) exceeds the {width:,.0f}-point width")
    max_loss = paise(debit * lot_size)
    return full - max_loss, max_loss, None


def _price(
    kind: StrategyKind,
    chain: ChainSnapshot,
    verticals: Sequence[tuple[StructureLeg, StructureLeg]],
    spot: float,
    now: datetime,
    params: StructureParams,
) -> Structure:
    legs = sorted((leg for pair in verticals for leg in pair), key=lambda leg: leg.contract.strike)
    problems = [p for p in (leg_problem(leg, now, params.max_quote_age) for leg in legs) if p]
    if problems:
        raise _Reject("; ".join(problems))
    sizes = sorted({leg.contract.lot_size for leg in legs})
    if len(sizes) != 1:
        raise _Reject(f"the legs have different lot sizes ({', '.join(map(str, sizes))})")
    lot_size = sizes[0]
    for leg in legs:
        if any(getattr(leg, g) is None for g in ("iv", "delta", "gamma", "vega", "theta")):
            raise _Reject(f"the {describe(leg)} has no implied volatility, so its Greeks are unknown")
    mids = [_known(leg.mid) for leg in legs]
    net_mid = sum((-leg.action.sign * leg.ratio * m for leg, m in zip(legs, mids, strict=True)), ZERO)
    net_natural = sum((-leg.action.sign * leg.ratio * _known(leg.natural) for leg in legs), ZERO)
    width = max(abs(to_decimal(a.contract.strike) - to_decimal(b.contract.strike)) for a, b in verticals)
    width = width.quantize(PAISA)
    max_profit, max_loss, credit_to_width = _extremes(kind, net_mid, width, lot_size)
    payoff = [
        PayoffLeg(leg.contract.strike, leg.contract.option_type, leg.action.sign, leg.ratio, float(m))
        for leg, m in zip(legs, mids, strict=True)
    ]
    t = _years_left(chain, now)
    atm_iv = chain.analytics.atm_iv if chain.analytics is not None else None
    pop = compute_pop(payoff, spot, t, atm_iv, _drift(chain), 0.0) if t and atm_iv else None
    expiry_day = now.astimezone(IST).date() == chain.expiry
    return Structure(
        kind=kind,
        expiry=chain.expiry,
        legs=tuple(legs),
        lot_size=lot_size,
        net_mid=net_mid,
        net_natural=net_natural,
        width=width,
        max_profit=max_profit,
        max_loss=max_loss,
        breakevens=tuple(breakevens(payoff)),
        pop=pop,
        credit_to_width=credit_to_width,
        net_delta=_per_lot(legs, lot_size, "delta"),
        net_gamma=_per_lot(legs, lot_size, "gamma"),
        net_vega=_per_lot(legs, lot_size, "vega"),
        net_theta=_per_lot(legs, lot_size, "theta"),
        margin=estimate_margin(legs, lot_size, spot, max_loss, expiry_day=expiry_day),
        spot=spot,
        priced_at=now,
    )


_Verticals = Callable[[ChainSnapshot, float, StructureParams], list[tuple[StructureLeg, StructureLeg]]]

_RECIPES: Mapping[StrategyKind, _Verticals] = MappingProxyType(
    {
        StrategyKind.BULL_PUT_CREDIT: lambda c, s, p: [_vertical_credit(c, "PE", s, p)],
        StrategyKind.BEAR_CALL_CREDIT: lambda c, s, p: [_vertical_credit(c, "CE", s, p)],
        StrategyKind.IRON_CONDOR: lambda c, s, p: [
            _vertical_credit(c, "PE", s, p),
            _vertical_credit(c, "CE", s, p),
        ],
        StrategyKind.BULL_CALL_DEBIT: lambda c, s, p: [_vertical_debit(c, "CE", s, p)],
        StrategyKind.BEAR_PUT_DEBIT: lambda c, s, p: [_vertical_debit(c, "PE", s, p)],
    }
)


def build_structure(
    kind: StrategyKind,
    chain: ChainSnapshot,
    spot: float,
    now: datetime,
    params: StructureParams | None = None,
) -> Structure | Unbuildable:
    """Build and price one lot of ``kind`` from ``chain`` (one expiry, enriched) at ``now``.

    Raises only for inputs that are wrong rather than a market that does not allow the trade: a naive
    ``now`` (ValueError), a bad spot or an un-enriched chain (DataValidationError), bad params (ConfigError).
    """
    params = params if params is not None else StructureParams()
    _check_inputs(chain, spot, now)
    if chain.frame.empty:
        return Unbuildable(kind, f"the chain for {chain.expiry:%d %b} is empty")
    try:
        return _price(kind, chain, _RECIPES[kind](chain, spot, params), spot, now, params)
    except _Reject as reject:
        return Unbuildable(kind, str(reject.args[0]))


def bull_put_credit(
    chain: ChainSnapshot, spot: float, now: datetime, params: StructureParams | None = None
) -> Structure | Unbuildable:
    """Sell a put at the target delta, buy the put ``width`` points lower (bullish, credit)."""
    return build_structure(StrategyKind.BULL_PUT_CREDIT, chain, spot, now, params)


def bear_call_credit(
    chain: ChainSnapshot, spot: float, now: datetime, params: StructureParams | None = None
) -> Structure | Unbuildable:
    """Sell a call at the target delta, buy the call ``width`` points higher (bearish, credit)."""
    return build_structure(StrategyKind.BEAR_CALL_CREDIT, chain, spot, now, params)


def iron_condor(
    chain: ChainSnapshot, spot: float, now: datetime, params: StructureParams | None = None
) -> Structure | Unbuildable:
    """A bull put and a bear call credit spread together (neutral, credit); max loss on the wider wing."""
    return build_structure(StrategyKind.IRON_CONDOR, chain, spot, now, params)


def bull_call_debit(
    chain: ChainSnapshot, spot: float, now: datetime, params: StructureParams | None = None
) -> Structure | Unbuildable:
    """Buy a call at the target delta, sell the call ``width`` points higher (bullish, debit)."""
    return build_structure(StrategyKind.BULL_CALL_DEBIT, chain, spot, now, params)


def bear_put_debit(
    chain: ChainSnapshot, spot: float, now: datetime, params: StructureParams | None = None
) -> Structure | Unbuildable:
    """Buy a put at the target delta, sell the put ``width`` points lower (bearish, debit)."""
    return build_structure(StrategyKind.BEAR_PUT_DEBIT, chain, spot, now, params)
