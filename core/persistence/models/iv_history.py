"""Intraday ATM IV snapshots of NIFTY (seed: ``core/iv_history.py``).

``atm_iv_pct`` is in PERCENT (14.2 = 14.2%), as the seed stored it, and the database refuses values
outside [0.5, 200]. ``bucket`` is the 5-minute slot of ``taken_at`` counted from the Unix epoch
(``floor(unix_seconds / 300)``); it is UNIQUE, so the database itself keeps at most one snapshot per
slot even when two processes insert at once. ``day`` is the IST date of ``taken_at``. Rows with
``is_proxy`` are not real ATM IV: they are India VIX daily closes standing in for days with no recorded
snapshot, and a real snapshot in the same slot replaces them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, Float, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.models.base import Base, UTCDateTime


class IVSnapshotRow(Base):
    __tablename__ = "iv_snapshots"
    __table_args__ = (CheckConstraint("atm_iv_pct >= 0.5 AND atm_iv_pct <= 200", name="atm_iv_pct_bounds"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bucket: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    atm_iv_pct: Mapped[float] = mapped_column(Float, nullable=False)
    india_vix: Mapped[float | None] = mapped_column(Float, nullable=True)
    spot: Mapped[float | None] = mapped_column(Float, nullable=True)
    expiry: Mapped[date | None] = mapped_column(Date, nullable=True)
    is_proxy: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
