"""/drawdown and the risk controls: the state, each limit's use, what would trip next, pause and trips,
the admin's Reset button with its confirmation, and the pause / resume answers."""

from __future__ import annotations

from bot.render.keyboards import reset_confirm_keyboard, reset_keyboard
from bot.render.message import Reply
from bot.render.text import day, esc, fraction, inr, pnl, pre, when
from core.domain.trading import LimitCheck, RiskState, RiskStatus
from core.services.results import RiskReport

LIMIT_LABELS = {"daily_loss": "Daily loss", "drawdown": "Drawdown"}
STATUS_ICONS = {RiskStatus.ACTIVE: "🟢", RiskStatus.REDUCING: "🟠", RiskStatus.HALTED: "⛔"}
BAR_WIDTH = 20


def bar(used_fraction: float, width: int = BAR_WIDTH) -> str:
    """``██████░░░░`` filled in proportion (capped at full)."""
    filled = max(0, min(width, round(used_fraction * width)))
    return "█" * filled + "░" * (width - filled)


def _limit_lines(c: LimitCheck) -> list[str]:
    label = LIMIT_LABELS.get(c.name, c.name)
    flag = " TRIPPED" if c.tripped else ""
    return [
        f"{label:<11}{fraction(c.fraction):>5}{flag}",
        f" {bar(c.fraction)}",
        f" {inr(c.used)} of {inr(c.limit)}",
    ]


def _tripped_names(state: RiskState) -> str:
    return ", ".join(LIMIT_LABELS.get(t, t).lower() for t in state.tripped)


def drawdown_view(report: RiskReport, *, is_admin: bool = False) -> Reply:
    """/drawdown. An admin sees a Reset button when a breaker has tripped."""
    s = report.state
    status = f"{STATUS_ICONS[s.status]} {esc(s.status.value.upper())}"
    lines = [f"<b>Risk {status}</b> · trading day {day(s.trading_day)}"]
    if s.tripped:
        lines.append(f"⛔ Tripped: {esc(_tripped_names(s))} at {when(s.tripped_at)}; an admin must reset it")
    if s.paused:
        by = f" by user {s.paused_by}" if s.paused_by is not None else ""
        lines.append(f"⏸ New entries paused{by} (/resume to continue)")
    if s.checks:
        body: list[str] = []
        for c in s.checks:
            body += _limit_lines(c)
        lines.append(pre(body))
    if report.headroom:
        lines.append("<b>What would trip next</b>")
        lines += [f"• {esc(h)}" for h in report.headroom]
    lines += [
        f"Equity {inr(s.equity)} · peak {inr(s.peak_equity)} · drawdown {inr(s.drawdown)}",
        f"Today realized {pnl(s.realized_today)} (net) · unrealized {pnl(s.unrealized)}",
        f"Open positions {report.open_positions}/{report.max_open_positions}"
        f" · margin {inr(report.margin_used)} of {inr(report.margin_budget)}",
    ]
    if s.reasons:
        lines.append("<i>" + esc("; ".join(s.reasons)) + "</i>")
    keyboard = reset_keyboard() if is_admin and s.tripped else None
    return Reply("\n".join(lines), keyboard)


def reset_confirm(report: RiskReport) -> Reply:
    s = report.state
    what = _tripped_names(s) or "no breaker is tripped; the limits will only be re-based"
    return Reply(
        "\n".join(
            [
                f"Reset the risk breakers? Tripped: {esc(what)}.",
                f"The daily loss will count from now and the drawdown from the current equity "
                f"{inr(s.equity)} as the new peak.",
            ]
        ),
        reset_confirm_keyboard(),
    )


def reset_cancelled() -> Reply:
    return Reply("Nothing reset; the breakers stay as they were.")


def reset_done(report: RiskReport, by: str | None = None) -> Reply:
    s = report.state
    who = f" by {esc(by)}" if by else ""
    return Reply(
        f"✅ Breakers reset{who}. Status {STATUS_ICONS[s.status]} <b>{esc(s.status.value)}</b>; "
        f"limits re-based on equity {inr(s.equity)}."
    )


def pause_result(report: RiskReport) -> Reply:
    """The answer to /pause or /resume (the report after the change)."""
    s = report.state
    if s.paused:
        return Reply("⏸ New entries paused. Exits and the position monitor still run. /resume to continue.")
    extra = "" if s.can_open else f" Entries stay blocked: {esc(_tripped_names(s))} tripped."
    return Reply(f"▶️ New entries allowed again.{extra}")
