"""Read-only views: P&L by period, trade history, the decision audit, positions with marks."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import IST, Clock
from core.config.schema import NiftyConfig
from core.domain.market import MarketSnapshot
from core.domain.money import ZERO, paise
from core.domain.trading import Position
from core.paper.audit import TradeDecisionLog
from core.paper.risk import equity, open_value
from core.persistence.desk_repo import desk_uow
from core.persistence.models import (
    ArchivedTradeRow,
    EquityPointRow,
    PositionRow,
    SuggestionRow,
    TradeDecisionRow,
)
from core.persistence.writes import WriteCounter
from core.services.results import PnlReport, PositionView

PERIODS = ("day", "week", "month", "all")


_DESK_VERSION = select(
    select(func.max(TradeDecisionRow.id)).scalar_subquery(),
    select(func.max(EquityPointRow.id)).scalar_subquery(),
    select(func.max(SuggestionRow.id)).scalar_subquery(),
    select(func.max(PositionRow.id)).scalar_subquery(),
    select(func.count(ArchivedTradeRow.position_id)).scalar_subquery(),
    select(func.count(SuggestionRow.id)).where(SuggestionRow.status == "pending").scalar_subquery(),
    select(func.count(PositionRow.id)).where(PositionRow.status == "open").scalar_subquery(),
)


def period_start(period: str, now: datetime) -> datetime:
    """Start of the IST day, week (Monday) or month holding ``now``; 'all' is the epoch of the desk."""
    local = now.astimezone(IST)
    day = datetime.combine(local.date(), datetime.min.time(), IST)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=local.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "all":
        return datetime(2000, 1, 1, tzinfo=IST)
    raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")


def position_view(p: Position, snapshot: MarketSnapshot | None = None) -> PositionView:
    """A position with its P&L per lot and, when the snapshot quotes every leg, its net delta and theta
    for the whole position (delta in NIFTY points × units; theta in rupees per day)."""
    delta: float | None = None
    theta: float | None = None
    chain = snapshot.chain(p.expiry) if snapshot is not None else None
    if chain is not None and len(chain.frame):
        greeks = chain.greeks
        try:
            picked = [greeks[leg.contract.tradingsymbol] for leg in p.legs]
            d = sum(leg.action.sign * leg.quantity * g[0] for leg, g in zip(p.legs, picked, strict=True))
            th = sum(leg.action.sign * leg.quantity * g[1] for leg, g in zip(p.legs, picked, strict=True))
            if math.isfinite(d) and math.isfinite(th):
                delta, theta = d, th
        except KeyError:
            pass
    per_lot = paise(p.unrealized_pnl / p.lots) if p.lots else ZERO
    return PositionView(p, p.unrealized_pnl, per_lot, delta, theta, p.marked_at)


class ReportService:
    """``writes``: the engine's write counter (core/persistence/writes.py); with it, :meth:`version`
    asks the database at most every ``probe_seconds`` (``monotonic`` seconds) instead of on every call."""

    def __init__(
        self,
        *,
        factory: sessionmaker[Session],
        config: NiftyConfig,
        clock: Clock,
        writes: WriteCounter | None = None,
        probe_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.factory = factory
        self.config = config
        self.clock = clock
        self.writes = writes
        self.probe_seconds = probe_seconds
        self._monotonic = monotonic
        self._probed: tuple[object, ...] = ()
        self._probed_at: float | None = None

    def version(self) -> tuple[object, ...]:
        """A signature of the desk's state that changes with every decision, fill, exit, mark (the
        monitor adds an equity point each run), new or decided suggestion, archive and risk change (each
        is an audit row): read views rendered at the same signature show the same thing.

        A change this process commits moves the write counter at once; a change another process commits
        (the CLI's ``state import`` or ``archive``) shows in the database's own signature, which is read
        at most every ``probe_seconds`` (without a counter: on every call)."""
        if self.writes is None:
            return self.desk_signature()
        now = self._monotonic()
        if self._probed_at is None or not 0 <= now - self._probed_at < self.probe_seconds:
            self._probed, self._probed_at = self.desk_signature(), now
        return (self.writes.value, *self._probed)

    def desk_signature(self) -> tuple[object, ...]:
        """The desk's signature as the database has it (one query over the desk tables)."""
        with self.factory() as s:
            return tuple(s.execute(_DESK_VERSION).one())

    def positions(self, snapshot: MarketSnapshot | None = None) -> list[PositionView]:
        with desk_uow(self.factory, write=False) as repo:
            return [position_view(p, snapshot) for p in repo.open_positions()]

    def pnl(self, period: str = "day") -> PnlReport:
        now = self.clock.now()
        since = period_start(period, now)
        with desk_uow(self.factory, write=False) as repo:
            closed = repo.closed_positions(since=since, until=now + timedelta(seconds=1))
            opens = repo.open_positions()
            realized_total, realized_in_period = repo.realized_net(since, now + timedelta(seconds=1))
            curve = repo.equity_points(since=since)
            archived_net = realized_in_period - paise(sum((p.net_realized_pnl for p in closed), ZERO))
        gross = paise(sum((p.realized_pnl for p in closed), ZERO))
        charges = paise(sum((p.charges.total for p in closed), ZERO))
        return PnlReport(
            period=period,
            since=since,
            until=now,
            gross_realized=gross,
            charges=charges,
            net_realized=paise(gross - charges + archived_net),
            unrealized=open_value(opens),
            trades_closed=len(closed),
            wins=sum(1 for p in closed if p.net_realized_pnl > 0),
            losses=sum(1 for p in closed if p.net_realized_pnl <= 0),
            equity=equity(self.config.paper_trading.capital, realized_total, opens),
            equity_curve=tuple(curve),
            closed=tuple(closed),
        )

    def history(self, n: int = 10) -> list[Position]:
        with desk_uow(self.factory, write=False) as repo:
            return repo.closed_positions(limit=n)

    def audit(
        self,
        n: int = 20,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        algorithm: str | None = None,
        outcome: str | None = None,
    ) -> list[TradeDecisionLog]:
        with desk_uow(self.factory, write=False) as repo:
            rows = repo.decisions(limit=n, since=since, until=until, algorithm=algorithm, outcome=outcome)
            return [TradeDecisionLog.from_row(r) for r in rows]
