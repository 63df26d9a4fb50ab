"""What a template returns: Telegram HTML text (parse_mode HTML) with an optional inline keyboard,
or a PNG photo with a caption.

The sender (bot handlers, jobs, the outbox dispatcher) sends ``reply.parts()`` in order and attaches the
keyboard to the LAST part. For an edit (``edit_message_text``) a ``keyboard`` of ``None`` removes the
buttons of the edited message, which is what the decision edits want. A :class:`PhotoReply` is sent
with ``send_photo(photo=png, caption=caption)`` and then each ``follow_up`` text, in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.render.split import MESSAGE_LIMIT, fit_caption, split_message


@dataclass(frozen=True)
class Reply:
    text: str
    keyboard: InlineKeyboardMarkup | None = None

    def parts(self, limit: int = MESSAGE_LIMIT) -> list[str]:
        """The text cut to Telegram's limit at line boundaries (usually one part)."""
        return split_message(self.text, limit)


@dataclass(frozen=True)
class PhotoReply:
    png: bytes
    caption: str
    follow_up: tuple[str, ...] = ()
    keyboard: InlineKeyboardMarkup | None = None
    filename: str = "chart.png"


def photo_reply(
    png: bytes,
    caption_html: str,
    *,
    keyboard: InlineKeyboardMarkup | None = None,
    filename: str = "chart.png",
) -> PhotoReply:
    """A photo whose caption fits 1,024 characters; a longer caption is shortened with a note and the
    full text follows as message(s)."""
    fit = fit_caption(caption_html)
    follow = tuple(split_message(fit.follow_up)) if fit.follow_up is not None else ()
    return PhotoReply(png, fit.caption, follow, keyboard, filename)
