"""Shared handler plumbing: the role guard, argument errors, sending replies, timing.

Every command handler is wrapped by :func:`command`: it checks the user's role (strangers get one polite
refusal, ever; known users without the role get a short "not allowed"), times the call for metrics, and
turns a ``UsageError`` into the command's usage line. Handlers stay thin: parse, call a service, render.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from telegram import CallbackQuery, InputFile, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.auth import first_refusal
from bot.context import BotContext, ctx_of
from bot.render import help as help_view
from bot.render.help import Role
from bot.render.message import PhotoReply, Reply

log = logging.getLogger("niftybot.bot")

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE, BotContext], Awaitable[None]]


class UsageError(Exception):
    """Bad arguments: the message says what is wrong; the handler answers with the usage line."""


async def send(update: Update, reply: Reply | PhotoReply) -> Message | None:
    """Answer in the chat the update came from (and its forum topic)."""
    msg = update.effective_message
    if msg is None:
        return None
    return await send_to(msg, reply)


async def send_to(msg: Message, reply: Reply | PhotoReply) -> Message | None:
    last: Message | None = None
    if isinstance(reply, PhotoReply):
        last = await msg.reply_photo(
            photo=InputFile(reply.png, filename=reply.filename),
            caption=reply.caption,
            reply_markup=reply.keyboard,
            do_quote=False,
        )
        for part in reply.follow_up:
            last = await msg.reply_text(part, do_quote=False)
        return last
    parts = reply.parts()
    for i, part in enumerate(parts):
        kb = reply.keyboard if i == len(parts) - 1 else None
        last = await msg.reply_text(part, reply_markup=kb, do_quote=False)
    return last


async def edit_or_send(query: CallbackQuery, update: Update, reply: Reply) -> None:
    """Show ``reply`` in place of the message whose button was pressed; when that message cannot be
    edited into text (a photo, a message too old, one already deleted), send it as a new message. An
    edit to the same content ("message is not modified", a double tap) is nothing to report."""
    try:
        await query.edit_message_text(reply.parts()[0], reply_markup=reply.keyboard)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
        log.info("could not edit the pressed message (%s); sending a new one", exc)
        await send(update, reply)


async def render_chart(make: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Draw a chart in a worker thread: a cache miss is tens of milliseconds of matplotlib, and on the
    event loop every other user's command would wait for it (charts use matplotlib's object API on the
    Agg canvas, safe in threads; bot.render.charts)."""
    return await asyncio.to_thread(make, *args, **kwargs)


async def shared_view(
    bc: BotContext, key: tuple[Any, ...], make: Callable[[], Awaitable[T]], *, desk: bool = True
) -> T:
    """What ``make()`` makes, or the same view made for ``key`` within the last seconds (bot/views.py).
    ``desk``: the view shows desk state, so the key includes the desk's version (no query for this
    process's own changes: core/persistence/writes.py)."""
    if bc.views is None:
        return await make()
    if desk:
        key = (*key, bc.app.reports.version())
    result: T = await bc.views.get(key, make)
    return result


async def refuse_stranger(update: Update, bc: BotContext, what: str) -> None:
    user = update.effective_user
    if user is None:
        return
    if first_refusal(bc.app.factory, user.id, bc.now(), what):
        await send(update, help_view.unauthorized())


def command(name: str, role: Role = Role.VIEWER) -> Callable[[Handler], Callable[..., Awaitable[None]]]:
    def deco(fn: Handler) -> Callable[..., Awaitable[None]]:
        @functools.wraps(fn)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            bc = ctx_of(context)
            user = update.effective_user
            user_role = bc.roles.role_of(user.id if user else None)
            if user_role is None:
                await refuse_stranger(update, bc, f"/{name}")
                return
            if not user_role.can(role):
                log.info("user %s (%s) may not use /%s", user.id if user else None, user_role, name)
                await send(update, help_view.not_allowed(name, user_role))
                return
            started = time.perf_counter()
            ok = True
            try:
                await fn(update, context, bc)
            except UsageError as exc:
                await send(update, help_view.usage(name, str(exc) or None))
            except Exception:
                ok = False
                raise
            finally:
                elapsed = time.perf_counter() - started
                for observe in bc.observers:
                    observe(name, elapsed, ok)

        wrapper.command_name = name  # type: ignore[attr-defined]  # read by the role matrix tests
        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper

    return deco


def no_args(context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.args:
        raise UsageError("this command takes no arguments")


def one_int(
    context: ContextTypes.DEFAULT_TYPE,
    what: str,
    *,
    optional: bool = False,
    default: int = 0,
    lo: int = 1,
    hi: int = 10**15,
) -> int:
    args = context.args or []
    if not args:
        if optional:
            return default
        raise UsageError(f"give the {what}")
    if len(args) > 1:
        raise UsageError(f"give only the {what}")
    text = args[0].lstrip("#")
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise UsageError(f"{what} must be a whole number from {lo} to {hi}")
    return int(text)


def user_label(update: Update) -> str | None:
    u = update.effective_user
    if u is None:
        return None
    return f"@{u.username}" if u.username else (u.first_name or str(u.id))


def kwargs_of(update: Update) -> dict[str, Any]:
    return {"user_id": update.effective_user.id if update.effective_user else 0}
