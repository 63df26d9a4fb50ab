"""A tiny PTB bot used only by the emulator's tests: echo, an HTML greeting with buttons, a chart photo.

/start     HTML greeting with three buttons (Approve, Reject, Details)
/chart     a PNG photo with a caption
/topic     replies in the same forum topic
other text echoed back (HTML-escaped, in bold)
buttons    answered first (PTB idiom), then the message is edited to say what was chosen
"""

from __future__ import annotations

import html
import struct
import zlib

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

COMMANDS = [("start", "show the desk"), ("chart", "send a chart")]


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A valid RGB PNG of the given size (grey pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


CHART = tiny_png(8, 6)


def desk_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Approve", callback_data="approve:7"),
                InlineKeyboardButton("Reject", callback_data="reject:7"),
            ],
            [InlineKeyboardButton("Details", callback_data="details:7")],
        ]
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with a formatted text and the desk keyboard."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "<b>NIFTY desk</b>\nSuggestion #7: <i>iron condor</i> &amp; hedge",
        parse_mode=ParseMode.HTML,
        reply_markup=desk_keyboard(),
    )


async def chart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a PNG with a caption."""
    assert update.effective_message is not None
    await update.effective_message.reply_photo(
        CHART, caption="<b>Payoff</b> at expiry", parse_mode=ParseMode.HTML
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo text back, escaped and bold."""
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(
        f"<b>{html.escape(update.effective_message.text)}</b>", parse_mode=ParseMode.HTML
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press, then edit the message to show the choice."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer(f"{query.data.split(':')[0]} noted")
    await query.edit_message_text(f"You chose <b>{html.escape(query.data)}</b>", parse_mode=ParseMode.HTML)


async def post_init(app: Application) -> None:  # type: ignore[type-arg]
    await app.bot.set_my_commands(COMMANDS)


def build(token: str, base_url: str, base_file_url: str | None = None) -> Application:  # type: ignore[type-arg]
    builder = ApplicationBuilder().token(token).base_url(base_url).post_init(post_init)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    app = builder.build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("chart", chart))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app
