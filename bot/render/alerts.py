"""Push alerts (from the outbox events and the jobs) and the end-of-day / weekly summaries.

Alerts are short: what happened, the numbers that matter, and what to do. Error alerts never carry a
raw exception text (it can hold URLs, tokens or SQL): only a project error's ``user_message`` (written
to be shown) or the exception's class name, and every known secret value is masked as well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from bot.render.commentary import Commentary, commentary_lines
from bot.render.message import Reply
from bot.render.pnl import win_rate
from bot.render.positions import closed_lines
from bot.render.risk import LIMIT_LABELS, STATUS_ICONS
from bot.render.suggestions import exit_plan_line, fills_lines
from bot.render.text import (
    clip,
    day,
    esc,
    fraction,
    inr,
    lots,
    pnl,
    pre,
    table,
    usd,
    when,
)
from core.domain.money import ZERO, paise
from core.domain.trading import ExitReason, Position, RiskState
from core.errors import NiftyBaseError
from core.services.results import PnlReport

ERROR_CHARS = 300
EXIT_ICONS = {
    ExitReason.PROFIT_TARGET: "🎯",
    ExitReason.STOP_LOSS: "🛑",
    ExitReason.TIME_LIMIT: "⏱",
    ExitReason.EXPIRY: "📆",
    ExitReason.MANUAL: "✋",
}


# ---- trades --------------------------------------------------------------------------------------------
def fill_alert(p: Position) -> Reply:
    """A position was opened: legs with fill prices, net premium, charges, risk and the exit plan."""
    src = f" from suggestion #{p.suggestion_id}" if p.suggestion_id is not None else ""
    who = f", approved by user {p.opened_by}" if p.opened_by is not None else ""
    lines = [
        f"📥 <b>Position #{p.id} opened</b> {when(p.opened_at)}",
        f"{esc(p.kind.label)} · NIFTY {day(p.expiry)} · {lots(p.lots)} × {p.lot_size} · {esc(p.algorithm)}"
        f"{src}{who}",
        *fills_lines(p),
        f"Max loss {inr(p.max_loss)} · margin {inr(p.margin)}",
        exit_plan_line(p.exit_plan),
    ]
    return Reply("\n".join(lines))


def exit_alert(p: Position) -> Reply:
    """A position was closed (by the monitor or by hand): the reason, prices, gross / charges / net."""
    reason = p.exit_reason
    icon = EXIT_ICONS.get(reason, "📤") if reason else "📤"
    label = reason.label if reason else "closed"
    lines = [
        f"{icon} <b>Position #{p.id} closed: {esc(label)}</b> {when(p.closed_at)}",
        f"{esc(p.kind.label)} · NIFTY {day(p.expiry)} · {lots(p.lots)} · held {p.sessions_held} session"
        f"{'' if p.sessions_held == 1 else 's'}",
        *closed_lines(p),
    ]
    return Reply("\n".join(lines))


# ---- risk ----------------------------------------------------------------------------------------------
def risk_tripped_text(breakers: Sequence[str], reasons: Sequence[str], at: datetime | None) -> Reply:
    """A risk breaker tripped, from the ``risk_tripped`` event: breaker labels, the reasons, when."""
    names = ", ".join(LIMIT_LABELS.get(b, b).lower() for b in breakers) or "a breaker"
    lines = [
        f"⛔ <b>Risk breaker tripped: {esc(names)}</b> {when(at)}",
        "New entries are blocked until an admin resets it (/drawdown, then Reset). Exits still run.",
        *[f"• {esc(r)}" for r in reasons],
    ]
    return Reply("\n".join(lines))


def risk_tripped_alert(state: RiskState, newly: Sequence[str]) -> Reply:
    """The same alert from the risk state itself (adds equity and peak)."""
    base = risk_tripped_text(newly, state.reasons, state.tripped_at).text
    return Reply(base + f"\nEquity {inr(state.equity)} · peak {inr(state.peak_equity)}")


def risk_changed_alert(action: str, detail: str, status: str, by: str | None = None) -> Reply:
    """Pause, resume or reset (the ``risk_changed`` event: action, detail, resulting status)."""
    icon = {"pause": "⏸", "resume": "▶️", "reset": "🔄"}.get(action, "ℹ️")
    who = f" by {esc(by)}" if by else ""
    return Reply(f"{icon} <b>Risk {esc(action)}</b>{who}: {esc(detail)}. Status now <b>{esc(status)}</b>.")


def unusual_loss_alert(day_pnl: Decimal, threshold: Decimal, at: datetime) -> Reply:
    return Reply(
        f"📉 <b>Unusual loss today</b>: P&amp;L {pnl(day_pnl)} passed the alert level of "
        f"{pnl(-abs(threshold))} ({when(at)}). Check /positions and /drawdown."
    )


# ---- data and services ---------------------------------------------------------------------------------
def source_breaker_alert(
    source: str,
    state: str | bool,
    reason: str | None,
    at: datetime,
    *,
    retry_in_seconds: float | None = None,
) -> Reply:
    """A data source's circuit breaker changed: ``state`` "open" (or True: calls refused for a while),
    "half_open" (trying again), "auth" (it refused our credentials) or "closed" (or False: back to
    normal)."""
    key = ("open" if state else "closed") if isinstance(state, bool) else str(state).lower()
    why = f": {esc(clip(reason, ERROR_CHARS))}" if reason else ""
    if key == "open":
        retry = f" Next try in about {retry_in_seconds:.0f} s." if retry_in_seconds is not None else ""
        return Reply(
            f"🔌 <b>{esc(source)} unavailable</b> {when(at)}{why}. Calls to it are paused and the desk"
            f" uses what it last had, marked stale.{retry}"
        )
    if key in ("half_open", "half-open"):
        return Reply(f"🔌 <b>{esc(source)}</b> {when(at)}: trying again after a pause{why}.")
    if key == "auth":
        fix = {"kite": " Log in again with /login.", "llm": " Check ANTHROPIC_API_KEY."}.get(source, "")
        return Reply(f"🔑 <b>{esc(source)} refused our credentials</b> {when(at)}{why}.{fix}")
    return Reply(f"🔌 <b>{esc(source)} is back</b> {when(at)}: calls resumed.")


def stale_data_alert(problems: Sequence[str], at: datetime) -> Reply:
    """Trading is blocked because required data is not fresh (``MarketSnapshot.stale_parts`` lines)."""
    lines = [
        f"⚠️ <b>New entries blocked: data not fresh</b> {when(at)}",
        *[f"• {esc(p)}" for p in problems],
        "Suggestions and approvals wait until the data is fresh again; open positions are still watched.",
    ]
    return Reply("\n".join(lines))


def token_expired_alert(at: datetime) -> Reply:
    return Reply(
        f"🔑 <b>Kite session expired</b> {when(at)}. Kite market data has stopped; "
        "an admin should send /login to renew today's session (a Kite session lasts one trading day)."
    )


def calendar_missing_alert(year: int) -> Reply:
    return Reply(
        f"📅 <b>NSE holiday list for {year} is missing.</b> Without it the desk treats {year} as closed "
        f"(it never assumes a weekday is open). NSE usually publishes the list in mid-December: add {year}"
        " to core/data/nse_calendar.yaml and restart."
    )


def llm_budget_alert(spent_usd: Decimal, budget_usd: Decimal, on: date) -> Reply:
    return Reply(
        f"🤖 <b>Claude's daily budget is used up</b> ({usd(spent_usd)} of {usd(budget_usd)} on {day(on)}). "
        "Commentary uses the automatic summary until tomorrow."
    )


def redact(text: str, secrets: Sequence[str]) -> str:
    """Mask each secret value (longest first, so one containing another is masked whole)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def error_alert(
    where: str,
    error: BaseException | str,
    at: datetime,
    count: int = 1,
    *,
    secrets: Sequence[str] = (),
) -> Reply:
    """An unhandled error, short and safe: a project error's trader-facing message, otherwise only the
    exception class (details are in the log); a text is shown as given (callers pass safe text).
    ``count`` > 1 says how many errors this one alert stands for (throttled storms)."""
    if isinstance(error, NiftyBaseError):
        what = error.user_message
    elif isinstance(error, BaseException):
        what = f"unexpected {type(error).__name__} (details in the log)"
    else:
        what = error
    what = clip(redact(what, secrets), ERROR_CHARS)
    more = f" (×{count})" if count > 1 else ""
    return Reply(f"🐞 <b>Error in {esc(redact(where, secrets))}</b>{more} {when(at)}: {esc(what)}")


