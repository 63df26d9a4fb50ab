"""Positions: /positions with a Close button each, the close confirmation, and the close result.

P&L conventions (``core.domain.trading``): gross P&L is before charges; "net" subtracts the charges paid
(entry charges while open; entry and exit once closed). Leg P&L columns are rupees without the ₹ sign
to fit a phone; totals carry the sign and ₹.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.render.keyboards import close_confirm_keyboard, positions_keyboard
from bot.render.message import PhotoReply, Reply, photo_reply
from bot.render.suggestions import exit_plan_line
from bot.render.text import DASH, clock_time, day, esc, inr, lots, num, pnl, pre, price, table, when
from core.domain.money import ZERO, paise
from core.domain.trading import Position, PositionLeg
from core.services.results import CloseResult, Outcome, PositionView


def _leg(leg: PositionLeg) -> str:
    return f"{leg.action.value:<4} {leg.contract.strike:.0f} {leg.contract.option_type}"


def position_title(p: Position) -> str:
    return f"<b>#{p.id} {esc(p.kind.label)}</b> · {day(p.expiry)} · {lots(p.lots)} · {esc(p.algorithm)}"


def _sessions(n: int) -> str:
    return f"held {n} session{'' if n == 1 else 's'}"


def _open_block(v: PositionView) -> list[str]:
    p = v.position
    rows = [["Leg", "Entry", "Mark", "P&L"]]
    for leg in p.legs:
        pl = num(paise(leg.pnl(leg.mark)), 2, sign=True) if leg.mark is not None else DASH
        rows.append([_leg(leg), price(leg.entry_price), price(leg.mark, na=DASH), pl])
    greeks = []
    if v.net_delta is not None:
        greeks.append(f"Δ {v.net_delta:+.2f}")
    if v.net_theta is not None:
        greeks.append(f"Θ {pnl(Decimal(repr(v.net_theta)))}/day")
    marked = f"marked {when(v.marked_at)}" if v.marked_at else "not marked yet"
    net = paise(v.unrealized - p.entry_charges.total)
    return [
        position_title(p),
        pre(table(rows, ("<", ">", ">", ">"))),
        f"Unrealized {pnl(v.unrealized)} ({pnl(v.pnl_per_lot)}/lot) · after entry charges {pnl(net)}",
        " · ".join([*greeks, _sessions(p.sessions_held), marked]),
        exit_plan_line(p.exit_plan),
        f"Max loss {inr(p.max_loss)} · margin {inr(p.margin)}",
    ]


def positions_view(views: Sequence[PositionView]) -> Reply:
    """/positions: each open position (legs, marks, P&L, Greeks, sessions, exit plan) and the total."""
    if not views:
        return Reply("No open positions.")
    lines = [f"<b>Open positions ({len(views)})</b>"]
    for v in views:
        lines += ["", *_open_block(v)]
    gross = paise(sum((v.unrealized for v in views), ZERO))
    charges = paise(sum((v.position.entry_charges.total for v in views), ZERO))
    margin = paise(sum((v.position.margin for v in views), ZERO))
    lines += [
        "",
        f"<b>Total</b> unrealized {pnl(gross)} · after entry charges {pnl(gross - charges)}",
        f"Margin blocked {inr(margin)}",
    ]
    return Reply("\n".join(lines), positions_keyboard([v.position.id for v in views]))


def close_confirm(p: Position) -> Reply:
    """Asks before closing by hand: what would be closed and the P&L at the last marks."""
    legs = " / ".join(_leg(leg).replace("  ", " ") for leg in p.legs)
    at = f" (marks of {clock_time(p.marked_at)})" if p.marked_at else ""
    return Reply(
        "\n".join(
            [
                f"Close position <b>#{p.id}</b> at market now?",
                f"{esc(p.kind.label)} · {esc(legs)} · {day(p.expiry)} · {lots(p.lots)}",
                f"Unrealized {pnl(p.unrealized_pnl)} gross{at}.",
                "<i>The exit fills at bid/ask with slippage and pays charges.</i>",
            ]
        ),
        close_confirm_keyboard(p.id),
    )


def close_cancelled(position_id: int) -> Reply:
    return Reply(f"Nothing done: position #{position_id} stays open.")


def closed_lines(p: Position) -> list[str]:
    """A closed position's legs with entry and exit prices, then gross, charges and net P&L."""
    rows = [["Leg", "Entry", "Exit"]]
    rows += [[_leg(leg), price(leg.entry_price), price(leg.exit_price, na=DASH)] for leg in p.legs]
    c = p.charges
    return [
        pre(table(rows, ("<", ">", ">"))),
        f"Gross {pnl(p.realized_pnl)} · charges {inr(c.total)} "
        f"(entry {inr(p.entry_charges.total)}, exit {inr(p.exit_charges.total)})",
        f"Net P&amp;L <b>{pnl(p.net_realized_pnl)}</b>",
    ]


def close_result(result: CloseResult) -> Reply:
    """The answer to a confirmed close."""
    p = result.position
    if result.outcome is Outcome.OK and p is not None:
        reason = p.exit_reason.label if p.exit_reason else "closed"
        lines = [f"✅ <b>Position #{p.id} closed</b> ({esc(reason)}) {when(p.closed_at)}", *closed_lines(p)]
        return Reply("\n".join(lines))
    icon = "ℹ️" if result.outcome in (Outcome.ALREADY, Outcome.NOT_FOUND) else "⛔"
    return Reply(f"{icon} {esc(result.message)}")


def position_payoff_caption(p: Position, spot: float | None) -> str:
    now = f" · NIFTY {num(spot)}" if spot else ""
    return (
        f"<b>Payoff at expiry</b> · position #{p.id} {esc(p.kind.label)} · {day(p.expiry)} · {lots(p.lots)}"
        f" · at entry prices · max loss {inr(p.max_loss)}{now}"
    )


def position_payoff_photo(p: Position, spot: float | None) -> PhotoReply:
    """The payoff chart of a position at its entry prices, with the spot marked when known."""
    from bot.render.charts import position_payoff_chart  # matplotlib loads only when drawn

    return photo_reply(
        position_payoff_chart(p, spot), position_payoff_caption(p, spot), filename=f"position-{p.id}.png"
    )
