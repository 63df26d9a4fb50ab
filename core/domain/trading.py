"""Trading types: structures, suggestions, positions, charges, risk state.

Conventions:
- Money is ``Decimal`` rupees (premiums per unit carry two decimals on the 0.05 tick; P&L and charges
  are rounded to paise at the edges). Greeks and probabilities are ``float``.
- Premium signs follow cash: a credit (money received) is positive, a debit negative.
- A ``Structure`` is priced for ONE lot of the structure (``lot_size`` units per leg and ratio); a
  suggestion or position multiplies by ``lots``.
- ``max_loss`` is a positive number of rupees (defined-risk structures only).
- Times are aware datetimes; the market's days are IST dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from core.domain.market import OptionContract, VolRegime
from core.domain.money import ZERO, paise


class Action(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for a long leg, -1 for a short one."""
        return 1 if self is Action.BUY else -1

    @property
    def opposite(self) -> Action:
        return Action.SELL if self is Action.BUY else Action.BUY


class StrategyKind(StrEnum):
    BULL_PUT_CREDIT = "bull_put_credit"
    BEAR_CALL_CREDIT = "bear_call_credit"
    IRON_CONDOR = "iron_condor"
    BULL_CALL_DEBIT = "bull_call_debit"
    BEAR_PUT_DEBIT = "bear_put_debit"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_credit(self) -> bool:
        return self in (StrategyKind.BULL_PUT_CREDIT, StrategyKind.BEAR_CALL_CREDIT, StrategyKind.IRON_CONDOR)

    @property
    def bias(self) -> str:
        """'bullish', 'bearish' or 'neutral'."""
        if self in (StrategyKind.BULL_PUT_CREDIT, StrategyKind.BULL_CALL_DEBIT):
            return "bullish"
        if self in (StrategyKind.BEAR_CALL_CREDIT, StrategyKind.BEAR_PUT_DEBIT):
            return "bearish"
        return "neutral"


_LABELS = {
    StrategyKind.BULL_PUT_CREDIT: "Bull put spread",
    StrategyKind.BEAR_CALL_CREDIT: "Bear call spread",
    StrategyKind.IRON_CONDOR: "Iron condor",
    StrategyKind.BULL_CALL_DEBIT: "Bull call spread",
    StrategyKind.BEAR_PUT_DEBIT: "Bear put spread",
}


@dataclass(frozen=True)
class StructureLeg:
    """One leg as quoted when the structure was built. Prices per unit; Greeks per unit."""

    contract: OptionContract
    action: Action
    bid: Decimal | None
    ask: Decimal | None
    mid: Decimal | None
    iv: float | None
    delta: float | None
    gamma: float | None = None
    vega: float | None = None
    theta: float | None = None
    quote_time: datetime | None = None
    ratio: int = 1

    @property
    def natural(self) -> Decimal | None:
        """The price we would trade at crossing the spread: ask to buy, bid to sell."""
        return self.ask if self.action is Action.BUY else self.bid

    @property
    def label(self) -> str:
        return f"{self.action.value} {self.contract.strike:.0f} {self.contract.option_type}"


@dataclass(frozen=True)
class Structure:
    """A priced defined-risk structure for one lot; see the module docstring for conventions."""

    kind: StrategyKind
    expiry: date
    legs: tuple[StructureLeg, ...]
    lot_size: int
    net_mid: Decimal  # per unit, + credit / - debit, at mids
    net_natural: Decimal  # per unit, at bid/ask (the worse side)
    width: Decimal  # per unit: the strike distance of the widest spread
    max_profit: Decimal  # rupees per lot (at mid)
    max_loss: Decimal  # rupees per lot (at mid), positive
    breakevens: tuple[float, ...]
    pop: float | None  # 0-1, lognormal at the ATM IV
    credit_to_width: float | None  # credit structures only: net_mid / width
    net_delta: float  # per lot (units × lot size)
    net_gamma: float
    net_vega: float  # rupees per vol point per lot
    net_theta: float  # rupees per calendar day per lot
    margin: Decimal  # estimated margin blocked per lot, rupees
    spot: float = 0.0
    priced_at: datetime | None = None

    @property
    def is_credit(self) -> bool:
        return self.kind.is_credit

    def strikes(self) -> tuple[float, ...]:
        return tuple(leg.contract.strike for leg in self.legs)

    @property
    def description(self) -> str:
        legs = " / ".join(leg.label for leg in self.legs)
        return f"{self.kind.label} {self.expiry:%d %b}: {legs}"


