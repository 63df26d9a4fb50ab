"""NIFTY ATM IV history (seed: ``core/iv_history.py``): intraday snapshots and their daily closes.

Units and conventions:

- ``atm_iv_pct`` is in PERCENT (14.2 = 14.2%) as the seed stored it; what leaves through
  :meth:`IVHistoryStore.iv_history` is a DECIMAL (0.142), what the analytics core expects.
- Values outside [0.5, 200] percent, NaN or missing are refused with ``DataValidationError``
  (``core.analytics.validation.validate_iv_storage``); the table's CHECK constraint refuses them too.
- De-duplication: one snapshot per 5-minute slot, slots aligned to the clock (09:15-09:20 IST ...;
  IST's +05:30 offset is a whole number of slots, so UTC and IST slots coincide). The slot number is a
  UNIQUE column, so the DATABASE keeps the first snapshot of a slot even when two processes insert at
  once. This differs from the seed's "nothing in the last 5 minutes" rule, which a database cannot
  enforce.
- The daily close of an IST day is its last real snapshot; a day with no real snapshot falls back to a
  proxy row when one was backfilled.
- Proxy rows: India VIX daily closes stand in for ATM IV on days nothing was recorded (VIX is NIFTY's
  30-day implied vol in percent, so it is the same kind of number as near-ATM IV, though usually a
  little above the nearest weekly's ATM IV). They are stamped 15:30 IST (the VIX close) and carry
  ``is_proxy``; a real snapshot in the same slot replaces a proxy, and a real snapshot anywhere in the
  day outranks it for the daily close.
- Unknown stays unknown: no history gives an empty series, never a neutral 50.0.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, cast

import pandas as pd
from sqlalchemy import Engine, Table, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.analytics.validation import validate_iv_storage
from core.clock import IST
from core.errors import ConfigError, DataValidationError
from core.marketdata.ports import INDIA_VIX, MarketDataSource
from core.persistence.db import session_factory, transaction
from core.persistence.models.iv_history import IVSnapshotRow

log = logging.getLogger(__name__)

BUCKET = timedelta(minutes=5)
PROXY_TIME = time(15, 30)  # India VIX closes with the equity market
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TABLE = cast(Table, IVSnapshotRow.__table__)
_CHUNK = 500  # rows per INSERT: well under SQLite's bound-parameter limit


def bucket_of(taken_at: datetime) -> int:
    """The 5-minute slot of an aware moment: whole 5-minute periods since the Unix epoch."""
    if taken_at.tzinfo is None:
        raise ValueError("bucket_of needs an aware datetime")
    return (taken_at - _EPOCH) // BUCKET


@dataclass(frozen=True)
class IVSnapshot:
    """One stored snapshot. ``atm_iv_pct`` is percent; ``is_proxy`` marks India VIX stand-ins."""

    taken_at: datetime
    atm_iv_pct: float
    india_vix: float | None = None
    spot: float | None = None
    expiry: date | None = None
    is_proxy: bool = False

    @property
    def day(self) -> date:
        """The IST trading day of the snapshot."""
        return self.taken_at.astimezone(IST).date()

    @property
    def atm_iv(self) -> float:
        """ATM IV as a decimal (0.142 = 14.2%)."""
        return self.atm_iv_pct / 100.0


class RecordOutcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # a real snapshot already holds this 5-minute slot
    REPLACED_PROXY = "replaced_proxy"  # the slot held a proxy row; the real snapshot replaced it


@dataclass(frozen=True)
class BackfillReport:
    """What a proxy backfill did: rows inserted, days that already had data, values refused."""

    inserted: int
    existing: int
    refused: tuple[str, ...] = ()


def _optional_level(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or value <= 0:
        raise DataValidationError(
            f"IV snapshot not stored: {name} must be a positive number or unknown (None), not {value}.",
            errors=[f"{name}={value}"],
        )
    return float(value)


def _insert_for(engine: Engine) -> Callable[..., Any]:
    name = engine.dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise ConfigError(f"The IV history store supports SQLite and PostgreSQL, not {name}.")


def _snapshot(row: Any) -> IVSnapshot:
    return IVSnapshot(
        taken_at=row.taken_at,
        atm_iv_pct=float(row.atm_iv_pct),
        india_vix=row.india_vix,
        spot=row.spot,
        expiry=row.expiry,
        is_proxy=bool(row.is_proxy),
    )


class IVHistoryStore:
    """ATM IV snapshots in the database; also the engine's ``IVHistoryProvider``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._factory = session_factory(engine)
        self._insert = _insert_for(engine)

    # ---- writing ------------------------------------------------------------------------------
    def record(
        self,
        taken_at: datetime,
        atm_iv_pct: float | None,
        *,
        india_vix: float | None = None,
        spot: float | None = None,
        expiry: date | None = None,
    ) -> RecordOutcome:
        """Store a real snapshot unless its 5-minute slot already holds one (then DUPLICATE)."""
        check = validate_iv_storage(atm_iv_pct, taken_at)
        if not check.valid:
            raise DataValidationError(f"ATM IV not stored: {'; '.join(check.errors)}.", errors=check.errors)
        assert atm_iv_pct is not None  # validated above
        values = {
            "bucket": bucket_of(taken_at),
            "taken_at": taken_at,
            "day": taken_at.astimezone(IST).date(),
            "atm_iv_pct": float(atm_iv_pct),
            "india_vix": _optional_level("India VIX", india_vix),
            "spot": _optional_level("spot", spot),
            "expiry": expiry,
            "is_proxy": False,
        }
        # RETURNING says which rows changed on both backends (psycopg reports no rowcount here).
        with transaction(self._factory) as session:
            inserted = session.execute(
                self._insert(_TABLE)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["bucket"])
                .returning(_TABLE.c.id)
            ).all()
            if inserted:
                return RecordOutcome.STORED
            replaced = session.execute(
                update(_TABLE)
                .where(and_(_TABLE.c.bucket == values["bucket"], _TABLE.c.is_proxy.is_(True)))
                .values(**values)
                .returning(_TABLE.c.id)
            ).all()
            return RecordOutcome.REPLACED_PROXY if replaced else RecordOutcome.DUPLICATE

    def backfill_from_vix(self, vix_daily: pd.DataFrame | pd.Series) -> BackfillReport:
        """Insert proxy rows from India VIX daily closes for days with no snapshot at all.

        ``vix_daily`` is a series of closes (or a frame with a ``close`` column) indexed by date, as
        ``MarketDataSource.daily_history(INDIA_VIX, ...)`` returns it. NaN closes and values outside
        [0.5, 200] are refused one by one (listed in the report); days that already hold any row are
        left alone.
        """
        closes = vix_daily["close"] if isinstance(vix_daily, pd.DataFrame) else vix_daily
        if closes.empty:
            return BackfillReport(0, 0)
        days = [pd.Timestamp(i).date() for i in closes.index]
        with self._factory() as session:
            have = set(
                session.scalars(
                    select(_TABLE.c.day).where(_TABLE.c.day >= min(days), _TABLE.c.day <= max(days))
                )
            )
        rows: list[dict[str, Any]] = []
        refused: list[str] = []
        existing = 0
        for day, value in zip(days, closes.to_numpy(dtype=float), strict=True):
            if day in have:
                existing += 1
                continue
            taken_at = datetime.combine(day, PROXY_TIME, IST)
            check = validate_iv_storage(value if math.isfinite(value) else None, taken_at)
            if not check.valid:
                refused.append(f"{day}: {'; '.join(check.errors)}")
                continue
            rows.append(
                {
                    "bucket": bucket_of(taken_at),
                    "taken_at": taken_at,
                    "day": day,
                    "atm_iv_pct": float(value),
                    "india_vix": float(value),
                    "spot": None,
                    "expiry": None,
                    "is_proxy": True,
                }
            )
            have.add(day)
        inserted = 0
        with transaction(self._factory) as session:
            for chunk in range(0, len(rows), _CHUNK):
                inserted += len(
                    session.execute(
                        self._insert(_TABLE)
                        .values(rows[chunk : chunk + _CHUNK])
                        .on_conflict_do_nothing(index_elements=["bucket"])
                        .returning(_TABLE.c.id)
                    ).all()
                )
        if refused:
            log.warning("IV proxy backfill refused %d India VIX closes: %s", len(refused), "; ".join(refused))
        return BackfillReport(inserted, existing + len(rows) - inserted, tuple(refused))

    async def backfill(self, source: MarketDataSource, now: datetime, days: int = 252) -> BackfillReport:
        """Backfill proxies from ``source``'s India VIX daily closes for the ``days`` sessions before now."""
        vix = await source.daily_history(INDIA_VIX, now, days)
        return await asyncio.to_thread(self.backfill_from_vix, vix)

    # ---- reading ------------------------------------------------------------------------------
    def snapshots(self, start: datetime, end: datetime, *, include_proxy: bool = True) -> list[IVSnapshot]:
        """Snapshots with ``start <= taken_at < end`` (aware bounds), oldest first."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("snapshots needs aware bounds")
        query = select(_TABLE).where(_TABLE.c.taken_at >= start, _TABLE.c.taken_at < end)
        if not include_proxy:
            query = query.where(_TABLE.c.is_proxy.is_(False))
        with self._factory() as session:
            return [_snapshot(r) for r in session.execute(query.order_by(_TABLE.c.taken_at))]

    def _closes_query(self, include_proxy: bool) -> Any:
        rank = (
            func.row_number()
            .over(partition_by=_TABLE.c.day, order_by=(_TABLE.c.is_proxy.asc(), _TABLE.c.taken_at.desc()))
            .label("rank")
        )
        inner = select(_TABLE, rank)
        if not include_proxy:
            inner = inner.where(_TABLE.c.is_proxy.is_(False))
        return inner

    def daily_closes(self, start: date, end: date, *, include_proxy: bool = True) -> list[IVSnapshot]:
        """The closing snapshot of each IST day in ``[start, end]``: the last real one, else a proxy."""
        inner = self._closes_query(include_proxy).where(_TABLE.c.day >= start, _TABLE.c.day <= end).subquery()
        query = select(inner).where(inner.c.rank == 1).order_by(inner.c.day)
        with self._factory() as session:
            return [_snapshot(r) for r in session.execute(query)]

    def iv_history(self, now: datetime, days: int = 252, *, include_proxy: bool = True) -> pd.Series:
        """Daily ATM IV closes as DECIMALS for the last ``days`` IST days before ``now``'s day.

        Indexed by date (a naive DatetimeIndex named ``date``), oldest first; empty when nothing is
        stored. Today is left out: its last snapshot is not a close yet.
        """
        if now.tzinfo is None:
            raise ValueError("iv_history needs an aware datetime")
        if days < 1:
            return pd.Series(dtype=float, index=pd.DatetimeIndex([], name="date"), name="atm_iv")
        today = now.astimezone(IST).date()
        inner = self._closes_query(include_proxy).where(_TABLE.c.day < today).subquery()
        query = select(inner.c.day, inner.c.atm_iv_pct).where(inner.c.rank == 1)
        query = query.order_by(inner.c.day.desc()).limit(days)
        with self._factory() as session:
            rows = list(session.execute(query))
        rows.reverse()
        index = pd.DatetimeIndex([pd.Timestamp(r.day) for r in rows], name="date")
        return pd.Series([float(r.atm_iv_pct) / 100.0 for r in rows], index=index, dtype=float, name="atm_iv")
