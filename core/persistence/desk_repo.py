"""The desk's repository: maps suggestion, position, risk, equity and audit rows to domain objects.

A ``DeskRepository`` wraps one SQLAlchemy ``Session`` (one unit of work); the service layer opens it
with :func:`desk_uow`, which commits on success and rolls back on any error, so every change to a
position and its legs lands in one transaction or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, select, true, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from core.domain.market import OptionContract
from core.domain.money import ZERO, paise
from core.domain.trading import (
    Action,
    Charges,
    EquityPoint,
    ExitPlan,
    ExitReason,
    Position,
    PositionLeg,
    PositionStatus,
    StrategyKind,
    Suggestion,
    SuggestionStatus,
)
from core.persistence.codec import (
    charges_from_dict,
    charges_to_dict,
    suggestion_from_dict,
    suggestion_payload,
)
from core.persistence.db import transaction
from core.persistence.models.base import UTCDateTime
from core.persistence.models.desk import (
    ArchivedTradeRow,
    EquityPointRow,
    PositionLegRow,
    PositionRow,
    RiskStateRow,
    SuggestionRow,
    TradeDecisionRow,
)

_POS = PositionRow.__table__
_LEG = PositionLegRow.__table__
_OPEN = PositionStatus.OPEN.value
_OPEN_POSITIONS = select(_POS).where(_POS.c.status == _OPEN).order_by(_POS.c.id)
_OPEN_LEGS = (
    select(_LEG).join(_POS, _LEG.c.position_id == _POS.c.id).where(_POS.c.status == _OPEN).order_by(_LEG.c.id)
)
_OPEN_IDS = select(_POS.c.id).where(_POS.c.status == _OPEN)


def _realized_query() -> Any:
    since, until = bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime())
    closed = PositionRow.status == PositionStatus.CLOSED.value

    def total(column: Any, where: Any) -> Any:
        return select(func.coalesce(func.sum(column), 0)).where(where).scalar_subquery()

    return select(
        total(PositionRow.net_pnl, closed),
        total(
            PositionRow.net_pnl, and_(closed, PositionRow.closed_at >= since, PositionRow.closed_at < until)
        ),
        total(ArchivedTradeRow.net_pnl, true()),
        total(
            ArchivedTradeRow.net_pnl,
            and_(ArchivedTradeRow.closed_at >= since, ArchivedTradeRow.closed_at < until),
        ),
    )


_REALIZED = _realized_query()


def _dec(value: object) -> Decimal:
    return Decimal(str(value or 0))


def fingerprint(s: Suggestion) -> str:
    """Same algorithm, structure, expiry and strikes: the same idea (used to avoid duplicates)."""
    strikes = "/".join(
        f"{leg.action.value[0]}{leg.contract.strike:.0f}{leg.contract.option_type}"
        for leg in s.structure.legs
    )
    return f"{s.algorithm}:{s.structure.kind.value}:{s.structure.expiry.isoformat()}:{strikes}"


@contextmanager
def desk_uow(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[DeskRepository]:
    """A unit of work over the desk tables (see ``core.persistence.db.transaction``)."""
    with transaction(factory, write=write) as session:
        yield DeskRepository(session)


class DeskRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- suggestions ----------------------------------------------------------------------------
    def _suggestion(self, row: SuggestionRow) -> Suggestion:
        data = dict(row.payload)
        data.update(
            id=row.id,
            algorithm=row.algorithm,
            lots=row.lots,
            score=row.score,
            regime=row.regime,
            created_at=row.created_at.isoformat(),
            expires_at=row.expires_at.isoformat(),
            status=row.status,
            status_reason=row.status_reason,
            decided_by=row.decided_by,
            decided_at=row.decided_at.isoformat() if row.decided_at else None,
            position_id=row.position_id,
            commentary=row.commentary,
        )
        return suggestion_from_dict(data, f"suggestion {row.id}")

    def add_suggestion(self, s: Suggestion) -> Suggestion:
        row = SuggestionRow(
            algorithm=s.algorithm,
            kind=s.structure.kind.value,
            expiry=s.structure.expiry,
            lots=s.lots,
            score=round(s.score, 2),
            regime=s.regime.value,
            status=s.status.value,
            status_reason=s.status_reason,
            fingerprint=fingerprint(s),
            created_at=s.created_at,
            expires_at=s.expires_at,
            decided_by=s.decided_by,
            decided_at=s.decided_at,
            position_id=s.position_id,
            max_loss=s.max_loss,
            commentary=s.commentary,
            payload=suggestion_payload(s),
        )
        if s.id is not None:
            row.id = s.id
        self.session.add(row)
        self.session.flush()
        return self._suggestion(row)

    def get_suggestion(self, suggestion_id: int) -> Suggestion | None:
        row = self.session.get(SuggestionRow, suggestion_id)
        return None if row is None else self._suggestion(row)

    def suggestions(
        self, statuses: Sequence[SuggestionStatus] | None = None, limit: int | None = None
    ) -> list[Suggestion]:
        q = select(SuggestionRow).order_by(SuggestionRow.id.desc())
        if statuses:
            q = q.where(SuggestionRow.status.in_([s.value for s in statuses]))
        if limit:
            q = q.limit(limit)
        return [self._suggestion(r) for r in self.session.scalars(q)]

    def pending_with_fingerprint(self, fp: str) -> Suggestion | None:
        row = self.session.scalars(
            select(SuggestionRow).where(
                SuggestionRow.fingerprint == fp, SuggestionRow.status == SuggestionStatus.PENDING.value
            )
        ).first()
        return None if row is None else self._suggestion(row)

    def set_commentary(self, suggestion_id: int, text: str) -> None:
        self.session.execute(
            update(SuggestionRow).where(SuggestionRow.id == suggestion_id).values(commentary=text)
        )

    def transition(
        self,
        suggestion_id: int,
        *,
        from_: Sequence[SuggestionStatus],
        to: SuggestionStatus,
        reason: str | None = None,
        user_id: int | None = None,
        at: datetime | None = None,
        position_id: int | None = None,
        not_expired_at: datetime | None = None,
    ) -> bool:
        """Compare-and-set a suggestion's status in the database; True if this call made the change.

        Two approvers racing on one suggestion both run this UPDATE; the database lets exactly one see a
        row count of 1.
        """
        q = update(SuggestionRow).where(
            SuggestionRow.id == suggestion_id, SuggestionRow.status.in_([s.value for s in from_])
        )
        if not_expired_at is not None:
            q = q.where(SuggestionRow.expires_at > not_expired_at)
        values: dict[str, Any] = {"status": to.value, "status_reason": reason}
        if user_id is not None:
            values["decided_by"] = user_id
        if at is not None:
            values["decided_at"] = at
        if position_id is not None:
            values["position_id"] = position_id
        result = self.session.execute(q.values(**values).execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def expire_due(self, now: datetime) -> list[int]:
        """Mark pending suggestions past their expiry as expired; returns their ids."""
        ids = list(
            self.session.scalars(
                select(SuggestionRow.id).where(
                    SuggestionRow.status == SuggestionStatus.PENDING.value, SuggestionRow.expires_at <= now
                )
            )
        )
        expired = []
        for sid in ids:
            if self.transition(
                sid, from_=[SuggestionStatus.PENDING], to=SuggestionStatus.EXPIRED, reason="expired", at=now
            ):
                expired.append(sid)
        return expired

    # ---- positions ---------------------------------------------------------------------------------
    @staticmethod
    def _position(row: Any, leg_rows: Iterable[Any] | None = None) -> Position:
        """A domain position from an ORM row (its ``legs``) or from Core rows (``leg_rows`` given)."""
        legs = tuple(
            PositionLeg(
                contract=OptionContract(
                    tradingsymbol=leg.tradingsymbol,
                    instrument_token=int(leg.instrument_token),
                    expiry=leg.expiry,
                    strike=float(leg.strike),
                    option_type="CE" if leg.option_type == "CE" else "PE",
                    lot_size=leg.lot_size,
                ),
                action=Action(leg.action),
                quantity=leg.quantity,
                entry_price=leg.entry_price,
                exit_price=leg.exit_price,
                mark=leg.mark,
                id=leg.id,
            )
            for leg in (row.legs if leg_rows is None else leg_rows)
        )
        return Position(
            id=row.id,
            suggestion_id=row.suggestion_id,
            algorithm=row.algorithm,
            kind=StrategyKind(row.kind),
            expiry=row.expiry,
            lots=row.lots,
            lot_size=row.lot_size,
            legs=legs,
            exit_plan=ExitPlan(row.profit_target, row.stop_loss, row.max_sessions),
            opened_at=row.opened_at,
            opened_by=row.opened_by,
            status=PositionStatus(row.status),
            entry_charges=charges_from_dict(row.entry_charges),
            sessions_held=row.sessions_held,
            last_session_date=row.last_session_date,
            marked_at=row.marked_at,
            closed_at=row.closed_at,
            exit_reason=ExitReason(row.exit_reason) if row.exit_reason else None,
            exit_charges=charges_from_dict(row.exit_charges),
            max_loss=row.max_loss,
            margin=row.margin,
        )

    def add_position(self, p: Position) -> Position:
        """Insert a position with its legs (``p.id`` is ignored unless importing; 0 means new)."""
        row = PositionRow(
            suggestion_id=p.suggestion_id,
            algorithm=p.algorithm,
            kind=p.kind.value,
            expiry=p.expiry,
            lots=p.lots,
            lot_size=p.lot_size,
            status=p.status.value,
            opened_at=p.opened_at,
            opened_by=p.opened_by,
            closed_at=p.closed_at,
            exit_reason=p.exit_reason.value if p.exit_reason else None,
            profit_target=p.exit_plan.profit_target,
            stop_loss=p.exit_plan.stop_loss,
            max_sessions=p.exit_plan.max_sessions,
            sessions_held=p.sessions_held,
            last_session_date=p.last_session_date,
            marked_at=p.marked_at,
            max_loss=p.max_loss,
            margin=p.margin,
            entry_charges=charges_to_dict(p.entry_charges),
            exit_charges=None if p.is_open else charges_to_dict(p.exit_charges),
            gross_pnl=None if p.is_open else p.realized_pnl,
            net_pnl=None if p.is_open else p.net_realized_pnl,
            legs=[
                PositionLegRow(
                    tradingsymbol=leg.contract.tradingsymbol,
                    instrument_token=leg.contract.instrument_token,
                    expiry=leg.contract.expiry,
                    strike=Decimal(str(leg.contract.strike)),
                    option_type=leg.contract.option_type,
                    lot_size=leg.contract.lot_size,
                    action=leg.action.value,
                    quantity=leg.quantity,
                    entry_price=leg.entry_price,
                    exit_price=leg.exit_price,
                    mark=leg.mark,
                )
                for leg in p.legs
            ],
        )
        if p.id:
            row.id = p.id
        self.session.add(row)
        self.session.flush()
        return self._position(row)

    def _position_row(self, position_id: int, *, lock: bool = False) -> PositionRow | None:
        q = select(PositionRow).where(PositionRow.id == position_id).options(selectinload(PositionRow.legs))
        if lock:
            q = q.with_for_update()
        return self.session.scalars(q).first()

    def get_position(self, position_id: int) -> Position | None:
        row = self._position_row(position_id)
        return None if row is None else self._position(row)

    def position_for_suggestion(self, suggestion_id: int) -> Position | None:
        row = self.session.scalars(
            select(PositionRow)
            .where(PositionRow.suggestion_id == suggestion_id)
            .options(selectinload(PositionRow.legs))
        ).first()
        return None if row is None else self._position(row)

    def open_position_ids(self) -> set[int]:
        return set(
            self.session.scalars(
                select(PositionRow.id).where(PositionRow.status == PositionStatus.OPEN.value)
            )
        )

    def open_positions(self) -> list[Position]:
        """Open positions with their legs: two Core queries (no ORM objects; the monitor reads them
        every minute)."""
        legs: dict[int, list[Any]] = {}
        for leg in self.session.execute(_OPEN_LEGS):
            legs.setdefault(leg.position_id, []).append(leg)
        return [self._position(r, legs.get(r.id, ())) for r in self.session.execute(_OPEN_POSITIONS)]

    def closed_positions(
        self, since: datetime | None = None, until: datetime | None = None, limit: int | None = None
    ) -> list[Position]:
        """Closed positions, latest first, with their legs: two Core queries like ``open_positions``
        (/pnl and /history read them on every call)."""
        q = select(_POS).where(_POS.c.status == PositionStatus.CLOSED.value)
        if since is not None:
            q = q.where(_POS.c.closed_at >= since)
        if until is not None:
            q = q.where(_POS.c.closed_at < until)
        q = q.order_by(_POS.c.closed_at.desc(), _POS.c.id.desc())
        if limit:
            q = q.limit(limit)
        rows = list(self.session.execute(q))
        legs: dict[int, list[Any]] = {}
        if rows:
            chosen = select(q.subquery().c.id)  # the same positions, however many (no bound-id list)
            for leg in self.session.execute(
                select(_LEG).where(_LEG.c.position_id.in_(chosen)).order_by(_LEG.c.id)
            ):
                legs.setdefault(leg.position_id, []).append(leg)
        return [self._position(r, legs.get(r.id, ())) for r in rows]

    def all_positions(self) -> list[Position]:
        rows = self.session.scalars(
            select(PositionRow).options(selectinload(PositionRow.legs)).order_by(PositionRow.id)
        )
        return [self._position(r) for r in rows]

    def save_marks(
        self,
        position_id: int,
        marks: dict[int, Decimal | None],
        *,
        marked_at: datetime,
        sessions_held: int,
        last_session_date: date | None,
    ) -> None:
        # UPDATE statements instead of loading the position and its legs (the monitor marks every open
        # position every minute); rows already in the session are updated in place ("evaluate").
        done = self.session.execute(
            update(PositionRow)
            .where(PositionRow.id == position_id, PositionRow.status == PositionStatus.OPEN.value)
            .values(marked_at=marked_at, sessions_held=sessions_held, last_session_date=last_session_date)
        )
        if not getattr(done, "rowcount", 0):
            return
        rows = [{"id": leg_id, "mark": mark} for leg_id, mark in marks.items() if mark is not None]
        if rows:  # one executemany for all the legs (ORM bulk UPDATE by primary key)
            self.session.execute(update(PositionLegRow), rows)

    def save_marks_many(self, marked: Sequence[Position], marked_at: datetime) -> None:
        """Marks, sessions held and the mark time of several open positions: two executemany
        statements whatever the number of positions (the monitor's per-minute write)."""
        if not marked:
            return
        self.session.execute(
            update(PositionRow),
            [
                {
                    "id": p.id,
                    "marked_at": marked_at,
                    "sessions_held": p.sessions_held,
                    "last_session_date": p.last_session_date,
                }
                for p in marked
            ],
        )
        legs = [{"id": leg.id, "mark": leg.mark} for p in marked for leg in p.legs if leg.mark is not None]
        if legs:
            self.session.execute(update(PositionLegRow), legs)

    def close_position(
        self,
        position_id: int,
        *,
        exit_prices: dict[int, Decimal],
        exit_charges: Charges,
        reason: ExitReason,
        at: datetime,
        by: int | None,
    ) -> Position | None:
        """Close an OPEN position (row locked); None if it was already closed (idempotent)."""
        row = self._position_row(position_id, lock=True)
        if row is None or row.status != PositionStatus.OPEN.value:
            return None
        for leg in row.legs:
            leg.exit_price = exit_prices[leg.id]
            leg.mark = exit_prices[leg.id]
        row.status = PositionStatus.CLOSED.value
        row.closed_at = at
        row.closed_by = by
        row.exit_reason = reason.value
        row.exit_charges = charges_to_dict(exit_charges)
        self.session.flush()
        closed = self._position(row)
        row.gross_pnl = closed.realized_pnl
        row.net_pnl = closed.net_realized_pnl
        return closed

    def realized_net(self, since: datetime, until: datetime) -> tuple[Decimal, Decimal]:
        """(net realized P&L of every closed trade, of those closed in [since, until)), archived ones
        included, in one prebuilt query (the monitor asks every minute)."""
        live_all, live_in, arch_all, arch_in = self.session.execute(
            _REALIZED, {"since": since, "until": until}
        ).one()
        return paise(_dec(live_all) + _dec(arch_all)), paise(_dec(live_in) + _dec(arch_in))

    # ---- risk state ------------------------------------------------------------------------------
    def risk_row(self, capital: Decimal, now: datetime, *, lock: bool = False) -> RiskStateRow:
        """The one risk-state row (created with ``capital`` as the peak); read once per unit of work."""
        cached: RiskStateRow | None = getattr(self, "_risk_row", None)
        if cached is not None:
            return cached
        q = select(RiskStateRow).where(RiskStateRow.id == 1)
        if lock:
            q = q.with_for_update()
        row = self.session.scalars(q).first()
        if row is None:
            row = RiskStateRow(id=1, paused=False, tripped="", peak_equity=capital, updated_at=now)
            self.session.add(row)
            self.session.flush()
        self._risk_row = row
        return row

    # ---- equity ----------------------------------------------------------------------------------
    def add_equity_point(self, point: EquityPoint) -> None:
        self.session.add(
            EquityPointRow(
                at=point.at, realized=point.realized, unrealized=point.unrealized, equity=point.equity
            )
        )

    def equity_points(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[EquityPoint]:
        e = EquityPointRow
        # Columns, not entities: a day is ~380 points and /pnl draws them (no identity map needed).
        q = select(e.at, e.realized, e.unrealized, e.equity).order_by(e.at, e.id)
        if since is not None:
            q = q.where(e.at >= since)
        if until is not None:
            q = q.where(e.at < until)
        return [EquityPoint(*r) for r in self.session.execute(q)]

    def last_equity_point(self, before: datetime | None = None) -> EquityPoint | None:
        q = select(EquityPointRow).order_by(EquityPointRow.at.desc(), EquityPointRow.id.desc()).limit(1)
        if before is not None:
            q = q.where(EquityPointRow.at < before)
        r = self.session.scalars(q).first()
        return None if r is None else EquityPoint(r.at, r.realized, r.unrealized, r.equity)

    def peak_equity(self) -> Decimal | None:
        value = self.session.scalar(select(func.max(EquityPointRow.equity)))
        return None if value is None else Decimal(str(value))

    # ---- audit -----------------------------------------------------------------------------------
    def add_decision(self, row: TradeDecisionRow) -> None:
        self.session.add(row)

    def decisions(
        self,
        *,
        limit: int = 20,
        since: datetime | None = None,
        until: datetime | None = None,
        algorithm: str | None = None,
        outcome: str | None = None,
    ) -> list[TradeDecisionRow]:
        q = select(TradeDecisionRow).order_by(TradeDecisionRow.at.desc(), TradeDecisionRow.id.desc())
        if since is not None:
            q = q.where(TradeDecisionRow.at >= since)
        if until is not None:
            q = q.where(TradeDecisionRow.at < until)
        if algorithm:
            q = q.where(TradeDecisionRow.algorithm == algorithm)
        if outcome:
            q = q.where(TradeDecisionRow.outcome == outcome)
        return list(self.session.scalars(q.limit(limit)))

    # ---- archive ---------------------------------------------------------------------------------
    def archive_closed_before(
        self, cutoff: datetime, now: datetime, payloads: dict[int, Any]
    ) -> tuple[int, int]:
        """Move closed positions older than ``cutoff`` into ``archived_trades`` (whole records from
        ``payloads`` by position id) and delete final suggestions older than ``cutoff`` that no live
        position refers to. Returns (positions archived, suggestions deleted)."""
        rows = list(
            self.session.scalars(
                select(PositionRow)
                .where(PositionRow.status == PositionStatus.CLOSED.value, PositionRow.closed_at < cutoff)
                .options(selectinload(PositionRow.legs))
            )
        )
        for row in rows:
            assert row.closed_at is not None
            self.session.add(
                ArchivedTradeRow(
                    position_id=row.id,
                    algorithm=row.algorithm,
                    closed_at=row.closed_at,
                    gross_pnl=row.gross_pnl if row.gross_pnl is not None else ZERO,
                    net_pnl=row.net_pnl if row.net_pnl is not None else ZERO,
                    archived_at=now,
                    payload=payloads[row.id],
                )
            )
            self.session.delete(row)
        self.session.flush()
        referenced = select(PositionRow.suggestion_id).where(PositionRow.suggestion_id.is_not(None))
        final = [s.value for s in SuggestionStatus if s.final]
        old = list(
            self.session.scalars(
                select(SuggestionRow).where(
                    SuggestionRow.created_at < cutoff,
                    SuggestionRow.status.in_(final),
                    SuggestionRow.id.not_in(referenced),
                )
            )
        )
        for srow in old:
            self.session.delete(srow)
        self.session.flush()
        return len(rows), len(old)
