"""Atlas (the seed's V4): a regime-adaptive premium seller with 9 dynamic parameters.

1. Regime: the mean of the IV, India VIX and realized-vol percentiles (0-100) classified by
   ``core.analytics.vol_distribution.classify_regime`` (low < 20 ≤ normal < 45 ≤ elevated < 70 ≤ high
   < 90 ≤ extreme). Any unknown percentile: no trade, and the note says which (no neutral 0.5 stand-in).
2. Parameters: looked up in :data:`REGIME_TABLE` for the regime, the strike buffer widened by trend
   strength, the size scaled by the regime, and every value clamped to its bounds (:data:`BOUNDS`,
   overridable per parameter with ``<name>_min`` / ``<name>_max`` in ``algorithms.atlas.params``).
3. Structure: low vol with a clear trend → a debit spread with the trend (premium is cheap); low vol
   without one → stand aside. Otherwise sell premium: neutral trend → iron condor; bullish → bull put
   spread; bearish → bear call spread; in the extreme regime only the credit spread against the move.
4. Score 0-100 from five components (vol edge, IV over RV, trend fit, credit quality, POP); a candidate
   needs the regime's entry threshold and, for credit structures, the minimum credit/width.

docs/algorithms.md has the table with the reasoning behind each number.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from core.analytics.vol_distribution import classify_regime
from core.domain.market import VolRegime, VolSnapshot
from core.domain.trading import ScoreComponent, StrategyKind, Structure, Unbuildable
from core.errors import ConfigError
from core.strategies.base import AlgoContext, AlgoResult, Candidate
from core.strategies.signals import (
    Trend,
    choose_chain,
    clamp,
    credit_exit_plan,
    debit_exit_plan,
    expiry_label,
    legs_text,
    levels,
    read_trend,
)
from core.strategies.structures import StructureParams, build_structure

PARAM_NAMES: Final = (
    "short_delta",  # |delta| of the short strike(s)
    "wing_width",  # points between short and long strikes
    "profit_target",  # fraction of the max profit (credit) to take
    "stop_loss",  # multiple of the credit lost that stops the trade (debit: fraction of the debit)
    "entry_threshold",  # minimum score to suggest
    "size_factor",  # multiplier on the configured lots
    "max_sessions",  # sessions held before a time exit
    "min_credit_width",  # minimum credit / width for credit structures
    "buffer_atr",  # short strike at least this many daily ATRs from spot
)


@dataclass(frozen=True)
class AtlasParams:
    short_delta: float
    wing_width: float
    profit_target: float
    stop_loss: float
    entry_threshold: float
    size_factor: float
    max_sessions: int
    min_credit_width: float
    buffer_atr: float

    def as_dict(self) -> dict[str, float | int]:
        return {name: getattr(self, name) for name in PARAM_NAMES}


# regime -> (short_delta, wing_width, profit_target, stop_loss, entry_threshold, size_factor,
#            max_sessions, min_credit_width, buffer_atr)
REGIME_TABLE: Final = MappingProxyType(
    {
        VolRegime.LOW: AtlasParams(0.30, 100, 0.60, 0.50, 65, 1.0, 3, 0.25, 0.0),
        VolRegime.NORMAL: AtlasParams(0.20, 100, 0.50, 2.0, 60, 1.0, 4, 0.15, 0.4),
        VolRegime.ELEVATED: AtlasParams(0.18, 100, 0.50, 2.0, 58, 1.0, 5, 0.13, 0.6),
        VolRegime.HIGH: AtlasParams(0.15, 150, 0.55, 2.5, 62, 0.5, 5, 0.11, 0.8),
        VolRegime.EXTREME: AtlasParams(0.12, 200, 0.60, 2.5, 75, 0.5, 3, 0.09, 1.0),
    }
)

BOUNDS: Final = MappingProxyType(
    {
        "short_delta": (0.05, 0.45),
        "wing_width": (50.0, 400.0),
        "profit_target": (0.25, 0.90),
        "stop_loss": (0.25, 3.0),
        "entry_threshold": (40.0, 90.0),
        "size_factor": (0.25, 2.0),
        "max_sessions": (1.0, 10.0),
        "min_credit_width": (0.05, 0.45),
        "buffer_atr": (0.0, 3.0),
    }
)


def _bounds(params: dict[str, float | int | str | bool]) -> dict[str, tuple[float, float]]:
    out = dict(BOUNDS)
    for name in PARAM_NAMES:
        lo, hi = out[name]
        try:
            lo = float(params.get(f"{name}_min", lo))
            hi = float(params.get(f"{name}_max", hi))
        except (TypeError, ValueError):
            raise ConfigError(f"algorithms.atlas.params: {name}_min/{name}_max must be numbers") from None
        if lo > hi:
            raise ConfigError(f"algorithms.atlas.params: {name}_min {lo} is above {name}_max {hi}")
        out[name] = (lo, hi)
    return out


def derive_params(
    regime: VolRegime, trend: Trend, overrides: dict[str, float | int | str | bool] | None = None
) -> AtlasParams:
    """The 9 parameters for ``regime``, adjusted for the trend and clamped to their bounds."""
    if regime is VolRegime.UNKNOWN:
        raise ValueError("Atlas has no parameters for an unknown regime")
    base = REGIME_TABLE[regime]
    bounds = _bounds(overrides or {})
    raw = base.as_dict()
    # A stronger trend pushes the short strike further away and shortens the holding period.
    raw["buffer_atr"] = base.buffer_atr * (1.0 + 0.5 * trend.strength)
    raw["max_sessions"] = base.max_sessions - (1 if trend.strength > 0.75 else 0)
    out = {n: clamp(float(raw[n]), *bounds[n]) for n in PARAM_NAMES}
    return AtlasParams(
        short_delta=out["short_delta"],
        wing_width=out["wing_width"],
        profit_target=out["profit_target"],
        stop_loss=out["stop_loss"],
        entry_threshold=out["entry_threshold"],
        size_factor=out["size_factor"],
        max_sessions=round(out["max_sessions"]),
        min_credit_width=out["min_credit_width"],
        buffer_atr=out["buffer_atr"],
    )


def choose_kind(regime: VolRegime, trend: Trend) -> StrategyKind | None:
    if regime is VolRegime.LOW:
        if trend.agreement >= 3 and trend.bias == "bullish":
            return StrategyKind.BULL_CALL_DEBIT
        if trend.agreement >= 3 and trend.bias == "bearish":
            return StrategyKind.BEAR_PUT_DEBIT
        return None
    if trend.bias == "bullish":
        return StrategyKind.BULL_PUT_CREDIT
    if trend.bias == "bearish":
        return StrategyKind.BEAR_CALL_CREDIT
    return None if regime is VolRegime.EXTREME else StrategyKind.IRON_CONDOR


def score(
    kind: StrategyKind, s: Structure, vol: VolSnapshot, trend: Trend, p: AtlasParams
) -> tuple[float, tuple[ScoreComponent, ...]]:
    """The 0-100 score and its components (see the module doc)."""
    assert vol.iv_percentile is not None
    iv, rv = vol.iv_atm, vol.rv_20d
    credit = kind.is_credit
    edge = vol.iv_percentile / 100 if credit else 1 - vol.iv_percentile / 100
    comps = [ScoreComponent("vol edge", round(30 * edge, 1), 30, f"IV percentile {vol.iv_percentile:.0f}")]
    if iv is not None and rv is not None and iv > 0:
        spread = clamp((iv - rv) / iv, -0.5, 0.5)
        x = spread + 0.5 if credit else 0.5 - spread
        comps.append(ScoreComponent("IV vs RV", round(20 * x, 1), 20, f"IV {iv:.1%} vs RV {rv:.1%}"))
    else:
        comps.append(ScoreComponent("IV vs RV", 0.0, 20, "IV or RV unknown"))
    if kind is StrategyKind.IRON_CONDOR:
        fit = (1 - abs(trend.direction)) * (1 - trend.strength)
    elif credit:
        fit = trend.agreement / 4
    else:
        fit = trend.agreement / 4 * (0.5 + 0.5 * trend.strength)
    comps.append(ScoreComponent("trend fit", round(20 * fit, 1), 20, trend.describe()))
    if credit and s.credit_to_width is not None:
        q = clamp((s.credit_to_width - p.min_credit_width) / max(0.45 - p.min_credit_width, 0.01) + 0.5, 0, 1)
        detail = f"credit/width {s.credit_to_width:.2f} (min {p.min_credit_width:.2f})"
    else:
        reward = float(s.max_profit / s.max_loss) if s.max_loss > 0 else 0.0
        q = clamp(reward / 2, 0, 1)
        detail = f"reward/risk {reward:.2f}"
    comps.append(ScoreComponent("structure quality", round(15 * q, 1), 15, detail))
    pop = s.pop if s.pop is not None else 0.0
    comps.append(ScoreComponent("probability of profit", round(15 * pop, 1), 15, f"POP {pop:.0%}"))
    return round(sum(c.points for c in comps), 1), tuple(comps)


class Atlas:
    name = "atlas"

    def propose(self, ctx: AlgoContext) -> AlgoResult:
        vol = ctx.snapshot.vol
        if vol is None or not vol.known:
            return AlgoResult(self.name, (), ("volatility picture unknown: Atlas does not trade blind",))
        regime = classify_regime(vol.iv_percentile, vol.vix_percentile, vol.rv_percentile)
        trend = read_trend(ctx.snapshot.technicals)
        if trend is None:
            return AlgoResult(self.name, (), ("technicals unknown: trend strength cannot be read",))
        p = derive_params(regime, trend, dict(ctx.algo.params))
        kind = choose_kind(regime, trend)
        if kind is None:
            why = (
                f"{regime.value} regime without a clear trend: premium too cheap to sell, no move to buy"
                if regime is VolRegime.LOW
                else f"{regime.value} regime without a directional bias: no condor in extreme volatility"
            )
            return AlgoResult(self.name, (), (why,))
        chain = choose_chain(ctx.snapshot, ctx.now, min_days=0.5)
        if chain is None or ctx.snapshot.spot is None:
            return AlgoResult(self.name, (), ("no chain with at least half a day to expiry",))
        atr = ctx.snapshot.technicals.daily_atr if ctx.snapshot.technicals else None
        buffer = p.buffer_atr * atr if atr else 0.0
        built = build_structure(
            kind,
            chain,
            ctx.snapshot.spot.last,
            ctx.now,
            StructureParams(short_delta=p.short_delta, long_delta=0.5, width=p.wing_width, buffer=buffer),
        )
        if isinstance(built, Unbuildable):
            return AlgoResult(self.name, (), (f"{kind.label}: {built.reason}",))
        if kind.is_credit and (built.credit_to_width or 0) < p.min_credit_width:
            return AlgoResult(
                self.name,
                (),
                (f"{kind.label}: credit/width {built.credit_to_width:.2f} below {p.min_credit_width:.2f}",),
            )
        total, comps = score(kind, built, vol, trend, p)
        if total < p.entry_threshold:
            return AlgoResult(
                self.name,
                (),
                (f"{kind.label} scores {total:.0f} (threshold {p.entry_threshold:.0f})",),
            )
        lots = max(1, min(int(ctx.algo.lots * p.size_factor), ctx.config.paper_trading.max_lots_per_trade))
        plan = (
            credit_exit_plan(built, p.profit_target, p.stop_loss, p.max_sessions)
            if kind.is_credit
            else debit_exit_plan(built, p.profit_target, p.stop_loss, p.max_sessions)
        )
        rationale = _rationale(kind, built, vol, regime, trend, p, buffer)
        params: dict[str, float | int | str] = {"regime": regime.value, **p.as_dict()}
        return AlgoResult(self.name, (Candidate(built, lots, total, comps, rationale, plan, params),))


def _rationale(
    kind: StrategyKind,
    s: Structure,
    vol: VolSnapshot,
    regime: VolRegime,
    trend: Trend,
    p: AtlasParams,
    buffer: float,
) -> str:
    assert vol.iv_percentile is not None
    assert vol.vix_percentile is not None
    assert vol.rv_percentile is not None
    legs = legs_text(s)
    premium = (
        f"collects {s.net_mid:.2f} per unit ({s.credit_to_width:.2f} of the width)"
        if s.is_credit
        else (f"pays {-s.net_mid:.2f} per unit for up to {s.width - (-s.net_mid):.2f}")
    )
    pop = f", POP {s.pop:.0%}" if s.pop is not None else ""
    return (
        f"{regime.value.capitalize()} volatility (IV pctile {vol.iv_percentile:.0f}, VIX pctile "
        f"{vol.vix_percentile:.0f}, RV pctile {vol.rv_percentile:.0f}); trend {trend.describe()}. "
        f"{kind.label} {expiry_label(s.expiry)} ({legs}) {premium}{pop}. "
        f"Short delta {p.short_delta:.2f}, {p.wing_width:.0f}-pt wings"
        + (f", short strike ≥ {buffer:.0f} pts from spot" if buffer else "")
        + f"; exit at {p.profit_target:.0%} of max profit or after {p.max_sessions} sessions. "
        f"Invalidated if NIFTY closes beyond a breakeven ({levels(s.breakevens)})."
    )
