"""Typed results the services return and the presenters (Telegram, CLI) render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from core.domain.market import MarketSnapshot
from core.domain.trading import (
    EquityPoint,
    ExitReason,
    GateResult,
    Position,
    RiskState,
    Suggestion,
)
from core.strategies.base import AlgoResult


class Outcome(StrEnum):
    OK = "ok"  # the action happened
    ALREADY = "already"  # it had already happened (double tap, retry): nothing changed
    NOT_FOUND = "not_found"
    REFUSED = "refused"  # a gate failed, the price moved, data missing: nothing changed
    EXPIRED = "expired"
    FINAL = "final"  # the suggestion was already decided otherwise (rejected, refused ...)
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class ScanReport:
    at: datetime
    created: tuple[Suggestion, ...]
    skipped_duplicates: int
    results: tuple[AlgoResult, ...]
    blocked: tuple[str, ...] = ()  # reasons nothing was scanned (market closed, data stale ...)
    gate_failures: tuple[tuple[str, tuple[GateResult, ...]], ...] = ()  # candidates that failed gates


@dataclass(frozen=True)
class DecisionResult:
    """The answer to approve / reject: what happened and a sentence a trader can read."""

    outcome: Outcome
    message: str
    suggestion: Suggestion | None = None
    position: Position | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class CloseResult:
    outcome: Outcome
    message: str
    position: Position | None = None


@dataclass(frozen=True)
class ExitRecord:
    position: Position
    reason: ExitReason


@dataclass(frozen=True)
class MonitorReport:
    at: datetime
    marked: int
    exits: tuple[ExitRecord, ...]
    risk: RiskState | None  # None when nothing was open (nothing to mark, nothing could change)
    newly_tripped: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # positions that could not be marked or exited, and why


@dataclass(frozen=True)
class PositionView:
    position: Position
    unrealized: Decimal
    pnl_per_lot: Decimal
    net_delta: float | None
    net_theta: float | None
    marked_at: datetime | None


@dataclass(frozen=True)
class PnlReport:
    period: str  # "day" | "week" | "month"
    since: datetime
    until: datetime
    gross_realized: Decimal
    charges: Decimal
    net_realized: Decimal
    unrealized: Decimal
    trades_closed: int
    wins: int
    losses: int
    equity: Decimal
    equity_curve: tuple[EquityPoint, ...]
    closed: tuple[Position, ...] = ()


@dataclass(frozen=True)
class RiskReport:
    state: RiskState
    headroom: tuple[str, ...]
    open_positions: int
    max_open_positions: int
    margin_used: Decimal
    margin_budget: Decimal


@dataclass(frozen=True)
class SnapshotView:
    snapshot: MarketSnapshot
    age_seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)
