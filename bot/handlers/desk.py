"""/suggest (alias /scan), /pending, /approve <id>, /reject <id>, and the suggestion buttons."""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.context import BotContext
from bot.handlers.common import (
    command,
    edit_or_send,
    no_args,
    one_int,
    render_chart,
    send,
    shared_view,
    user_label,
)
from bot.render.callbacks import CallbackAction, SuggestionCallback
from bot.render.help import Role
from bot.render.message import Reply
from bot.render.suggestions import (
    decision_edit,
    payoff_photo,
    pending_list,
    scan_summary,
    suggestion_details,
    suggestion_message,
)
from bot.render.text import esc
from core.services.results import Outcome


@command("suggest", Role.TRADER)
async def suggest(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Run the algorithms now; new suggestions arrive as messages with Approve / Reject buttons."""
    no_args(context)
    report = await bc.app.desk.scan()
    await send(update, scan_summary(report))
    if bc.wake_outbox is not None:
        await bc.wake_outbox()


@command("scan", Role.TRADER)
async def scan(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Same as /suggest."""
    await suggest.__wrapped__(update, context, bc)  # type: ignore[attr-defined]


@command("pending")
async def pending(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Suggestions waiting for a decision."""
    page = one_int(context, "page", optional=True, default=1, hi=9999) - 1

    async def make() -> Reply:
        return pending_list(bc.app.desk.pending(), bc.now(), page)

    await send(update, await shared_view(bc, ("pending", page), make))


@command("approve", Role.TRADER)
async def approve(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Approve a suggestion by id: re-priced and re-checked before anything opens."""
    sid = one_int(context, "suggestion id")
    user = update.effective_user
    assert user is not None
    result = await bc.app.desk.approve(sid, user.id)
    await send(update, decision_edit(result, by=user_label(update)))
    if bc.wake_outbox is not None:
        await bc.wake_outbox()


@command("reject", Role.TRADER)
async def reject(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Reject a suggestion by id."""
    sid = one_int(context, "suggestion id")
    user = update.effective_user
    assert user is not None
    result = bc.app.desk.reject(sid, user.id)
    await send(update, decision_edit(result, by=user_label(update)))


async def on_suggestion_button(
    query: CallbackQuery, cb: SuggestionCallback, bc: BotContext, update: Update
) -> None:
    """Approve / Reject / Details / Payoff pressed on a suggestion message (role checked by the caller)."""
    user_id = query.from_user.id
    if cb.action in (CallbackAction.APPROVE, CallbackAction.REJECT):
        await query.answer("Checking…" if cb.action is CallbackAction.APPROVE else "Rejecting…")
        if cb.action is CallbackAction.APPROVE:
            result = await bc.app.desk.approve(cb.id, user_id)
        else:
            result = bc.app.desk.reject(cb.id, user_id)
        shown = bc.app.desk.suggestion(cb.id)
        if result.outcome in (Outcome.ALREADY, Outcome.FINAL, Outcome.EXPIRED) and query.message is not None:
            # The message already shows (or will show) the decision; say what happened in a toast too.
            await query.message.reply_text(esc(result.message), do_quote=False)
        if query.message is not None:
            await edit_or_send(query, update, decision_edit(result, suggestion=shown, by=user_label(update)))
        if bc.wake_outbox is not None:
            await bc.wake_outbox()
        return
    s = bc.app.desk.suggestion(cb.id)
    if s is None:
        await query.answer("That suggestion no longer exists.", show_alert=True)
        return
    await query.answer()
    if query.message is None:
        return
    if cb.action is CallbackAction.DETAILS:
        from bot.handlers.backtest import record_line

        await send(update, suggestion_details(s, record_line(bc, s.algorithm)))
    elif cb.action is CallbackAction.PAYOFF:
        await send(update, await render_chart(payoff_photo, s))


def resend_suggestion(s) -> Reply:  # type: ignore[no-untyped-def]
    return suggestion_message(s)
