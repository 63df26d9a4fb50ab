"""Telegram's MarkdownV2 parse mode: text and entities out, or Telegram's error text.

Follows tdlib's ``parse_markdown_v2``: outside code, each of ``_ * [ ] ( ) ~ ` > # + - = | { } . !`` must
be escaped with ``\\`` unless it is markup ("Character '.' is reserved and must be escaped with the
preceding '\\'"); inside ``code`` and ``pre`` only ``\\`` and the backtick are special. An entity left open
is refused as "Can't find end of Bold entity at byte offset N" (byte offsets into the UTF-8 text).
A ``>`` at the start of a line opens or continues a block quote. Not modelled: the ``**>`` expandable
quote and custom-emoji links beyond their syntax.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.emulator.html_check import Entity, ParsedText, ParseError, checked_link, sort_key, trim

RESERVED = frozenset(b"_*[]()~`>#+-=|{}.!")
_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_SPACES = frozenset(b" \t\r\n\x00\x0b\x0c")


@dataclass
class _Open:
    kind: str
    argument: str
    utf16_offset: int
    byte_offset: int
    result_pos: int


def _reserved(c: int) -> ParseError:
    return ParseError(f"Character '{chr(c)}' is reserved and must be escaped with the preceding '\\'")


class _Markdown:
    def __init__(self, text: str) -> None:
        self.src = text.encode("utf-8", "surrogatepass")
        self.out = bytearray()
        self.utf16 = 0
        self.entities: list[Entity] = []
        self.stack: list[_Open] = []
        self.quote_start: int | None = None

    def at(self, i: int) -> int:
        return self.src[i] if i < len(self.src) else 0

    def emit(self, c: int) -> None:
        if c & 0xC0 != 0x80:
            self.utf16 += 2 if c >= 0xF0 else 1
        self.out.append(c)

    def in_code(self) -> bool:
        return bool(self.stack) and self.stack[-1].kind in ("code", "pre", "pre_code")

    def run(self) -> list[Entity]:
        i, n = 0, len(self.src)
        line_start = True
        while i < n:
            c = self.src[i]
            if line_start and not self.in_code():
                if c == ord(">"):
                    if self.quote_start is None:
                        self.quote_start = self.utf16
                    i += 1
                    line_start = False
                    continue
                self.close_quote()
            line_start = c == ord("\n")
            i = self.step(i, c) + 1
        self.close_quote()
        if self.stack:
            top = self.stack[-1]
            raise ParseError(f"Can't find end of {_NAMES[top.kind]} entity at byte offset {top.byte_offset}")
        return self.entities

    def close_quote(self) -> None:
        if self.quote_start is not None and self.utf16 > self.quote_start:
            self.entities.append(Entity("blockquote", self.quote_start, self.utf16 - self.quote_start))
        self.quote_start = None

    def step(self, i: int, c: int) -> int:
        """Handle the byte at ``i``; returns the index of the last byte consumed."""
        if c == ord("\\") and 0 < self.at(i + 1) <= 126:
            self.utf16 += 1
            self.out.append(self.src[i + 1])
            return i + 1
        reserved = frozenset(b"`") if self.in_code() else RESERVED
        if c not in reserved:
            self.emit(c)
            return i
        if self.stack and self.ends_top(i, c):
            return self.end(i)
        return self.begin(i, c)

    def ends_top(self, i: int, c: int) -> bool:
        kind = self.stack[-1].kind
        nxt = self.at(i + 1)
        return {
            "bold": c == ord("*"),
            "italic": c == ord("_") and nxt != ord("_"),
            "code": c == ord("`"),
            "pre": c == ord("`") and nxt == ord("`") and self.at(i + 2) == ord("`"),
            "pre_code": c == ord("`") and nxt == ord("`") and self.at(i + 2) == ord("`"),
            "text_link": c == ord("]"),
            "custom_emoji": c == ord("]"),
            "underline": c == ord("_") and nxt == ord("_"),
            "strikethrough": c == ord("~"),
            "spoiler": c == ord("|") and nxt == ord("|"),
        }[kind]

    def begin(self, i: int, c: int) -> int:
        start = i
        argument = ""
        if c == ord("_"):
            kind = "underline" if self.at(i + 1) == ord("_") else "italic"
            i += 1 if kind == "underline" else 0
        elif c == ord("*"):
            kind = "bold"
        elif c == ord("~"):
            kind = "strikethrough"
        elif c == ord("|") and self.at(i + 1) == ord("|"):
            kind, i = "spoiler", i + 1
        elif c == ord("["):
            kind = "text_link"
        elif c == ord("!") and self.at(i + 1) == ord("["):
            kind, i = "custom_emoji", i + 1
        elif c == ord("`") and self.at(i + 1) == ord("`") and self.at(i + 2) == ord("`"):
            kind, i = "pre", i + 3
            end = i
            while self.at(end) not in _SPACES and self.at(end) != ord("`"):
                end += 1
            if i != end and end < len(self.src) and self.at(end) != ord("`"):
                kind, argument, i = "pre_code", self.src[i:end].decode("utf-8", "replace"), end
            if self.at(i) in (ord("\n"), ord("\r")):
                pair = self.at(i + 1) in (ord("\n"), ord("\r")) and self.at(i) != self.at(i + 1)
                i += 2 if pair else 1
            i -= 1
        elif c == ord("`"):
            kind = "code"
        else:
            raise _reserved(c)
        self.stack.append(_Open(kind, argument, self.utf16, start, len(self.out)))
        return i

    def end(self, i: int) -> int:
        top = self.stack.pop()
        skip = self.utf16 == top.utf16_offset
        url = ""
        if top.kind in ("underline", "spoiler"):
            i += 1
        elif top.kind in ("pre", "pre_code"):
            i += 2
        elif top.kind in ("text_link", "custom_emoji"):
            if self.at(i + 1) != ord("("):
                if top.kind == "custom_emoji":
                    raise ParseError("Custom emoji entity must contain a tg://emoji URL")
                url = self.out[top.result_pos :].decode("utf-8", "replace")
            else:
                url, i = self.link_target(i + 2, top.kind)
        if skip:
            return i
        offset, length = top.utf16_offset, self.utf16 - top.utf16_offset
        if top.kind == "text_link":
            checked = checked_link(url)
            if checked:
                self.entities.append(Entity("text_link", offset, length, url=checked))
        elif top.kind == "custom_emoji":
            emoji_id = url.partition("id=")[2].split("&")[0]
            if not emoji_id.isdigit():
                raise ParseError("Custom emoji URL must have an emoji identifier")
            self.entities.append(Entity("custom_emoji", offset, length, custom_emoji_id=emoji_id))
        elif top.kind == "pre_code":
            self.entities.append(Entity("pre", offset, length, language=top.argument))
        else:
            self.entities.append(Entity(top.kind, offset, length))
        return i

    def link_target(self, i: int, kind: str) -> tuple[str, int]:
        begin = i
        target = bytearray()
        while i < len(self.src) and self.at(i) != ord(")"):
            if self.at(i) == ord("\\") and 0 < self.at(i + 1) <= 126:
                target.append(self.at(i + 1))
                i += 2
                continue
            target.append(self.at(i))
            i += 1
        if self.at(i) != ord(")"):
            what = "a custom emoji URL" if kind == "custom_emoji" else "a URL"
            raise ParseError(f"Can't find end of {what} at byte offset {begin}")
        return target.decode("utf-8", "replace"), i


def parse_markdown_v2(text: str) -> ParsedText:
    """Parse MarkdownV2 into plain text and entities; raises ``ParseError`` with tdlib's words."""
    parser = _Markdown(text)
    entities = sorted(parser.run(), key=sort_key)
    return trim(bytes(parser.out).decode("utf-8", "replace"), entities)
