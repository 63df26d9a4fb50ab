"""The range algorithm: sell premium (iron condor, or a credit spread) when IV is rich and trend weak.

Trades when the IV percentile is at least ``min_iv_percentile`` and the trend is weak (EMA spread below
``max_strength`` of the scale and at most ``max_agreement`` of the four votes agreeing). A neutral
reading sells an iron condor; a mild lean sells the credit spread on the side away from it. An unknown
IV percentile means no trade.

Parameters (``algorithms.range.params``): short_delta 0.18, width 100, min_iv_percentile 50,
max_strength 0.5, max_agreement 3, min_credit_width 0.15, entry_threshold 55, profit_target 0.5 (of the
credit), stop_loss 2.0 (× the credit), max_sessions 5, min_days 2, buffer_atr 0.5.
"""

from __future__ import annotations

from core.domain.trading import ScoreComponent, StrategyKind, Unbuildable
from core.strategies.base import AlgoContext, AlgoResult, Candidate
from core.strategies.params import Params
from core.strategies.signals import (
    choose_chain,
    credit_exit_plan,
    expiry_label,
    legs_text,
    levels,
    read_trend,
)
from core.strategies.structures import StructureParams, build_structure

DEFAULTS = {
    "short_delta": 0.18,
    "width": 100.0,
    "min_iv_percentile": 50.0,
    "max_strength": 0.5,
    "max_agreement": 3,
    "min_credit_width": 0.15,
    "entry_threshold": 55.0,
    "profit_target": 0.5,
    "stop_loss": 2.0,
    "max_sessions": 5,
    "min_days": 2.0,
    "buffer_atr": 0.5,
}


class RangeSeller:
    name = "range"

    def propose(self, ctx: AlgoContext) -> AlgoResult:
        p = Params("range", DEFAULTS, ctx.algo.params)
        vol = ctx.snapshot.vol
        if vol is None or vol.iv_percentile is None:
            return AlgoResult(self.name, (), ("IV percentile unknown: no premium selling without it",))
        if vol.iv_percentile < p.num("min_iv_percentile"):
            return AlgoResult(
                self.name,
                (),
                (f"IV percentile {vol.iv_percentile:.0f} < {p.num('min_iv_percentile'):.0f}: cheap premium",),
            )
        trend = read_trend(ctx.snapshot.technicals)
        if trend is None:
            return AlgoResult(self.name, (), ("technicals unknown",))
        if trend.strength > p.num("max_strength") or trend.agreement > p.whole("max_agreement"):
            return AlgoResult(self.name, (), (f"market is trending: {trend.describe()}",))
        if trend.direction > 0:
            kind = StrategyKind.BULL_PUT_CREDIT
        elif trend.direction < 0:
            kind = StrategyKind.BEAR_CALL_CREDIT
        else:
            kind = StrategyKind.IRON_CONDOR
        if abs(trend.direction) <= 0.25:
            kind = StrategyKind.IRON_CONDOR
        chain = choose_chain(ctx.snapshot, ctx.now, p.num("min_days"))
        if chain is None or ctx.snapshot.spot is None:
            return AlgoResult(self.name, (), (f"no expiry at least {p.num('min_days'):g} days away",))
        atr = ctx.snapshot.technicals.daily_atr if ctx.snapshot.technicals else None
        buffer = p.num("buffer_atr") * atr if atr else 0.0
        built = build_structure(
            kind,
            chain,
            ctx.snapshot.spot.last,
            ctx.now,
            StructureParams(short_delta=p.num("short_delta"), width=p.num("width"), buffer=buffer),
        )
        if isinstance(built, Unbuildable):
            return AlgoResult(self.name, (), (f"{kind.label}: {built.reason}",))
        ctw = built.credit_to_width or 0.0
        if ctw < p.num("min_credit_width"):
            return AlgoResult(
                self.name,
                (),
                (f"{kind.label}: credit/width {ctw:.2f} below {p.num('min_credit_width'):.2f}",),
            )
        pop = built.pop or 0.0
        comps = (
            ScoreComponent(
                "IV rich", round(35 * vol.iv_percentile / 100, 1), 35, f"IV pctile {vol.iv_percentile:.0f}"
            ),
            ScoreComponent("calm trend", round(25 * (1 - trend.strength), 1), 25, trend.describe()),
            ScoreComponent("credit/width", round(20 * min(ctw / 0.4, 1.0), 1), 20, f"{ctw:.2f}"),
            ScoreComponent("probability of profit", round(20 * pop, 1), 20, f"POP {pop:.0%}"),
        )
        total = round(sum(c.points for c in comps), 1)
        if total < p.num("entry_threshold"):
            return AlgoResult(
                self.name,
                (),
                (f"{kind.label} scores {total:.0f}, below the threshold {p.num('entry_threshold'):.0f}",),
            )
        plan = credit_exit_plan(built, p.num("profit_target"), p.num("stop_loss"), p.whole("max_sessions"))
        rationale = (
            f"IV percentile {vol.iv_percentile:.0f} with a calm market ({trend.describe()}): sell the "
            f"{kind.label.lower()} {expiry_label(built.expiry)} "
            f"({legs_text(built)}) "
            f"for {built.net_mid:.2f} per unit ({ctw:.2f} of the width), POP {pop:.0%}. "
            f"Invalidated by a breakout beyond {levels(built.breakevens)} or an IV spike."
        )
        lots = min(ctx.algo.lots, ctx.config.paper_trading.max_lots_per_trade)
        return AlgoResult(self.name, (Candidate(built, lots, total, comps, rationale, plan, p.as_dict()),))
