"""The interface every algorithm implements, and what it returns.

An algorithm is a pure function of a :class:`AlgoContext` (the snapshot, the risk state, open
positions, its config and "now"): it proposes candidates with a 0-100 score (and the components behind
it), a rationale built from the numbers, its dynamic parameters and an exit plan. Gates are run by the
desk on every candidate, the same way for every algorithm. When an algorithm cannot or will not trade
(unknown volatility picture, no signal, no buildable structure) it returns no candidates and says why
in ``notes`` — never a neutral 50.0/0.5 stand-in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from core.config.schema import AlgorithmConfig, NiftyConfig
from core.domain.market import MarketSnapshot
from core.domain.trading import ExitPlan, Position, RiskState, ScoreComponent, Structure
from core.market_hours import NSECalendar


@dataclass(frozen=True)
class AlgoContext:
    now: datetime
    calendar: NSECalendar
    config: NiftyConfig
    algo: AlgorithmConfig
    snapshot: MarketSnapshot
    risk: RiskState
    open_positions: Sequence[Position]


@dataclass(frozen=True)
class Candidate:
    structure: Structure
    lots: int
    score: float
    components: tuple[ScoreComponent, ...]
    rationale: str
    exit_plan: ExitPlan
    params: Mapping[str, float | int | str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class AlgoResult:
    algorithm: str
    candidates: tuple[Candidate, ...] = ()
    notes: tuple[str, ...] = ()  # why nothing was proposed, or what was skipped


class Algorithm(Protocol):
    name: str

    def propose(self, ctx: AlgoContext) -> AlgoResult: ...
