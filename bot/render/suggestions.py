"""Suggestions: the new-suggestion message with its buttons, the details view, the edit that records
the decision (the buttons removed), and /pending.

Prices are per unit (2 decimals on the 0.05 tick); credit positive, debit negative as in
``core.domain.trading``; money per lot or per suggestion is labelled as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.render.callbacks import CallbackAction, PageView, SuggestionCallback, encode
from bot.render.commentary import Commentary, CommentarySource, commentary_lines
from bot.render.keyboards import details_keyboard, pager, suggestion_keyboard
from bot.render.message import PhotoReply, Reply, photo_reply
from bot.render.text import (
    DASH,
    age,
    clock_time,
    day,
    esc,
    fraction,
    inr,
    known,
    lots,
    num,
    pnl,
    pre,
    price,
    score,
    table,
    vol,
    when,
)
from core.domain.money import paise
from core.domain.trading import (
    ExitPlan,
    GateResult,
    Position,
    Structure,
    StructureLeg,
    Suggestion,
    SuggestionStatus,
)
from core.services.results import DecisionResult, Outcome, ScanReport


def leg_name(leg: StructureLeg) -> str:
    """``SELL 23750 PE`` (× ratio when more than one)."""
    ratio = f" ×{leg.ratio}" if leg.ratio != 1 else ""
    return f"{leg.action.value:<4} {leg.contract.strike:.0f} {leg.contract.option_type}{ratio}"


def legs_summary(structure: Structure) -> str:
    return " / ".join(leg_name(leg).replace("  ", " ") for leg in structure.legs)


def net_line(structure: Structure, lots: int) -> str:
    """``Net credit 13.18/unit at mid (12.35 at bid/ask) = ₹856.38 for 1 lot``."""
    kind = "credit" if structure.net_mid >= 0 else "debit"
    total = paise(abs(structure.net_mid) * structure.lot_size * lots)
    lot_word = "lot" if lots == 1 else "lots"
    return (
        f"Net {kind} {price(abs(structure.net_mid))}/unit at mid "
        f"({price(abs(structure.net_natural))} at bid/ask) = {inr(total)} for {lots} {lot_word}"
    )


def exit_plan_line(plan: ExitPlan) -> str:
    hold = (
        f"hold at most {plan.max_sessions} sessions"
        if plan.max_sessions is not None
        else "hold to the expiry-day square-off"
    )
    return f"Exit plan: target {pnl(plan.profit_target)}/lot · stop {pnl(-plan.stop_loss)}/lot · {hold}"


def _breakevens(bes: Sequence[float]) -> str:
    return " · ".join(num(b) for b in bes) if bes else "n/a"


def _gates_summary(gates: Sequence[GateResult]) -> list[str]:
    if not gates:
        return ["Gates: not run"]
    failed = [g for g in gates if not g.passed]
    if not failed:
        return [f"✅ All {len(gates)} gates passed"]
    return [f"❌ {len(failed)} of {len(gates)} gates failed:"] + [
        f"• {esc(g.name)}: {esc(g.reason)}" for g in failed
    ]


def _score_line(s: Suggestion) -> str:
    head = f"Score <b>{score(s.score)}</b>/100"
    if not s.components:
        return head
    parts = [f"{esc(c.name)} {c.points:g}/{c.max_points:g}" for c in s.components]
    return head + " (" + " · ".join(parts) + ")"


def _status_line(s: Suggestion) -> str | None:
    if s.status is SuggestionStatus.PENDING:
        return None
    reason = f": {esc(s.status_reason)}" if s.status_reason else ""
    return f"Status: <b>{esc(s.status.value)}</b>{reason}"


def _legs_table(legs: Sequence[StructureLeg]) -> str:
    rows = [["Leg", "Bid", "Ask", "Mid"]]
    rows += [
        [leg_name(leg), price(leg.bid, na=DASH), price(leg.ask, na=DASH), price(leg.mid, na=DASH)]
        for leg in legs
    ]
    return pre(table(rows, ("<", ">", ">", ">")))


def _title(s: Suggestion) -> str:
    sid = f" #{s.id}" if s.id is not None else ""
    return f"<b>💡 Suggestion{sid} · {esc(s.structure.kind.label)}</b>"


def suggestion_message(s: Suggestion) -> Reply:
    """A new suggestion with Approve / Reject / Details (buttons only while it is pending)."""
    st = s.structure
    lines = [
        _title(s),
        f"NIFTY {day(st.expiry)} expiry · {lots(s.lots)} × {st.lot_size} · {esc(s.algorithm)}"
        f" · regime {esc(s.regime.value)}",
        _legs_table(st.legs),
        net_line(st, s.lots),
        f"Max profit {pnl(s.max_profit)} · max loss {pnl(-s.max_loss)}",
        f"Breakeven {_breakevens(st.breakevens)}",
        f"POP {fraction(st.pop)}"
        + (f" · credit/width {fraction(st.credit_to_width)}" if st.credit_to_width is not None else "")
        + f" · margin {inr(paise(st.margin * s.lots))}",
        _score_line(s),
    ]
    if s.commentary and s.commentary.strip():
        lines += commentary_lines(Commentary(s.commentary, CommentarySource.CLAUDE))
    elif s.rationale.strip():
        lines.append(f"<i>Why:</i> {esc(s.rationale.strip())}")
    lines += _gates_summary(s.gates)
    status = _status_line(s)
    if status:
        lines.append(status)
    lines.append(f"⏳ Valid until {when(s.expires_at)}")
    keyboard = (
        suggestion_keyboard(s.id) if s.id is not None and s.status is SuggestionStatus.PENDING else None
    )
    return Reply("\n".join(lines), keyboard)


def _greek(x: float | None, fmt: str) -> str:
    return DASH if x is None or not known(x) else format(x, fmt)


def suggestion_details(s: Suggestion, replay_line: str | None = None) -> Reply:
    """Everything behind a suggestion: per-leg IV and Greeks, structure Greeks, parameters, the score
    components with what drove them, every gate with its reason and, when given, the line with its
    algorithm's latest replay record (``bot.render.backtest.replay_record_line``)."""
    st = s.structure
    rows = [["Leg", "IV", "Δ", "Θ/d", "Vega"]]
    rows += [
        [
            leg_name(leg),
            vol(leg.iv, na=DASH),
            _greek(leg.delta, "+.2f"),
            _greek(leg.theta, "+.2f"),
            _greek(leg.vega, ".2f"),
        ]
        for leg in st.legs
    ]
    sid = f" #{s.id}" if s.id is not None else ""
    lines = [
        f"<b>Suggestion{sid} · details</b>",
        f"{esc(st.kind.label)} ({esc(st.kind.bias)}) · NIFTY {day(st.expiry)}"
        f" · {lots(s.lots)} × {st.lot_size}",
        pre(table(rows, ("<", ">", ">", ">", ">"))),
        "<i>Per unit: Θ rupees/day, vega rupees per vol point.</i>",
        f"Per lot: Δ {st.net_delta:+.2f} · Γ {st.net_gamma:+.4f} · vega {pnl(Decimal(repr(st.net_vega)))}/pt"
        f" · Θ {pnl(Decimal(repr(st.net_theta)))}/day",
        f"Width {num(st.width, 0)} · net at mid {price(st.net_mid)} · natural {price(st.net_natural)}",
        f"Spot at pricing {num(st.spot)}" + (f" · priced {when(st.priced_at)}" if st.priced_at else ""),
        exit_plan_line(s.exit_plan),
        f"Created {when(s.created_at)} · valid until {when(s.expires_at)}",
    ]
    if s.params:
        lines.append("Params: " + " · ".join(f"{esc(k)} {esc(v)}" for k, v in sorted(s.params.items())))
    if s.components:
        lines.append(f"<b>Score {score(s.score)}/100</b>")
        lines += [
            f"• {esc(c.name)} {c.points:g}/{c.max_points:g}" + (f" — {esc(c.detail)}" if c.detail else "")
            for c in s.components
        ]
    lines.append(f"<b>Gates ({sum(g.passed for g in s.gates)}/{len(s.gates)} passed)</b>")
    lines += [f"{'✅' if g.passed else '❌'} {esc(g.name)}: {esc(g.reason)}" for g in s.gates]
    if s.rationale.strip():
        lines.append(f"<i>Why:</i> {esc(s.rationale.strip())}")
    if replay_line:
        lines.append(replay_line)
    status = _status_line(s)
    if status:
        lines.append(status)
    keyboard = (
        details_keyboard(s.id, pending=s.status is SuggestionStatus.PENDING) if s.id is not None else None
    )
    return Reply("\n".join(lines), keyboard)


