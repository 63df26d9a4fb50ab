"""The trade decision audit trail (seed: ``core/trade_audit.py``).

Every decision — a suggestion made or skipped, an approval, a rejection, a refusal, a fill, an exit, a
pause, a resume, a breaker trip or reset — is a :class:`TradeDecisionLog`. It is written to the database
in the caller's transaction, logged as one JSON line to ``trades.log`` (logger ``niftybot.trades``), and
kept in a thread-safe ring buffer of the last N decisions for quick display.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.logging_config import TRADES_LOGGER
from core.persistence.models.desk import TradeDecisionRow

log = logging.getLogger(TRADES_LOGGER + ".audit")


class DecisionAction(StrEnum):
    SUGGEST = "suggest"
    SKIP = "skip"  # an algorithm looked and made no suggestion
    APPROVE = "approve"
    REJECT = "reject"
    REFUSE = "refuse"  # approval refused (a gate failed, the price moved, expired)
    EXPIRE = "expire"
    OPEN = "open"
    EXIT = "exit"
    PAUSE = "pause"
    RESUME = "resume"
    TRIP = "trip"
    RESET = "reset"
    IMPORT = "import"


class TradeDecisionLog(BaseModel):
    """One audited decision. ``details`` holds what does not fit a column (gates, params, legs)."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    action: DecisionAction
    algorithm: str | None = None
    outcome: str | None = None
    strategy: str | None = None
    regime: str | None = None
    score: float | None = None
    lots: int | None = None
    reason: str | None = None
    pnl: Decimal | None = None
    user_id: int | None = None
    suggestion_id: int | None = None
    position_id: int | None = None
    gate_checks: list[dict[str, Any]] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)

    def to_row(self) -> TradeDecisionRow:
        return TradeDecisionRow(
            at=self.at,
            action=self.action.value,
            algorithm=self.algorithm,
            outcome=self.outcome,
            strategy=self.strategy,
            regime=self.regime,
            score=None if self.score is None else round(self.score, 2),
            lots=self.lots,
            reason=self.reason,
            pnl=self.pnl,
            user_id=self.user_id,
            suggestion_id=self.suggestion_id,
            position_id=self.position_id,
            details={"gates": self.gate_checks, "params": self.params, **self.details},
        )

    @classmethod
    def from_row(cls, row: TradeDecisionRow) -> TradeDecisionLog:
        details = dict(row.details or {})
        return cls(
            at=row.at,
            action=DecisionAction(row.action),
            algorithm=row.algorithm,
            outcome=row.outcome,
            strategy=row.strategy,
            regime=row.regime,
            score=row.score,
            lots=row.lots,
            reason=row.reason,
            pnl=row.pnl,
            user_id=row.user_id,
            suggestion_id=row.suggestion_id,
            position_id=row.position_id,
            gate_checks=list(details.pop("gates", [])),
            params=dict(details.pop("params", {})),
            details=details,
        )


class DecisionBuffer:
    """The last ``size`` decisions in memory, newest last; safe to use from several threads."""

    def __init__(self, size: int = 200) -> None:
        self._items: deque[TradeDecisionLog] = deque(maxlen=size)
        self._lock = threading.Lock()

    def append(self, item: TradeDecisionLog) -> None:
        with self._lock:
            self._items.append(item)

    def recent(self, n: int) -> list[TradeDecisionLog]:
        """The newest ``n`` decisions, newest first."""
        with self._lock:
            items = list(self._items)
        return list(reversed(items[-n:])) if n > 0 else []


def log_trade_decision(decision: TradeDecisionLog, buffer: DecisionBuffer | None = None) -> None:
    """Write the JSON line to trades.log and remember it (the seed's ``log_trade_decision``)."""
    log.info(
        "decision %s",
        decision.action.value,
        extra={"decision": decision.model_dump(mode="json", exclude_none=True)},
    )
    if buffer is not None:
        buffer.append(decision)
