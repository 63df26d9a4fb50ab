"""/positions and /close <id> (with a confirmation), and the position buttons."""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.context import BotContext
from bot.handlers.common import command, edit_or_send, no_args, one_int, render_chart, send, shared_view
from bot.render import replies
from bot.render.callbacks import CallbackAction, PositionCallback
from bot.render.help import Role
from bot.render.message import Reply
from bot.render.positions import (
    close_cancelled,
    close_confirm,
    close_result,
    position_payoff_photo,
    positions_view,
)


@command("positions")
async def positions(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Open positions with marks, P&L, Greeks and a Close button each."""
    no_args(context)
    snap = bc.app.market.latest

    async def make() -> Reply:
        return positions_view(bc.app.reports.positions(snap))

    await send(update, await shared_view(bc, ("positions", snap.taken_at if snap else None), make))


@command("close", Role.TRADER)
async def close(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Close a position at market after a confirmation."""
    pid = one_int(context, "position id")
    p = bc.app.desk.position(pid)
    if p is None:
        await send(update, replies.no_position(pid))
    elif not p.is_open:
        await send(update, replies.position_already_closed(pid))
    else:
        await send(update, close_confirm(p))


async def on_position_button(
    query: CallbackQuery, cb: PositionCallback, bc: BotContext, update: Update
) -> None:
    if cb.action is CallbackAction.CONFIRM_CLOSE:
        await query.answer("Closing…")
        result = await bc.app.desk.close(cb.id, query.from_user.id)
        await edit_or_send(query, update, close_result(result))
        if bc.wake_outbox is not None:
            await bc.wake_outbox()
        return
    p = bc.app.desk.position(cb.id)
    if p is None:
        await query.answer("That position does not exist.", show_alert=True)
        return
    await query.answer()
    if cb.action is CallbackAction.CLOSE:
        if not p.is_open:
            await send(update, replies.position_already_closed(p.id))
        else:
            await send(update, close_confirm(p))
    elif cb.action is CallbackAction.CANCEL_CLOSE:
        await edit_or_send(query, update, close_cancelled(cb.id))
    elif cb.action is CallbackAction.POSITION_PAYOFF:
        snap = bc.app.market.latest
        spot = snap.spot.last if snap is not None and snap.spot is not None else None
        await send(update, await render_chart(position_payoff_photo, p, spot))