@dataclass(frozen=True)
class Unbuildable:
    """Why a structure could not be built from the chain (a missing, crossed or stale quote ...)."""

    kind: StrategyKind
    reason: str


@dataclass(frozen=True)
class GateResult:
    """One gate check: ``reason`` is shown to the trader verbatim, pass or fail."""

    name: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class ScoreComponent:
    """Part of a suggestion's 0-100 score: ``points`` out of ``max_points``, with what drove it."""

    name: str
    points: float
    max_points: float
    detail: str


@dataclass(frozen=True)
class ExitPlan:
    """When a position leaves: rupee thresholds per lot on the net P&L (before charges)."""

    profit_target: Decimal  # take profit when P&L per lot reaches this (positive)
    stop_loss: Decimal  # exit when loss per lot reaches this (positive number)
    max_sessions: int | None  # exit after this many sessions held (None: hold to expiry square-off)


class SuggestionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # approval accepted, fill in progress (short-lived)
    REJECTED = "rejected"
    EXPIRED = "expired"
    EXECUTED = "executed"  # a position was opened
    REFUSED = "refused"  # approval refused: a gate failed or the price moved

    @property
    def final(self) -> bool:
        return self is not SuggestionStatus.PENDING and self is not SuggestionStatus.APPROVED


@dataclass(frozen=True)
class Suggestion:
    """A trade an algorithm proposes; stored with a status and an expiry time."""

    algorithm: str
    structure: Structure
    lots: int
    score: float
    components: tuple[ScoreComponent, ...]
    rationale: str
    gates: tuple[GateResult, ...]
    exit_plan: ExitPlan
    regime: VolRegime
    created_at: datetime
    expires_at: datetime
    params: Mapping[str, float | int | str] = field(default_factory=lambda: MappingProxyType({}))
    id: int | None = None
    status: SuggestionStatus = SuggestionStatus.PENDING
    status_reason: str | None = None
    decided_by: int | None = None
    decided_at: datetime | None = None
    position_id: int | None = None
    commentary: str | None = None

    @property
    def max_profit(self) -> Decimal:
        return paise(self.structure.max_profit * self.lots)

    @property
    def max_loss(self) -> Decimal:
        return paise(self.structure.max_loss * self.lots)

    @property
    def gates_passed(self) -> bool:
        return all(g.passed for g in self.gates)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Charges:
    """Charges on one or more orders, each rounded to paise."""

    brokerage: Decimal = ZERO
    stt: Decimal = ZERO
    exchange: Decimal = ZERO
    sebi: Decimal = ZERO
    gst: Decimal = ZERO
    stamp: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return paise(self.brokerage + self.stt + self.exchange + self.sebi + self.gst + self.stamp)

    def __add__(self, other: Charges) -> Charges:
        return Charges(
            self.brokerage + other.brokerage,
            self.stt + other.stt,
            self.exchange + other.exchange,
            self.sebi + other.sebi,
            self.gst + other.gst,
            self.stamp + other.stamp,
        )


class PositionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ExitReason(StrEnum):
    PROFIT_TARGET = "profit_target"
    STOP_LOSS = "stop_loss"
    TIME_LIMIT = "time_limit"
    EXPIRY = "expiry_square_off"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return {
            ExitReason.PROFIT_TARGET: "profit target",
            ExitReason.STOP_LOSS: "stop loss",
            ExitReason.TIME_LIMIT: "time limit",
            ExitReason.EXPIRY: "expiry-day square-off",
            ExitReason.MANUAL: "closed by hand",
        }[self]


@dataclass(frozen=True)
class PositionLeg:
    """A filled leg. ``quantity`` is in units (lots × lot size × ratio); prices per unit."""

    contract: OptionContract
    action: Action
    quantity: int
    entry_price: Decimal
    exit_price: Decimal | None = None
    mark: Decimal | None = None  # latest mid (or last trade) while open
    id: int | None = None

    def pnl(self, price: Decimal) -> Decimal:
        """Gross P&L of the leg if it were closed at ``price`` (rupees, unrounded)."""
        return (price - self.entry_price) * self.quantity * self.action.sign