# ---- summaries -----------------------------------------------------------------------------------------
def exits_by_reason(closed: Sequence[Position]) -> list[tuple[str, int, Decimal]]:
    """(reason label, trades, net P&L) per exit reason, in the order of ``ExitReason``."""
    counts: Counter[ExitReason | None] = Counter(p.exit_reason for p in closed)
    out = []
    for reason in [*ExitReason, None]:
        if counts.get(reason):
            net = paise(sum((p.net_realized_pnl for p in closed if p.exit_reason is reason), ZERO))
            out.append((reason.label if reason else "unknown", counts[reason], net))
    return out


def _summary(title: str, report: PnlReport, risk: RiskState, commentary: Commentary | None) -> Reply:
    rows = [
        ["Gross realized", pnl(report.gross_realized)],
        ["Charges", pnl(-report.charges)],
        ["Net realized", pnl(report.net_realized)],
        ["Unrealized", pnl(report.unrealized)],
    ]
    lines = [
        title,
        pre(table(rows, ("<", ">"))),
        f"Trades closed {report.trades_closed} · wins {report.wins} · losses {report.losses}"
        f" · win rate {fraction(win_rate(report))}",
    ]
    exits = exits_by_reason(report.closed)
    if exits:
        lines.append("<b>Exits</b>")
        lines += [f"• {esc(label)}: {n} ({pnl(net)})" for label, n, net in exits]
    status = f"{STATUS_ICONS[risk.status]} <b>{esc(risk.status.value)}</b>"
    extra = []
    if risk.tripped:
        extra.append("tripped: " + ", ".join(LIMIT_LABELS.get(t, t).lower() for t in risk.tripped))
    if risk.paused:
        extra.append("paused")
    lines.append(f"Risk {status}" + (f" ({esc('; '.join(extra))})" if extra else ""))
    lines.append(f"Equity <b>{inr(report.equity)}</b> · drawdown {inr(risk.drawdown)}")
    block = commentary_lines(commentary)
    if block:
        lines += ["", *block]
    return Reply("\n".join(lines))


def eod_summary(on: date, report: PnlReport, risk: RiskState, commentary: Commentary | None) -> Reply:
    """The end-of-day summary (after the 15:40 close)."""
    return _summary(f"<b>🌙 End of day · {day(on)}</b>", report, risk, commentary)


def weekly_summary(report: PnlReport, risk: RiskState, commentary: Commentary | None) -> Reply:
    """The weekly summary: the week's P&L, trades, exits by reason, risk state and commentary."""
    title = f"<b>📊 Week {day(report.since)} → {day(report.until)}</b>"
    return _summary(title, report, risk, commentary)
