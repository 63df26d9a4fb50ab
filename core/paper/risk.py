"""The risk engine (pure): equity, the daily-loss and drawdown breakers, and the trading state.

Definitions (rupees, ``Decimal``):
- equity = capital + net realized P&L of every closed trade + (gross unrealized P&L of open positions
  at their marks − the charges already paid to open them). Exit charges are counted when paid.
- day P&L = equity − equity at the start of the trading day; it includes unrealized P&L, as the seed's
  fix does ("daily loss check includes unrealized P&L"), so a position bleeding on the screen counts.
- daily loss used = max(−day P&L, 0); it trips at ``daily_loss_limit``.
- drawdown used = max(peak equity − equity, 0); it trips at ``max_drawdown_pct`` × peak equity.
- REDUCING when any limit is at ``reducing_at_fraction`` of its value or more: entries still allowed,
  with a warning; HALTED when a breaker has tripped: no new entries until an admin resets it. A trip is
  remembered (the caller stores it) even if the P&L recovers; resetting re-bases the breaker.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core.config.schema import PaperTradingConfig
from core.domain.money import ZERO, format_inr, paise
from core.domain.trading import LimitCheck, Position, RiskState, RiskStatus

DAILY_LOSS = "daily_loss"
DRAWDOWN = "drawdown"
BREAKERS = (DAILY_LOSS, DRAWDOWN)
BREAKER_LABELS = {DAILY_LOSS: "daily loss limit", DRAWDOWN: "drawdown limit"}


def open_value(positions: Iterable[Position]) -> Decimal:
    """Unrealized P&L of open positions, net of the charges paid to open them."""
    return paise(sum((p.net_unrealized_pnl for p in positions if p.is_open), ZERO))


def equity(capital: Decimal, realized_net_total: Decimal, positions: Iterable[Position]) -> Decimal:
    return paise(capital + realized_net_total + open_value(positions))


@dataclass(frozen=True)
class RiskInputs:
    """What the engine remembers between evaluations (stored in the ``risk_state`` row)."""

    trading_day: date
    day_start_equity: Decimal
    peak_equity: Decimal
    tripped: frozenset[str]
    tripped_at: datetime | None
    paused: bool
    paused_by: int | None


def evaluate(
    config: PaperTradingConfig,
    inputs: RiskInputs,
    *,
    realized_net_total: Decimal,
    realized_today: Decimal,
    positions: Sequence[Position],
    now: datetime,
) -> tuple[RiskState, frozenset[str]]:
    """The risk state now, and the breakers that trip with this evaluation (not tripped before)."""
    eq = equity(config.capital, realized_net_total, positions)
    peak = max(inputs.peak_equity, eq)
    day_pnl = eq - inputs.day_start_equity
    loss_used = paise(max(-day_pnl, ZERO))
    dd_used = paise(max(peak - eq, ZERO))
    dd_limit = paise(peak * Decimal(str(config.max_drawdown_pct)))
    checks = (
        LimitCheck(DAILY_LOSS, loss_used, config.daily_loss_limit, loss_used >= config.daily_loss_limit),
        LimitCheck(DRAWDOWN, dd_used, dd_limit, dd_used >= dd_limit),
    )
    newly = frozenset(c.name for c in checks if c.tripped) - inputs.tripped
    tripped = inputs.tripped | newly
    reasons: list[str] = []
    for c in checks:
        label = BREAKER_LABELS[c.name]
        if c.name in tripped:
            reasons.append(
                f"{label} tripped: {format_inr(c.used)} of {format_inr(c.limit)} "
                f"({c.fraction:.0%}); an admin must reset it"
            )
        elif c.fraction >= config.reducing_at_fraction:
            reasons.append(f"{label} at {c.fraction:.0%}: {format_inr(c.used)} of {format_inr(c.limit)}")
    if inputs.paused:
        reasons.append("trading paused by a trader")
    if tripped:
        status = RiskStatus.HALTED
    elif any(c.fraction >= config.reducing_at_fraction for c in checks):
        status = RiskStatus.REDUCING
    else:
        status = RiskStatus.ACTIVE
    state = RiskState(
        status=status,
        reasons=tuple(reasons),
        paused=inputs.paused,
        paused_by=inputs.paused_by,
        tripped=tuple(sorted(tripped)),
        tripped_at=inputs.tripped_at if not newly else (inputs.tripped_at or now),
        trading_day=inputs.trading_day,
        realized_today=paise(realized_today),
        unrealized=open_value(positions),
        equity=eq,
        peak_equity=peak,
        checks=checks,
    )
    return state, newly


def headroom(state: RiskState) -> list[str]:
    """What would trip next, one line per limit (e.g. '₹7,700.00 more loss today trips ...')."""
    lines = []
    for c in state.checks:
        label = BREAKER_LABELS.get(c.name, c.name)
        if c.name in state.tripped:
            lines.append(f"{label}: tripped")
        else:
            more = paise(max(c.limit - c.used, ZERO))
            what = "more loss today" if c.name == DAILY_LOSS else "more fall from the peak"
            lines.append(f"{format_inr(more)} {what} trips the {label}")
    return lines
