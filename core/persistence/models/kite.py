"""Kite rows: the daily NIFTY options instruments cache, previous-close OI and the daily Kite session.

``kite_instrument_dumps`` has one row per IST day a dump was downloaded; ``kite_instruments`` holds that
day's NIFTY option contracts (only the latest day is kept). ``kite_oi_closes`` keeps each option's final
open interest of a session (contracts), the baseline for the next session's ``oi_change``.
``kite_sessions`` keeps access tokens: a secret, so the row's repr never shows it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.models.base import Base, UTCDateTime


class KiteInstrumentDump(Base):
    """One download of Kite's NFO instruments dump, filtered to NIFTY options."""

    __tablename__ = "kite_instrument_dumps"

    day: Mapped[date] = mapped_column(Date, primary_key=True)  # IST day the dump is for
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    contracts: Mapped[int] = mapped_column(Integer, nullable=False)


class KiteInstrument(Base):
    """One NIFTY option contract as listed in the dump of ``day``."""

    __tablename__ = "kite_instruments"
    __table_args__ = (Index("ix_kite_instruments_day_expiry", "day", "expiry"),)

    day: Mapped[date] = mapped_column(
        Date, ForeignKey("kite_instrument_dumps.day", ondelete="CASCADE"), primary_key=True
    )
    instrument_token: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tradingsymbol: Mapped[str] = mapped_column(String(64), nullable=False)
    expiry: Mapped[date] = mapped_column(Date, nullable=False)
    strike: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)  # rupees
    option_type: Mapped[str] = mapped_column(String(2), nullable=False)  # CE | PE
    lot_size: Mapped[int] = mapped_column(Integer, nullable=False)  # units per lot
    tick_size: Mapped[Decimal] = mapped_column(Numeric(8, 4), nullable=False)  # rupees
    exchange: Mapped[str] = mapped_column(String(8), nullable=False)


class KiteOiClose(Base):
    """The final open interest (contracts) of an option at the close of ``session_day``."""

    __tablename__ = "kite_oi_closes"

    session_day: Mapped[date] = mapped_column(Date, primary_key=True)
    instrument_token: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    oi: Mapped[int] = mapped_column(BigInteger, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class KiteSessionRow(Base):
    """A Kite access token, the IST day it was issued for and when it lapses."""

    __tablename__ = "kite_sessions"
    __table_args__ = (Index("ix_kite_sessions_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(32), nullable=False)
    access_token: Mapped[str] = mapped_column(Text, nullable=False)  # secret
    valid_for: Mapped[date] = mapped_column(Date, nullable=False)
    obtained_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def __repr__(self) -> str:
        return (
            f"KiteSessionRow(id={self.id!r}, user_id={self.user_id!r}, valid_for={self.valid_for!r}, "
            f"expires_at={self.expires_at!r}, access_token=***)"
        )
