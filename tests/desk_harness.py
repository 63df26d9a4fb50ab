"""A desk wired like production (real database, simulator, snapshot engine) on a pinned clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import IST, FixedClock
from core.config.schema import NiftyConfig, parse_config
from core.domain.trading import ExitPlan, StrategyKind
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.simulator import SimulatedMarket
from core.persistence.db import session_factory
from core.persistence.models import EventRow
from core.services.desk import DeskService
from core.services.market import MarketService
from core.strategies.base import AlgoContext, AlgoResult, Candidate
from core.strategies.structures import StructureParams, build_structure

CAL = default_calendar()
MORNING = datetime(2026, 11, 25, 11, 0, tzinfo=IST)


@dataclass
class FixedAlgo:
    """Proposes one structure of ``kind`` every scan (a stand-in algorithm for desk tests)."""

    name: str = "range"
    kind: StrategyKind = StrategyKind.BULL_PUT_CREDIT
    profit_target: Decimal = Decimal("600")
    stop_loss: Decimal = Decimal("1500")
    max_sessions: int | None = None
    lots: int = 1
    params: StructureParams = field(default_factory=lambda: StructureParams(short_delta=0.2, width=100))

    def propose(self, ctx: AlgoContext) -> AlgoResult:
        snap = ctx.snapshot
        chain = snap.chain()
        built = build_structure(self.kind, chain, snap.spot.last, ctx.now, self.params)
        if not hasattr(built, "legs"):
            return AlgoResult(self.name, (), (built.reason,))
        cand = Candidate(
            structure=built,
            lots=self.lots,
            score=72.5,
            components=(),
            rationale="test candidate",
            exit_plan=ExitPlan(self.profit_target, self.stop_loss, self.max_sessions),
        )
        return AlgoResult(self.name, (cand,))


class Desk:
    def __init__(
        self, engine: Engine, *, config: NiftyConfig | None = None, at: datetime = MORNING, algos=None
    ) -> None:
        self.engine = engine
        self.clock = FixedClock(at)
        self.config = config or parse_config({"paper_trading": {"approval_price_tolerance": 0.5}})
        self.market_source = SimulatedMarket(CAL, seed=7)
        self.snapshots = SnapshotEngine(self.market_source, CAL, self.config, iv_history=self.market_source)
        self.market = MarketService(self.snapshots, self.clock)
        self.factory: sessionmaker[Session] = session_factory(engine)
        self.service = DeskService(
            factory=self.factory,
            config=self.config,
            calendar=CAL,
            clock=self.clock,
            market=self.market,
            algorithms=algos if algos is not None else [FixedAlgo()],
        )

    def events(self, kind: str | None = None) -> list[EventRow]:
        with self.factory() as s:
            q = select(EventRow).order_by(EventRow.id)
            if kind:
                q = q.where(EventRow.kind == kind)
            return list(s.scalars(q))
