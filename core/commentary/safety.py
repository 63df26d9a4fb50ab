"""Output safety: any text we post (Claude's or the fallback's) becomes inert plain text.

``make_safe(text, max_chars)``, in order:

1. Markdown emphasis, code fences and heading marks are dropped (Telegram would show them raw);
   control characters other than newlines go; three or more newlines become two.
2. Links (``http://``, ``https://``, ``tg://``, ``www.``) become ``[link removed]``, and bot commands
   lose their slash (``/approve_12`` becomes ``approve_12``) so a reply cannot offer a tappable
   command; Telegram buttons come only from ``reply_markup``, which commentary never sets.
3. The plain text is trimmed to ``max_chars`` characters at the last sentence end (or, if that would
   drop more than half, the last word) with "…" appended.
4. ``<``, ``>`` and ``&`` are HTML-escaped, so the result is safe in ``parse_mode=HTML`` and any
   markup in the reply is shown, not obeyed. Trimming happens before escaping, so an entity is never
   cut and the visible length stays within ``max_chars``.
"""

from __future__ import annotations

import html
import re

ELLIPSIS = "…"
_FENCE = re.compile(r"```[a-zA-Z]*\n?")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_LINK = re.compile(r"(?:https?|tg)://\S+|\bwww\.\S+", re.IGNORECASE)
_COMMAND = re.compile(r"(?<![\w/:.<])/(?=[A-Za-z])")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")


def plain(text: str) -> str:
    """Steps 1 and 2: markup and links out, plain text left (not yet escaped or trimmed)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _FENCE.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _HEADING.sub("", text)
    text = _CONTROL.sub("", text)
    text = _LINK.sub("[link removed]", text)
    text = _COMMAND.sub("", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def trim(text: str, max_chars: int) -> str:
    """At most ``max_chars`` characters, cut at a sentence end (or a word) with "…" appended."""
    if len(text) <= max_chars:
        return text
    room = text[: max_chars - len(ELLIPSIS) + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(room) if m.end() <= max_chars - len(ELLIPSIS)]
    if ends and ends[-1] >= max_chars // 2:
        cut = text[: ends[-1]].rstrip()
    else:
        space = room.rfind(" ", 0, max_chars - len(ELLIPSIS))
        cut = text[: space if space > 0 else max_chars - len(ELLIPSIS)].rstrip(" ,;:-")
    return cut + ELLIPSIS


def whole_sentences(text: str) -> str:
    """Drop a trailing unfinished sentence (a reply cut off by ``max_tokens``); keep all if none ends."""
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)", text)]
    return text[: ends[-1]] if ends else text


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def make_safe(text: str, max_chars: int) -> str:
    """Plain, trimmed and escaped (see the module docstring)."""
    return escape(trim(plain(text), max_chars))