@dataclass(frozen=True)
class Position:
    """An open or closed paper position with its legs (the seed's ``PaperPosition``)."""

    id: int
    suggestion_id: int | None
    algorithm: str
    kind: StrategyKind
    expiry: date
    lots: int
    lot_size: int
    legs: tuple[PositionLeg, ...]
    exit_plan: ExitPlan
    opened_at: datetime
    opened_by: int | None
    status: PositionStatus
    entry_charges: Charges
    sessions_held: int = 0
    last_session_date: date | None = None
    marked_at: datetime | None = None
    closed_at: datetime | None = None
    exit_reason: ExitReason | None = None
    exit_charges: Charges = Charges()
    max_loss: Decimal = ZERO  # rupees for the whole position, positive
    margin: Decimal = ZERO  # rupees blocked for the whole position

    @property
    def is_open(self) -> bool:
        return self.status is PositionStatus.OPEN

    @property
    def entry_premium(self) -> Decimal:
        """Net premium for the whole position at entry: + credit received / - debit paid."""
        return paise(sum((-leg.action.sign * leg.entry_price * leg.quantity for leg in self.legs), ZERO))

    @property
    def unrealized_pnl(self) -> Decimal:
        """Gross P&L at the latest marks (open positions; zero when a mark is missing is NOT assumed:
        legs without a mark are valued at entry)."""
        if not self.is_open:
            return ZERO
        total = sum(
            (leg.pnl(leg.mark if leg.mark is not None else leg.entry_price) for leg in self.legs), ZERO
        )
        return paise(total)

    @property
    def realized_pnl(self) -> Decimal:
        """Gross P&L of a closed position (before charges)."""
        if self.is_open:
            return ZERO
        return paise(sum((leg.pnl(leg.exit_price) for leg in self.legs if leg.exit_price is not None), ZERO))

    @property
    def charges(self) -> Charges:
        return self.entry_charges + self.exit_charges

    @property
    def net_realized_pnl(self) -> Decimal:
        """Realized P&L after entry and exit charges (the seed's ``net_realized_pnl``)."""
        return paise(self.realized_pnl - self.charges.total) if not self.is_open else ZERO

    @property
    def net_unrealized_pnl(self) -> Decimal:
        """Unrealized P&L less charges paid at entry (exit charges are not yet known)."""
        return paise(self.unrealized_pnl - self.entry_charges.total) if self.is_open else ZERO


class RiskStatus(StrEnum):
    ACTIVE = "active"  # new entries allowed
    REDUCING = "reducing"  # close to a limit: entries allowed but sized down, warned
    HALTED = "halted"  # a breaker tripped: no new entries until an admin resets it


@dataclass(frozen=True)
class LimitCheck:
    """One risk limit's inputs: ``used`` of ``limit`` rupees (both positive)."""

    name: str
    used: Decimal
    limit: Decimal
    tripped: bool

    @property
    def fraction(self) -> float:
        return float(self.used / self.limit) if self.limit > 0 else 0.0


@dataclass(frozen=True)
class RiskState:
    """The desk's trading state with the reasons behind it."""

    status: RiskStatus
    reasons: tuple[str, ...]
    paused: bool
    paused_by: int | None
    tripped: tuple[str, ...]  # names of tripped breakers (daily_loss, drawdown)
    tripped_at: datetime | None
    trading_day: date
    realized_today: Decimal  # net of charges
    unrealized: Decimal  # gross, open positions at marks
    equity: Decimal  # capital + all net realized + unrealized
    peak_equity: Decimal
    checks: tuple[LimitCheck, ...] = ()

    @property
    def drawdown(self) -> Decimal:
        return paise(max(self.peak_equity - self.equity, ZERO))

    @property
    def can_open(self) -> bool:
        return self.status is not RiskStatus.HALTED and not self.paused


@dataclass(frozen=True)
class EquityPoint:
    at: datetime
    realized: Decimal  # cumulative net realized since inception
    unrealized: Decimal
    equity: Decimal
