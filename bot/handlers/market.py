"""/brief, /chain [yyyy-mm-dd] [strikes], /vol, /ask <question>."""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import BotContext
from bot.handlers.common import UsageError, command, no_args, send, shared_view
from bot.render import replies
from bot.render.market import chain_view, premarket_brief, vol_view
from bot.render.message import Reply

MAX_STRIKES_EACH_SIDE = 12


async def fresh_snapshot(bc: BotContext, max_age: float = 30.0):  # type: ignore[no-untyped-def]
    return await bc.app.market.snapshot(max_age_seconds=max_age)


@command("brief")
async def brief(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """The pre-market brief, now."""
    no_args(context)
    snap = await fresh_snapshot(bc)
    await send(update, premarket_brief(snap, await bc.commentator.brief(snap)))


def parse_chain_args(args: list[str]) -> tuple[date | None, int]:
    expiry: date | None = None
    each_side = 5
    if len(args) > 2:
        raise UsageError("at most an expiry date and a number of strikes")
    for arg in args:
        if arg.isdigit():
            each_side = int(arg)
            if not 1 <= each_side <= MAX_STRIKES_EACH_SIDE:
                raise UsageError(f"strikes each side must be 1 to {MAX_STRIKES_EACH_SIDE}")
        else:
            try:
                expiry = date.fromisoformat(arg)
            except ValueError:
                raise UsageError(f"{arg!r} is not a date like 2026-12-01 or a number of strikes") from None
    return expiry, each_side


@command("chain")
async def chain(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """The option chain around ATM (nearest expiry unless one is given)."""
    expiry, each_side = parse_chain_args(list(context.args or []))
    snap = await fresh_snapshot(bc)

    async def make() -> Reply:
        return chain_view(snap, bc.now(), expiry, each_side)

    key = ("chain", expiry, each_side, snap.taken_at)
    await send(update, await shared_view(bc, key, make, desk=False))


@command("vol")
async def vol(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """The volatility regime, percentiles and expected move."""
    no_args(context)
    snap = await fresh_snapshot(bc)
    await send(update, vol_view(snap, bc.now()))


@command("ask")
async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """A short answer from Claude, grounded in the current snapshot, positions and risk state."""
    question = " ".join(context.args or []).strip()
    if not question:
        raise UsageError("ask a question, e.g. /ask what is the expected move this week?")
    if len(question) > 500:
        raise UsageError("keep the question under 500 characters")
    snap = bc.app.market.latest or await fresh_snapshot(bc)
    answer = await bc.commentator.ask(question, snap)
    if answer is None:
        await send(update, replies.ask_unavailable())
        return
    await send(update, replies.ask_answer(answer))
