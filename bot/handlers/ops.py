"""/health and /login (the daily Kite session)."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.context import BotContext
from bot.handlers.common import command, no_args, send
from bot.render import replies
from bot.render.help import Role
from core.config.settings import MarketDataSource
from core.errors import NiftyBaseError


@command("health", Role.ADMIN)
async def health(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Start-up checks, breakers, data freshness, jobs, outbox, LLM usage, version and uptime."""
    no_args(context)
    from bot.health import health_reply

    await send(update, await health_reply(bc))


@command("login", Role.ADMIN)
async def login(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Send the Kite login link; the next message may be the redirect URL or the request token."""
    s = bc.app.settings
    if s.market_data is not MarketDataSource.KITE:
        await send(update, replies.login_not_needed())
        return
    if s.kite_api_key is None or s.kite_api_secret is None:
        await send(update, replies.login_not_configured())
        return
    args = context.args or []
    user = update.effective_user
    assert user is not None
    if args:
        bc.login_waiting.add(user.id)
        await finish_login(update, context, bc, " ".join(args))
        return
    from core.marketdata.kite_session import KiteAuth

    auth = KiteAuth(
        s.kite_api_key, s.kite_api_secret, root=s.kite_api_root, timeout=7.0, registry=bc.app.guards
    )
    bc.login_waiting.add(user.id)
    await send(update, replies.login_steps(auth.login_url()))


async def finish_login(
    update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext, text: str | None = None
) -> None:
    """Exchange the pasted token; the token and the pasted message never reach a log."""
    from core.marketdata.kite_session import KiteAuth, KiteSessionStore

    s = bc.app.settings
    user = update.effective_user
    msg = update.effective_message
    assert user is not None
    bc.login_waiting.discard(user.id)
    pasted = (text if text is not None else (msg.text if msg else "")) or ""
    assert s.kite_api_key is not None
    assert s.kite_api_secret is not None
    auth = KiteAuth(
        s.kite_api_key, s.kite_api_secret, root=s.kite_api_root, timeout=7.0, registry=bc.app.guards
    )
    try:
        session = await auth.exchange(pasted.strip())
    except NiftyBaseError as exc:
        await send(update, replies.login_failed(exc.user_message))
        return
    stored = KiteSessionStore(bc.app.factory).save(session, bc.now())
    kite = getattr(bc.app.source, "kite", None)
    if kite is not None:  # the live source uses the new token from the next call
        kite.set_access_token(session.access_token)
    if msg is not None:
        with contextlib.suppress(TelegramError):  # best effort: no delete rights in some groups
            await msg.delete()  # the pasted link carried a one-time token; do not leave it in the chat
    await send(update, replies.login_done(session.user_id, stored.expires_at))
