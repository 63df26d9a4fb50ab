"""Gates: small checks that each pass or fail with a reason a trader can read.

They run when an algorithm suggests a trade and again when a trader approves it (with fresh quotes).
Each gate is a pure function of a :class:`GateContext`; :func:`run_gates` runs them all and never stops
at the first failure, so the trader sees every reason at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.clock import IST
from core.config.schema import NiftyConfig
from core.domain.market import MarketSnapshot
from core.domain.money import ZERO, format_inr
from core.domain.trading import GateResult, Position, RiskState, Structure
from core.market_hours import NSECalendar

TRADING_PARTS = ("spot", "vix", "chain", "vol")


@dataclass(frozen=True)
class GateContext:
    now: datetime
    calendar: NSECalendar
    config: NiftyConfig
    snapshot: MarketSnapshot
    risk: RiskState
    open_positions: Sequence[Position]
    algorithm: str
    structure: Structure
    lots: int


Gate = Callable[[GateContext], GateResult]


def market_open(ctx: GateContext) -> GateResult:
    if not ctx.calendar.is_market_open(ctx.now):
        return GateResult("market_open", False, "the F&O market is closed now")
    local = ctx.now.astimezone(IST).time()
    desk = ctx.config.options_desk
    if not desk.entry_window_start <= local <= desk.entry_window_end:
        return GateResult(
            "market_open",
            False,
            f"outside the entry window {desk.entry_window_start:%H:%M}-{desk.entry_window_end:%H:%M} IST",
        )
    return GateResult("market_open", True, "market open, inside the entry window")


def expiry_cutoff(ctx: GateContext) -> GateResult:
    today = ctx.now.astimezone(IST).date()
    cutoff = ctx.config.paper_trading.expiry_day_entry_cutoff
    if ctx.structure.expiry < today:
        return GateResult("expiry_cutoff", False, f"the {ctx.structure.expiry:%d %b} expiry has passed")
    if ctx.structure.expiry == today and ctx.now.astimezone(IST).time() >= cutoff:
        return GateResult(
            "expiry_cutoff", False, f"no new entries in today's expiry after {cutoff:%H:%M} IST"
        )
    return GateResult("expiry_cutoff", True, "not inside the expiry-day cutoff")


def data_fresh(ctx: GateContext) -> GateResult:
    problems = ctx.snapshot.stale_parts(TRADING_PARTS)
    age = (ctx.now - ctx.snapshot.taken_at).total_seconds()
    limit = ctx.config.engine.staleness.chain_seconds
    if age > limit:
        problems.append(f"snapshot is {age:.0f}s old (limit {limit}s)")
    if problems:
        return GateResult("data_fresh", False, "market data not fresh: " + "; ".join(problems))
    return GateResult("data_fresh", True, "spot, VIX, chain and vol data are fresh")


def vol_known(ctx: GateContext) -> GateResult:
    vol = ctx.snapshot.vol
    if vol is None or not vol.known:
        missing = (
            "no vol snapshot"
            if vol is None
            else ", ".join(
                n
                for n, v in (
                    ("IV percentile", vol.iv_percentile),
                    ("VIX percentile", vol.vix_percentile),
                    ("RV percentile", vol.rv_percentile),
                )
                if v is None
            )
            + " unknown"
        )
        return GateResult("vol_known", False, f"volatility picture unknown ({missing})")
    return GateResult("vol_known", True, f"vol regime {vol.regime.value}")


def _limit_gate(name: str, label: str) -> Gate:
    def gate(ctx: GateContext) -> GateResult:
        check = next((c for c in ctx.risk.checks if c.name == name), None)
        if name in ctx.risk.tripped:
            return GateResult(name, False, f"{label} breaker has tripped; an admin must reset it")
        if check is None:
            return GateResult(name, False, f"{label} unknown")
        room = check.limit - check.used
        if room <= ZERO:
            return GateResult(
                name, False, f"{label} reached: {format_inr(check.used)} of {format_inr(check.limit)}"
            )
        worst = ctx.structure.max_loss * ctx.lots
        if worst > room:
            return GateResult(
                name,
                False,
                f"this trade's max loss {format_inr(worst)} exceeds the {format_inr(room)} left "
                f"under the {label} ({check.fraction:.0%} used)",
            )
        return GateResult(name, True, f"{label}: {format_inr(check.used)} of {format_inr(check.limit)} used")

    gate.__name__ = name
    return gate


daily_loss = _limit_gate("daily_loss", "daily loss limit")
drawdown = _limit_gate("drawdown", "drawdown limit")


def max_positions(ctx: GateContext) -> GateResult:
    limit = ctx.config.paper_trading.max_open_positions
    n = sum(1 for p in ctx.open_positions if p.is_open)
    if n >= limit:
        return GateResult("max_positions", False, f"{n} positions open (limit {limit})")
    return GateResult("max_positions", True, f"{n} of {limit} positions open")


def lots_limit(ctx: GateContext) -> GateResult:
    limit = ctx.config.paper_trading.max_lots_per_trade
    if ctx.lots > limit:
        return GateResult("lots_limit", False, f"{ctx.lots} lots exceeds the limit of {limit} per trade")
    return GateResult("lots_limit", True, f"{ctx.lots} lot(s), limit {limit}")


def margin(ctx: GateContext) -> GateResult:
    pt = ctx.config.paper_trading
    budget = ctx.risk.equity * Decimal(str(pt.margin_utilisation_limit))
    used = sum((p.margin for p in ctx.open_positions if p.is_open), ZERO)
    need = ctx.structure.margin * ctx.lots
    if used + need > budget:
        return GateResult(
            "margin",
            False,
            f"margin {format_inr(used + need)} would exceed {pt.margin_utilisation_limit:.0%} of equity "
            f"({format_inr(budget)})",
        )
    return GateResult("margin", True, f"margin {format_inr(used + need)} of {format_inr(budget)} available")


def no_duplicate(ctx: GateContext) -> GateResult:
    s = ctx.structure
    strikes = set(s.strikes())
    for p in ctx.open_positions:
        if p.is_open and p.kind is s.kind and p.expiry == s.expiry:
            overlap = strikes & {leg.contract.strike for leg in p.legs}
            if overlap:
                return GateResult(
                    "no_duplicate", False, f"position #{p.id} already holds a {s.kind.label} on this expiry"
                )
    return GateResult("no_duplicate", True, "no similar position open")


def not_paused(ctx: GateContext) -> GateResult:
    if ctx.risk.paused:
        return GateResult("not_paused", False, "trading is paused (/resume to continue)")
    return GateResult("not_paused", True, "trading not paused")


ALL_GATES: tuple[Gate, ...] = (
    market_open,
    expiry_cutoff,
    data_fresh,
    vol_known,
    daily_loss,
    drawdown,
    max_positions,
    lots_limit,
    margin,
    no_duplicate,
    not_paused,
)


def run_gates(ctx: GateContext, gates: Sequence[Gate] = ALL_GATES) -> tuple[GateResult, ...]:
    return tuple(g(ctx) for g in gates)


def failed(results: Sequence[GateResult]) -> list[str]:
    return [g.reason for g in results if not g.passed]
