"""Message text and captions: parse mode, entities and Telegram's length limits.

Parse modes: HTML (html_check), MarkdownV2 (markdown_check), legacy Markdown (accepted as raw text), or
none with optional ``entities``. Limits are applied after entity parsing and trimming, as Telegram does:
text 1-4096 characters, caption 0-1024. Characters are Unicode code points: a live probe (4,096 emoji =
8,192 UTF-16 units accepted, 4,097 refused) shows the limit is not counted in UTF-16 units, although
entity offsets are.
"""

from __future__ import annotations

from typing import Any

from bot.emulator.envelope import bad_request
from bot.emulator.html_check import Entity, ParsedText, ParseError, parse_html, trim, utf16_len
from bot.emulator.markdown_check import parse_markdown_v2

MAX_TEXT = 4096
MAX_CAPTION = 1024


def formatted(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None, *, strict: bool
) -> ParsedText:
    """``text`` as Telegram stores it; ``ApiError`` (kind ``format``) with Telegram's words otherwise."""
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        try:
            return parse_html(text, strict=strict)
        except ParseError as exc:
            raise bad_request(
                f"Can't parse entities: {exc.description}", kind="format", strict_only=exc.strict_only
            ) from exc
    if mode == "markdownv2":
        try:
            return parse_markdown_v2(text)
        except ParseError as exc:
            raise bad_request(f"Can't parse entities: {exc.description}", kind="format") from exc
    if mode == "markdown":
        # legacy Markdown is accepted without parsing; the length check then sees the raw text
        return trim(text, [])
    if mode not in ("", "none"):
        raise bad_request("Unsupported parse_mode", kind="format")
    return trim(text, _given_entities(text, entities or []))


def _given_entities(text: str, raw: list[dict[str, Any]]) -> list[Entity]:
    total = utf16_len(text)
    out: list[Entity] = []
    for e in raw:
        offset, length = int(e["offset"]), int(e["length"])
        if offset < 0 or length < 0:
            raise bad_request(f"Receive an entity with incorrect offset {offset}", kind="format")
        if offset > total:
            raise bad_request(
                f"Entity begins after the end of the text at UTF-16 offset {offset}", kind="format"
            )
        if offset + length > total:
            raise bad_request(
                f"Entity beginning at UTF-16 offset {offset} ends after the end of the text at "
                f"UTF-16 offset {offset + length}",
                kind="format",
            )
        if length:
            out.append(
                Entity(
                    str(e["type"]), offset, length, e.get("url"), e.get("language"), e.get("custom_emoji_id")
                )
            )
    return out


def message_text(params: dict[str, Any], *, strict: bool) -> ParsedText:
    """The ``text`` of sendMessage / editMessageText, checked: non-empty and at most 4096 characters."""
    parsed = formatted(params["text"], params.get("parse_mode"), params.get("entities"), strict=strict)
    if not parsed.text:
        raise bad_request("Message text is empty", kind="format")
    if len(parsed.text) > MAX_TEXT:
        raise bad_request("Message is too long", kind="format")
    return parsed


def caption(params: dict[str, Any], *, strict: bool) -> ParsedText | None:
    """The ``caption`` of a media message (``None`` when absent), at most 1024 characters."""
    if "caption" not in params:
        return None
    parsed = formatted(
        params["caption"], params.get("parse_mode"), params.get("caption_entities"), strict=strict
    )
    if len(parsed.text) > MAX_CAPTION:
        raise bad_request("Message caption is too long", kind="format")
    return parsed
