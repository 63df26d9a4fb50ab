"""Replay statistics: pure functions of a :class:`~core.replay.runner.ReplayRun`.

Conventions: money is ``Decimal`` rupees (paise); ``gross`` is before charges, ``net`` after entry and
exit charges; a *trade* is a position closed during the replay (positions still open at the end are
counted apart, with their unrealized P&L at the last marks); a win is a trade with net P&L > 0.
Drawdowns are rupees below the running peak: for the whole desk on the equity curve (marked every
minute, unrealized included), for one algorithm on its cumulative net realized P&L in closing order
(an algorithm's unrealized swings are not separable on the shared equity curve). Holding time is wall
time from the fill to the exit (overnight included).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from core.domain.money import ZERO, paise
from core.domain.trading import EquityPoint, Position
from core.replay.runner import ReplayRun


@dataclass(frozen=True)
class TradeRow:
    """One closed trade for the CSV and the summary."""

    position_id: int
    algorithm: str
    structure: str
    regime: str
    expiry: date
    lots: int
    opened_at: datetime
    closed_at: datetime
    exit_reason: str
    gross: Decimal
    charges: Decimal
    net: Decimal

    @property
    def holding(self) -> timedelta:
        return self.closed_at - self.opened_at


@dataclass(frozen=True)
class AlgoStats:
    """The record of one algorithm (or ``overall``)."""

    name: str
    trades: int
    wins: int
    gross: Decimal
    charges: Decimal
    net: Decimal
    max_drawdown: Decimal  # rupees, >= 0
    avg_holding: timedelta | None
    exits: dict[str, int]  # exit reason value -> trades
    by_regime: dict[str, Decimal]  # regime value -> net P&L
    still_open: int = 0
    unrealized: Decimal = ZERO

    @property
    def win_rate(self) -> float | None:
        """Fraction 0-1 of trades with net P&L > 0; ``None`` without trades."""
        return self.wins / self.trades if self.trades else None


@dataclass(frozen=True)
class ReplayReport:
    start: date
    end: date
    source: str
    days: tuple[date, ...]
    skipped: tuple[tuple[date, str], ...]
    approval: str
    overall: AlgoStats
    algorithms: tuple[AlgoStats, ...]
    trades: tuple[TradeRow, ...]
    equity: tuple[EquityPoint, ...]
    capital: Decimal
    steps: int
    scans: int
    suggested: int
    approved: int
    refused: int
    wall_seconds: float
    cpu_seconds: float

    def stats(self, algorithm: str) -> AlgoStats | None:
        return next((a for a in self.algorithms if a.name == algorithm), None)

    @property
    def days_per_second(self) -> float | None:
        return len(self.days) / self.cpu_seconds if self.cpu_seconds > 0 and self.days else None


def trade_rows(run: ReplayRun) -> list[TradeRow]:
    out = []
    for p in run.positions:
        if p.is_open or p.closed_at is None:
            continue
        out.append(
            TradeRow(
                position_id=p.id,
                algorithm=p.algorithm,
                structure=p.kind.value,
                regime=run.regimes.get(p.id, "unknown"),
                expiry=p.expiry,
                lots=p.lots,
                opened_at=p.opened_at,
                closed_at=p.closed_at,
                exit_reason=p.exit_reason.value if p.exit_reason else "unknown",
                gross=p.realized_pnl,
                charges=p.charges.total,
                net=p.net_realized_pnl,
            )
        )
    return sorted(out, key=lambda t: (t.closed_at, t.position_id))


def drawdown(values: Sequence[Decimal], start: Decimal = ZERO) -> Decimal:
    """Largest fall below the running peak of ``values`` (a running peak that starts at ``start``)."""
    peak, worst = start, ZERO
    for v in values:
        peak = max(peak, v)
        worst = max(worst, peak - v)
    return paise(worst)


def cumulative(nets: Sequence[Decimal]) -> list[Decimal]:
    total, out = ZERO, []
    for n in nets:
        total += n
        out.append(total)
    return out


def stats(name: str, trades: Sequence[TradeRow], still_open: Sequence[Position]) -> AlgoStats:
    by_regime: dict[str, Decimal] = {}
    for t in trades:
        by_regime[t.regime] = paise(by_regime.get(t.regime, ZERO) + t.net)
    holding = [t.holding for t in trades]
    return AlgoStats(
        name=name,
        trades=len(trades),
        wins=sum(1 for t in trades if t.net > 0),
        gross=paise(sum((t.gross for t in trades), ZERO)),
        charges=paise(sum((t.charges for t in trades), ZERO)),
        net=paise(sum((t.net for t in trades), ZERO)),
        max_drawdown=drawdown(cumulative([t.net for t in trades])),
        avg_holding=sum(holding, timedelta()) / len(holding) if holding else None,
        exits=dict(sorted(Counter(t.exit_reason for t in trades).items())),
        by_regime=dict(sorted(by_regime.items())),
        still_open=len(still_open),
        unrealized=paise(sum((p.unrealized_pnl for p in still_open), ZERO)),
    )


def build_report(run: ReplayRun) -> ReplayReport:
    trades = trade_rows(run)
    open_now = [p for p in run.positions if p.is_open]
    per_algo = tuple(
        stats(a, [t for t in trades if t.algorithm == a], [p for p in open_now if p.algorithm == a])
        for a in run.algorithms
    )
    overall = stats("overall", trades, open_now)
    curve_dd = drawdown([pt.equity for pt in run.equity], run.capital)
    overall = AlgoStats(**{**overall.__dict__, "max_drawdown": curve_dd})
    req = run.request
    return ReplayReport(
        start=req.start,
        end=req.end,
        source=req.source,
        days=run.days,
        skipped=run.skipped,
        approval=req.approve.describe(),
        overall=overall,
        algorithms=per_algo,
        trades=tuple(trades),
        equity=run.equity,
        capital=run.capital,
        steps=run.steps,
        scans=run.scans,
        suggested=run.suggested,
        approved=run.approved,
        refused=run.refused,
        wall_seconds=run.wall_seconds,
        cpu_seconds=run.cpu_seconds,
    )
