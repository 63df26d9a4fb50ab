"""Rows of the trading desk: suggestions, positions and legs, risk state, equity, the decision audit.

Money columns are ``Numeric(14, 2)`` (rupees, paise) and come back as ``Decimal``. A suggestion's full
priced structure, score components, gates and parameters live in ``payload`` (JSON, see
``core.persistence.codec``); the columns beside it are what queries filter on.

Idempotent approval is enforced here, not only in memory: ``positions.suggestion_id`` is UNIQUE, so one
suggestion can open at most one position whatever the races, and approval claims a suggestion with a
conditional UPDATE (``status = 'pending'``) so only one approver wins.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.persistence.models.base import Base, UTCDateTime

Money = Numeric(14, 2, asdecimal=True)


class SuggestionRow(Base):
    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    algorithm: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    expiry: Mapped[date] = mapped_column(Date, nullable=False)
    lots: Mapped[int] = mapped_column(Integer, nullable=False)
    score: Mapped[float] = mapped_column(Numeric(6, 2, asdecimal=False), nullable=False)
    regime: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(160), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    position_id: Mapped[int | None] = mapped_column(Integer)
    max_loss: Mapped[Decimal] = mapped_column(Money, nullable=False)
    commentary: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class PositionRow(Base):
    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestions.id"), unique=True, nullable=True
    )
    algorithm: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    expiry: Mapped[date] = mapped_column(Date, nullable=False)
    lots: Mapped[int] = mapped_column(Integer, nullable=False)
    lot_size: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    opened_by: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    exit_reason: Mapped[str | None] = mapped_column(String(32))
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    profit_target: Mapped[Decimal] = mapped_column(Money, nullable=False)
    stop_loss: Mapped[Decimal] = mapped_column(Money, nullable=False)
    max_sessions: Mapped[int | None] = mapped_column(Integer)
    sessions_held: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_session_date: Mapped[date | None] = mapped_column(Date)
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    max_loss: Mapped[Decimal] = mapped_column(Money, nullable=False)
    margin: Mapped[Decimal] = mapped_column(Money, nullable=False)
    entry_charges: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)
    exit_charges: Mapped[dict[str, str] | None] = mapped_column(JSON)
    gross_pnl: Mapped[Decimal | None] = mapped_column(Money)  # set when closed
    net_pnl: Mapped[Decimal | None] = mapped_column(Money)  # set when closed

    legs: Mapped[list[PositionLegRow]] = relationship(
        back_populates="position", cascade="all, delete-orphan", order_by="PositionLegRow.id"
    )


class PositionLegRow(Base):
    __tablename__ = "position_legs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position_id: Mapped[int] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    tradingsymbol: Mapped[str] = mapped_column(String(40), nullable=False)
    instrument_token: Mapped[int] = mapped_column(BigInteger, nullable=False)
    expiry: Mapped[date] = mapped_column(Date, nullable=False)
    strike: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    option_type: Mapped[str] = mapped_column(String(2), nullable=False)
    lot_size: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(4), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    entry_price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    exit_price: Mapped[Decimal | None] = mapped_column(Money)
    mark: Mapped[Decimal | None] = mapped_column(Money)

    position: Mapped[PositionRow] = relationship(back_populates="legs")


class RiskStateRow(Base):
    """One row (id = 1): what the risk engine must remember across restarts."""

    __tablename__ = "risk_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    paused_by: Mapped[int | None] = mapped_column(BigInteger)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tripped: Mapped[str] = mapped_column(String(64), nullable=False, default="")  # comma-separated
    tripped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trip_reason: Mapped[str | None] = mapped_column(Text)
    trading_day: Mapped[date | None] = mapped_column(Date)
    day_start_equity: Mapped[Decimal | None] = mapped_column(Money)
    peak_equity: Mapped[Decimal] = mapped_column(Money, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class EquityPointRow(Base):
    __tablename__ = "equity_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    realized: Mapped[Decimal] = mapped_column(Money, nullable=False)
    unrealized: Mapped[Decimal] = mapped_column(Money, nullable=False)
    equity: Mapped[Decimal] = mapped_column(Money, nullable=False)


class TradeDecisionRow(Base):
    """The audit trail (seed ``core/trade_audit.py``): one row per decision."""

    __tablename__ = "trade_decisions"
    __table_args__ = (Index("ix_trade_decisions_algo_at", "algorithm", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    algorithm: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome: Mapped[str | None] = mapped_column(String(32))
    strategy: Mapped[str | None] = mapped_column(String(32))
    regime: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Numeric(6, 2, asdecimal=False))
    lots: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    pnl: Mapped[Decimal | None] = mapped_column(Money)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    suggestion_id: Mapped[int | None] = mapped_column(Integer)
    position_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class ArchivedTradeRow(Base):
    """Closed positions moved out of the live tables by ``niftybot archive`` (whole record as JSON)."""

    __tablename__ = "archived_trades"

    position_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    algorithm: Mapped[str] = mapped_column(String(32), nullable=False)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    gross_pnl: Mapped[Decimal] = mapped_column(Money, nullable=False)
    net_pnl: Mapped[Decimal] = mapped_column(Money, nullable=False)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