def fills_lines(position: Position) -> list[str]:
    """Filled legs with their prices, net premium and entry charges."""
    rows = [["Leg", "Qty", "Fill"]]
    rows += [
        [
            f"{leg.action.value:<4} {leg.contract.strike:.0f} {leg.contract.option_type}",
            str(leg.quantity),
            price(leg.entry_price),
        ]
        for leg in position.legs
    ]
    premium = position.entry_premium
    kind = "credit received" if premium >= 0 else "debit paid"
    return [
        pre(table(rows, ("<", ">", ">"))),
        f"Net {kind} {inr(abs(premium))} · charges {inr(position.entry_charges.total)}",
    ]


def _header(s: Suggestion | None, fallback_id: int | None) -> list[str]:
    if s is None:
        return [f"<b>Suggestion #{fallback_id}</b>"] if fallback_id is not None else []
    st = s.structure
    return [
        f"<b>Suggestion #{s.id} · {esc(st.kind.label)} · {day(st.expiry)}</b>",
        f"{esc(legs_summary(st))} · {lots(s.lots)}",
    ]


def decision_edit(
    result: DecisionResult,
    *,
    suggestion: Suggestion | None = None,
    by: str | None = None,
) -> Reply:
    """The suggestion message after a button press: what happened, with no buttons left.

    ``suggestion`` is the one the message showed (used when the result carries none); ``by`` is the
    name of the user who pressed, when known.
    """
    s = result.suggestion or suggestion
    lines = _header(s, suggestion.id if suggestion else None)
    who = f" by {esc(by)}" if by else ""
    outcome = result.outcome
    if outcome is Outcome.OK and result.position is not None:
        p = result.position
        lines.append(f"✅ <b>Approved</b>{who}: position #{p.id} opened {when(p.opened_at)}")
        lines += fills_lines(p)
    elif outcome is Outcome.OK:
        lines.append(f"❌ <b>Rejected</b>{who}. Nothing was opened.")
    elif outcome is Outcome.REFUSED:
        lines.append(f"⛔ <b>Refused</b>{who}. Nothing was opened:")
        reasons = result.reasons or (result.message,)
        lines += [f"• {esc(r)}" for r in reasons if r]
    elif outcome is Outcome.EXPIRED:
        until = f" at {clock_time(s.expires_at)}" if s is not None else ""
        lines.append(f"⌛ <b>Expired</b>{until}. Nothing was opened.")
    elif outcome is Outcome.ALREADY:
        lines.append(f"ℹ️ <b>Already decided</b>: {esc(result.message)}")
    elif outcome is Outcome.FINAL:
        lines.append(f"ℹ️ <b>Already closed for decisions</b>: {esc(result.message)}")
    else:
        lines.append(f"ℹ️ {esc(result.message)}")
    return Reply("\n".join(lines))


