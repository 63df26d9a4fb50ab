"""The one handler for inline buttons: decode, check the role, dispatch. Buttons carry only an action
and an id; the state lives in the database, so buttons keep working after a restart, and an old, forged
or malformed button can only be refused. PTB's CallbackQueryHandler has no user filter, so every press
is checked here, exactly like commands."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.ext import ContextTypes

from bot.auth import first_refusal
from bot.context import BotContext, ctx_of
from bot.handlers.common import edit_or_send, render_chart, send
from bot.handlers.desk import on_suggestion_button
from bot.handlers.positions import on_position_button
from bot.handlers.reports import on_risk_button
from bot.render.callbacks import (
    CallbackAction,
    ChainCallback,
    PageCallback,
    PositionCallback,
    QuietHoursCallback,
    RiskCallback,
    SettingCallback,
    SuggestionCallback,
    decode,
)
from bot.render.help import Role

log = logging.getLogger("niftybot.bot")

NEEDS = {
    CallbackAction.APPROVE: Role.TRADER,
    CallbackAction.REJECT: Role.TRADER,
    CallbackAction.CLOSE: Role.TRADER,
    CallbackAction.CONFIRM_CLOSE: Role.TRADER,
    CallbackAction.CANCEL_CLOSE: Role.TRADER,
    CallbackAction.RESET: Role.ADMIN,
    CallbackAction.CONFIRM_RESET: Role.ADMIN,
    CallbackAction.CANCEL_RESET: Role.ADMIN,
}


def needed_role(cb: object) -> Role:
    if isinstance(cb, (SettingCallback, QuietHoursCallback)):
        return Role.ADMIN
    action = getattr(cb, "action", None)
    return NEEDS.get(action, Role.VIEWER) if isinstance(action, CallbackAction) else Role.VIEWER


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    bc = ctx_of(context)
    started = time.perf_counter()
    user_id = query.from_user.id
    role = bc.roles.role_of(user_id)
    if role is None:
        first_refusal(bc.app.factory, user_id, bc.now(), f"button {str(query.data)[:64]!r}")
        await query.answer("You are not authorized to use this bot.", show_alert=True)
        return
    cb = decode(query.data)
    if cb is None:
        log.info("user %s pressed an invalid button %r", user_id, str(query.data)[:80])
        await query.answer("This button is no longer valid.", show_alert=True)
        return
    need = needed_role(cb)
    if not role.can(need):
        article = "an" if need.value[0] in "aeiou" else "a"
        await query.answer(f"Only {article} {need.value} can do that; nothing was changed.", show_alert=True)
        return
    ok = True
    try:
        await _dispatch(update, query, cb, bc)
    except Exception:
        ok = False
        raise
    finally:
        for observe in bc.observers:
            observe(f"button:{getattr(cb, 'action', type(cb).__name__)}", time.perf_counter() - started, ok)


async def _dispatch(update: Update, query, cb, bc: BotContext) -> None:  # type: ignore[no-untyped-def]
    if isinstance(cb, SuggestionCallback):
        await on_suggestion_button(query, cb, bc, update)
    elif isinstance(cb, PositionCallback):
        await on_position_button(query, cb, bc, update)
    elif isinstance(cb, RiskCallback):
        await on_risk_button(query, cb, bc, update)
    elif isinstance(cb, ChainCallback):
        await _chain_button(update, query, cb, bc)
    elif isinstance(cb, (SettingCallback, QuietHoursCallback)):
        await _settings_button(update, query, cb, bc)
    elif isinstance(cb, PageCallback):
        await _page_button(update, query, cb, bc)
    else:
        await query.answer("This button is no longer valid.", show_alert=True)


async def _chain_button(update: Update, query, cb: ChainCallback, bc: BotContext) -> None:  # type: ignore[no-untyped-def]
    from bot.render.market import chain_photo, chain_view

    await query.answer()
    snap = await bc.app.market.snapshot(max_age_seconds=10)
    if cb.action is CallbackAction.CHAIN_REFRESH:
        await edit_or_send(query, update, chain_view(snap, bc.now(), cb.expiry))
        return
    chain = snap.chain(cb.expiry)
    if chain is None:
        await send(update, chain_view(snap, bc.now(), cb.expiry))
        return
    await send(update, await render_chart(chain_photo, chain))


async def _settings_button(update: Update, query, cb, bc: BotContext) -> None:  # type: ignore[no-untyped-def]
    from bot.render.settings import setting_changed, settings_view

    chat = update.effective_chat
    assert chat is not None
    if isinstance(cb, SettingCallback):
        prefs = bc.prefs.set_mode(chat.id, cb.notification, cb.mode, query.from_user.id, bc.now())
        await query.answer(setting_changed(cb.notification, prefs))
    else:
        prefs = bc.prefs.set_quiet(chat.id, cb.enabled, query.from_user.id, bc.now())
        await query.answer("Quiet hours on" if cb.enabled else "Quiet hours off")
    await edit_or_send(query, update, settings_view(prefs))


async def _page_button(update: Update, query, cb: PageCallback, bc: BotContext) -> None:  # type: ignore[no-untyped-def]
    from bot.render.callbacks import PageView
    from bot.render.suggestions import pending_list

    await query.answer()
    if cb.view is PageView.PENDING:
        await edit_or_send(query, update, pending_list(bc.app.desk.pending(), bc.now(), cb.page))
