"""The trend algorithm: a debit spread in the direction the technicals agree on.

Buys a vertical (bull call or bear put) when at least ``min_agreement`` of the four trend votes
(Supertrend, EMA 9/21, VWAP, RSI; see ``core.strategies.signals``) agree and the EMAs have pulled apart
by ``min_strength``. Debit spreads want cheap premium, so the IV percentile must be at most
``max_iv_percentile``; an unknown IV percentile means no trade (never a neutral stand-in).

Parameters (``algorithms.trend.params``): long_delta 0.55, width 150, min_agreement 3, min_strength 0.2,
max_iv_percentile 70, entry_threshold 55, profit_target 0.6 (of max profit), stop_loss 0.5 (of the
debit), max_sessions 3, min_days 1.
"""

from __future__ import annotations

from core.domain.trading import ScoreComponent, StrategyKind, Unbuildable
from core.strategies.base import AlgoContext, AlgoResult, Candidate
from core.strategies.params import Params
from core.strategies.signals import choose_chain, debit_exit_plan, expiry_label, legs_text, levels, read_trend
from core.strategies.structures import StructureParams, build_structure

DEFAULTS = {
    "long_delta": 0.55,
    "width": 150.0,
    "min_agreement": 3,
    "min_strength": 0.2,
    "max_iv_percentile": 70.0,
    "entry_threshold": 55.0,
    "profit_target": 0.6,
    "stop_loss": 0.5,
    "max_sessions": 3,
    "min_days": 1.0,
}


class TrendFollower:
    name = "trend"

    def propose(self, ctx: AlgoContext) -> AlgoResult:
        p = Params("trend", DEFAULTS, ctx.algo.params)
        vol = ctx.snapshot.vol
        if vol is None or vol.iv_percentile is None:
            return AlgoResult(self.name, (), ("IV percentile unknown: no trade without the vol picture",))
        trend = read_trend(ctx.snapshot.technicals)
        if trend is None:
            return AlgoResult(self.name, (), ("technicals unknown",))
        if trend.bias == "neutral" or trend.agreement < p.whole("min_agreement"):
            return AlgoResult(self.name, (), (f"no trend: {trend.describe()}",))
        if trend.strength < p.num("min_strength"):
            return AlgoResult(self.name, (), (f"trend too weak: {trend.describe()}",))
        if vol.iv_percentile > p.num("max_iv_percentile"):
            return AlgoResult(
                self.name, (), (f"IV percentile {vol.iv_percentile:.0f} too high to buy premium",)
            )
        kind = StrategyKind.BULL_CALL_DEBIT if trend.bias == "bullish" else StrategyKind.BEAR_PUT_DEBIT
        chain = choose_chain(ctx.snapshot, ctx.now, p.num("min_days"))
        if chain is None or ctx.snapshot.spot is None:
            return AlgoResult(self.name, (), (f"no expiry at least {p.num('min_days'):g} day(s) away",))
        built = build_structure(
            kind,
            chain,
            ctx.snapshot.spot.last,
            ctx.now,
            StructureParams(long_delta=p.num("long_delta"), width=p.num("width")),
        )
        if isinstance(built, Unbuildable):
            return AlgoResult(self.name, (), (f"{kind.label}: {built.reason}",))
        reward = float(built.max_profit / built.max_loss) if built.max_loss > 0 else 0.0
        comps = (
            ScoreComponent("agreement", 10.0 * trend.agreement, 40, trend.describe()),
            ScoreComponent(
                "strength", round(25 * trend.strength, 1), 25, f"EMA spread {trend.strength * 2:.1f} ATR"
            ),
            ScoreComponent(
                "cheap premium",
                round(20 * (1 - vol.iv_percentile / 100), 1),
                20,
                f"IV pctile {vol.iv_percentile:.0f}",
            ),
            ScoreComponent("reward/risk", round(15 * min(reward / 2, 1.0), 1), 15, f"{reward:.2f}"),
        )
        total = round(sum(c.points for c in comps), 1)
        if total < p.num("entry_threshold"):
            return AlgoResult(
                self.name,
                (),
                (f"{kind.label} scores {total:.0f}, below the threshold {p.num('entry_threshold'):.0f}",),
            )
        plan = debit_exit_plan(built, p.num("profit_target"), p.num("stop_loss"), p.whole("max_sessions"))
        debit = -built.net_mid
        rationale = (
            f"Trend {trend.describe()} with IV percentile {vol.iv_percentile:.0f}: buy the "
            f"{kind.label.lower()} {expiry_label(built.expiry)} "
            f"({legs_text(built)}) "
            f"for {debit:.2f} per unit, up to {built.width - debit:.2f} "
            "if NIFTY moves through the short strike. "
            f"Invalidated if the trend votes flip or NIFTY crosses back through the breakeven "
            f"{levels(built.breakevens)}."
        )
        lots = min(ctx.algo.lots, ctx.config.paper_trading.max_lots_per_trade)
        return AlgoResult(self.name, (Candidate(built, lots, total, comps, rationale, plan, p.as_dict()),))
