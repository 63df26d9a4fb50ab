"""/pnl [day|week|month], /drawdown (+ admin reset), /history [n], /audit [n], /pause, /resume, /reset."""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.context import BotContext
from bot.handlers.common import (
    UsageError,
    command,
    edit_or_send,
    no_args,
    one_int,
    render_chart,
    send,
    shared_view,
    user_label,
)
from bot.render.callbacks import CallbackAction, RiskCallback
from bot.render.help import Role
from bot.render.history import audit_view, history_view
from bot.render.message import PhotoReply, Reply
from bot.render.pnl import pnl_message, pnl_photo
from bot.render.risk import drawdown_view, pause_result, reset_cancelled, reset_confirm, reset_done

PERIODS = {"day": "day", "today": "day", "week": "week", "month": "month"}


@command("pnl")
async def pnl(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """P&L for the day (default), week or month, with the equity chart."""
    args = context.args or []
    if len(args) > 1 or (args and args[0].lower() not in PERIODS):
        raise UsageError("the period is day, week or month")
    period = PERIODS[args[0].lower()] if args else "day"

    async def make() -> tuple[Reply, PhotoReply | None]:
        report = bc.app.reports.pnl(period)
        return pnl_message(report), await render_chart(pnl_photo, report)

    text, photo = await shared_view(bc, ("pnl", period), make)
    await send(update, text)
    if photo is not None:
        await send(update, photo)


@command("drawdown")
async def drawdown(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Risk state: each breaker's inputs and limits, what would trip next; admins get a Reset button."""
    no_args(context)
    user = update.effective_user
    is_admin = bc.roles.allows(user.id if user else None, Role.ADMIN)

    async def make() -> Reply:
        return drawdown_view(bc.app.desk.risk(), is_admin=is_admin)

    await send(update, await shared_view(bc, ("drawdown", is_admin), make))


@command("history")
async def history(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """The last n closed trades."""
    n = one_int(context, "number of trades", optional=True, default=10, hi=50)

    async def make() -> Reply:
        return history_view(bc.app.reports.history(n), n)

    await send(update, await shared_view(bc, ("history", n), make))


@command("audit")
async def audit(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """The last n desk decisions."""
    n = one_int(context, "number of decisions", optional=True, default=10, hi=50)
    await send(update, audit_view(bc.app.reports.audit(n), n))


@command("pause", Role.TRADER)
async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Stop new entries (exits keep running)."""
    no_args(context)
    user = update.effective_user
    assert user is not None
    await send(update, pause_result(bc.app.desk.pause(user.id)))


@command("resume", Role.TRADER)
async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Allow new entries again."""
    no_args(context)
    user = update.effective_user
    assert user is not None
    await send(update, pause_result(bc.app.desk.resume(user.id)))


@command("reset", Role.ADMIN)
async def reset(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Ask to confirm a reset of the tripped risk breakers."""
    no_args(context)
    await send(update, reset_confirm(bc.app.desk.risk()))


async def on_risk_button(query: CallbackQuery, cb: RiskCallback, bc: BotContext, update: Update) -> None:
    """Reset / confirm / cancel (admin only; checked by the caller)."""
    await query.answer()
    if cb.action is CallbackAction.RESET:
        await send(update, reset_confirm(bc.app.desk.risk()))
    elif cb.action is CallbackAction.CONFIRM_RESET:
        report = bc.app.desk.reset_breakers(query.from_user.id)
        await edit_or_send(query, update, reset_done(report, by=user_label(update)))
        if bc.wake_outbox is not None:
            await bc.wake_outbox()
    elif cb.action is CallbackAction.CANCEL_RESET:
        await edit_or_send(query, update, reset_cancelled())