def suggestion_status_edit(s: Suggestion, position: Position | None = None) -> Reply:
    """The suggestion message from its stored status, for edits driven by events (expired, refused or
    rejected elsewhere, executed): the same text as :func:`decision_edit`; a pending one keeps its
    buttons."""
    if s.status is SuggestionStatus.PENDING:
        return suggestion_message(s)
    reason = s.status_reason or ""
    result = {
        SuggestionStatus.EXECUTED: DecisionResult(Outcome.OK, "", s, position),
        SuggestionStatus.REJECTED: DecisionResult(Outcome.OK, "", s),
        SuggestionStatus.REFUSED: DecisionResult(Outcome.REFUSED, reason, s, reasons=(reason,)),
        SuggestionStatus.EXPIRED: DecisionResult(Outcome.EXPIRED, "", s),
        SuggestionStatus.APPROVED: DecisionResult(
            Outcome.ALREADY, f"Suggestion #{s.id} is being approved right now.", s
        ),
    }[s.status]
    if s.status is SuggestionStatus.EXECUTED and position is None:
        result = DecisionResult(
            Outcome.ALREADY, f"Suggestion #{s.id} was approved: position #{s.position_id}.", s
        )
    return decision_edit(result)


def pending_list(suggestions: Sequence[Suggestion], now: datetime, page: int = 0, per_page: int = 5) -> Reply:
    """/pending: suggestions waiting for a decision, newest first, with a Details button each."""
    if not suggestions:
        return Reply("No suggestions are waiting for a decision.")
    pages = max(1, -(-len(suggestions) // per_page))
    page = min(max(page, 0), pages - 1)
    shown = suggestions[page * per_page : (page + 1) * per_page]
    title = f"<b>Pending suggestions ({len(suggestions)})</b>"
    if pages > 1:
        title += f" · page {page + 1}/{pages}"
    lines = [title]
    buttons: list[list[InlineKeyboardButton]] = []
    for s in shown:
        st = s.structure
        left = (s.expires_at - now).total_seconds()
        expiry = f"expires in {age(left)}" if left > 0 else "expired"
        kind = "credit" if st.net_mid >= 0 else "debit"
        lines += [
            "",
            f"<b>#{s.id}</b> {esc(st.kind.label)} · {day(st.expiry)} · {lots(s.lots)} · {esc(s.algorithm)}",
            esc(legs_summary(st)),
            f"{kind} {price(abs(st.net_mid))}/unit · max loss {pnl(-s.max_loss)}",
            f"score {score(s.score)} · {expiry}",
        ]
        if s.id is not None:
            buttons.append(
                [
                    InlineKeyboardButton(
                        f"#{s.id} details",
                        callback_data=encode(SuggestionCallback(CallbackAction.DETAILS, s.id)),
                    )
                ]
            )
    nav = pager(PageView.PENDING, page, pages)
    if nav:
        buttons.append(nav)
    return Reply("\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None)


def scan_summary(report: ScanReport) -> Reply:
    """The answer to /scan: what each algorithm did. New suggestions follow as their own messages."""
    lines = [f"<b>Scan {when(report.at)}</b>"]
    if report.blocked:
        lines.append("⛔ Nothing scanned:")
        lines += [f"• {esc(b)}" for b in report.blocked]
        return Reply("\n".join(lines))
    if report.created:
        made = ", ".join(f"#{s.id} {s.structure.kind.label}" for s in report.created)
        lines.append(f"💡 {len(report.created)} new: {esc(made)} (each follows with its buttons)")
    else:
        lines.append("No new suggestion.")
    if report.skipped_duplicates:
        lines.append(f"Already pending, not repeated: {report.skipped_duplicates}")
    failures: dict[str, list[str]] = {}
    for algo, gates in report.gate_failures:
        failures.setdefault(algo, []).extend(g.reason for g in gates if not g.passed)
    for r in report.results:
        if r.candidates:
            line = (
                f"• {esc(r.algorithm)}: {len(r.candidates)} candidate{'s' if len(r.candidates) != 1 else ''}"
            )
        else:
            why = "; ".join(r.notes) or "no signal"
            line = f"• {esc(r.algorithm)}: no trade — {esc(why)}"
        lines.append(line)
        lines += [f"   ❌ {esc(reason)}" for reason in failures.pop(r.algorithm, [])]
    for algo, reasons in failures.items():
        lines.append(f"• {esc(algo)}: failed the gates")
        lines += [f"   ❌ {esc(reason)}" for reason in reasons]
    return Reply("\n".join(lines))


def payoff_caption(s: Suggestion) -> str:
    st = s.structure
    return (
        f"<b>Payoff at expiry</b> · #{s.id} {esc(st.kind.label)} · {day(st.expiry)} · {lots(s.lots)}"
        f" · max profit {pnl(s.max_profit)} · max loss {pnl(-s.max_loss)}"
        f" · breakeven {_breakevens(st.breakevens)}"
    )


def payoff_photo(s: Suggestion) -> PhotoReply:
    """The payoff chart of a suggestion at its quoted mids (the details view's chart button)."""
    from bot.render.charts import suggestion_payoff_chart  # matplotlib loads only when drawn

    return photo_reply(suggestion_payoff_chart(s), payoff_caption(s), filename=f"suggestion-{s.id}.png")
