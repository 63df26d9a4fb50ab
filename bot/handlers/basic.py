"""/start, /help, /whoami, /settings, unknown commands and plain text."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import BotContext, ctx_of
from bot.handlers.common import command, no_args, refuse_stranger, send
from bot.render import help as help_view
from bot.render.settings import settings_view


@command("start")
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Welcome with the commands this user may use."""
    user = update.effective_user
    role = bc.roles.role_of(user.id if user else None)
    assert role is not None
    await send(update, help_view.start_text(role, user.first_name if user else None))


@command("help")
async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """The command list for this user's role."""
    user = update.effective_user
    role = bc.roles.role_of(user.id if user else None)
    assert role is not None
    await send(update, help_view.help_text(role))


@command("whoami")
async def whoami(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """The user's Telegram id and role."""
    no_args(context)
    user = update.effective_user
    assert user is not None
    await send(
        update,
        help_view.whoami(user.id, bc.roles.role_of(user.id), username=user.username, name=user.full_name),
    )


@command("settings")
async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Notification settings of this chat, with toggle buttons."""
    no_args(context)
    chat = update.effective_chat
    assert chat is not None
    await send(update, settings_view(bc.prefs.get(chat.id)))


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other /command: a short usage line (strangers: the one refusal)."""
    bc = ctx_of(context)
    user = update.effective_user
    msg = update.effective_message
    name = (msg.text or "/").split()[0].lstrip("/").split("@")[0] if msg else ""
    if bc.roles.role_of(user.id if user else None) is None:
        await refuse_stranger(update, bc, f"/{name}")
        return
    await send(update, help_view.unknown_command(name))


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text: a pasted Kite token when /login is waiting for one, else a hint."""
    bc = ctx_of(context)
    user = update.effective_user
    if bc.roles.role_of(user.id if user else None) is None:
        await refuse_stranger(update, bc, "text")
        return
    if user is not None and user.id in bc.login_waiting:
        from bot.handlers.ops import finish_login

        await finish_login(update, context, bc)
        return
    from bot.render.replies import text_hint

    await send(update, text_hint())
