"""Telegram's HTML parse mode, byte for byte: text and entities out, or Telegram's error text.

This follows the parser behind the Bot API (tdlib ``parse_html`` and ``fix_formatted_text``) so that the
emulator refuses exactly what Telegram refuses, with the same words and the same offsets:

* offsets in error messages are **byte offsets into the UTF-8 text** (``at byte offset 0``);
* entity offsets and lengths are **UTF-16 code units**, as in the Bot API's ``MessageEntity``;
* allowed tags: ``b strong i em u ins s strike del span class="tg-spoiler" tg-spoiler a href code
  pre blockquote [expandable] tg-emoji emoji-id``; tag and attribute names are case-insensitive;
* recognised character references: ``&lt; &gt; &amp; &quot;`` and numeric ones (``&#60; &#x3C;``),
  the ``;`` being optional as in tdlib.

Telegram documents that every ``<``, ``>`` and ``&`` that is not part of a tag or entity must be escaped,
but the live parser tolerates a bare ``>`` and a ``&`` that starts no known entity (``P&L`` shows as is).
With ``strict=True`` (the emulator's default) those are refused too, so a bot that forgets to escape user
data is caught in tests; ``ParseError.strict_only`` tells that Telegram itself would have accepted it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SPACES = frozenset(b" \t\r\n\x00\x0b\x0c")
_SIMPLE = {
    "i": "italic",
    "em": "italic",
    "b": "bold",
    "strong": "bold",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


class ParseError(ValueError):
    """The text is not valid Telegram HTML; ``description`` is tdlib's message (without prefixes)."""

    def __init__(self, description: str, *, strict_only: bool = False) -> None:
        super().__init__(description)
        self.description = description
        self.strict_only = strict_only


@dataclass(frozen=True)
class Entity:
    """One formatting entity; ``offset`` and ``length`` in UTF-16 code units."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "offset": self.offset, "length": self.length}
        for key in ("url", "language", "custom_emoji_id"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out


@dataclass(frozen=True)
class ParsedText:
    """Text as Telegram stores it after entity parsing, with its entities sorted by offset."""

    text: str
    entities: tuple[Entity, ...] = field(default_factory=tuple)


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    result_pos: int


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Telegram counts entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def _is_alpha(c: int) -> bool:
    return 65 <= c <= 90 or 97 <= c <= 122


def _is_digit(c: int) -> bool:
    return 48 <= c <= 57


def _is_hex(c: int) -> bool:
    return _is_digit(c) or 65 <= c <= 70 or 97 <= c <= 102


class _Html:
    """One parse of one text; mirrors tdlib's loop over the NUL-terminated UTF-8 buffer."""

    def __init__(self, text: str, strict: bool) -> None:
        self.src = text.encode("utf-8", "surrogatepass")
        self.strict = strict
        self.out = bytearray()
        self.utf16 = 0
        self.entities: list[Entity] = []
        self.open: list[_Open] = []

    def at(self, i: int) -> int:
        return self.src[i] if i < len(self.src) else 0

    def decode_entity(self, pos: int) -> tuple[int, int] | None:
        """(code point, position after the reference) for a character reference at ``pos``."""
        end = pos + 1
        code = 0
        if self.at(pos + 1) == ord("#"):
            end += 1
            if self.at(pos + 2) == ord("x"):
                end += 1
                while _is_hex(self.at(end)):
                    code = code * 16 + int(chr(self.at(end)), 16)
                    end += 1
            else:
                while _is_digit(self.at(end)):
                    code = code * 10 + self.at(end) - 48
                    end += 1
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return None
        else:
            while _is_alpha(self.at(end)):
                end += 1
            name = self.src[pos + 1 : end]
            named = {b"lt": 60, b"gt": 62, b"amp": 38, b"quot": 34}
            if name not in named:
                return None
            code = named[name]
        return code, end + 1 if self.at(end) == ord(";") else end

    def run(self) -> list[Entity]:
        i = 0
        n = len(self.src)
        while i < n:
            c = self.src[i]
            if c == ord("&"):
                decoded = self.decode_entity(i)
                if decoded is not None:
                    code, i = decoded
                    self.utf16 += 2 if code > 0xFFFF else 1
                    self.out += chr(code).encode("utf-8", "surrogatepass")
                    continue
                if self.strict:
                    raise ParseError(
                        f'Character "&" at byte offset {i} must be escaped as "&amp;"', strict_only=True
                    )
            if c != ord("<"):
                if c == ord(">") and self.strict:
                    raise ParseError(
                        f'Character ">" at byte offset {i} must be escaped as "&gt;"', strict_only=True
                    )
                if c & 0xC0 != 0x80:
                    self.utf16 += 2 if c >= 0xF0 else 1
                self.out.append(c)
                i += 1
                continue
            i = self.tag(i)
        if self.open:
            raise ParseError(f'Can\'t find end tag corresponding to start tag "{self.open[-1].tag}"')
        return self.entities

    def tag(self, begin: int) -> int:
        """Parse the tag starting at ``begin`` (a ``<``); returns the index after its ``>``."""
        i = begin + 1
        if self.at(i) != ord("/"):
            return self.start_tag(begin, i)
        return self.end_tag(begin, i)

    def start_tag(self, begin: int, i: int) -> int:
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        if self.at(i) == 0:
            raise ParseError(f"Unclosed start tag at byte offset {begin}")
        tag = self.src[begin + 1 : i].decode("utf-8", "replace").lower()
        if tag not in ALLOWED_TAGS:
            raise ParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        expandable = False
        while self.at(i) != ord(">"):
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == ord(">"):
                break
            name_begin = i
            while self.at(i) not in _SPACES and self.at(i) not in (ord("="), ord(">")):
                i += 1
            attr = self.src[name_begin:i].decode("utf-8", "replace")
            if not attr:
                raise ParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) != ord("="):
                # an attribute without a value is ignored (``<blockquote expandable>`` is the one that counts)
                expandable = expandable or (tag == "blockquote" and attr.lower() == "expandable")
                continue
            i += 1
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == 0:
                raise ParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value, i = self.attribute_value(i)
            if self.at(i) == 0:
                raise ParseError(f"Unclosed start tag at byte offset {begin}")
            attr = attr.lower()
            if (tag == "a" and attr == "href") or (tag == "tg-emoji" and attr == "emoji-id"):
                argument = value
            elif tag == "blockquote" and attr == "expandable":
                expandable = True
            elif tag == "code" and attr == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and attr == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
        if tag == "span" and argument != "spoiler":
            raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        if tag == "blockquote" and expandable:
            argument = "expandable"
        self.open.append(_Open(tag, argument, self.utf16, len(self.out)))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in (ord("'"), ord('"')):
            token_begin = i
            while _is_alpha(self.at(i)) or _is_digit(self.at(i)) or self.at(i) in (ord("."), ord("-")):
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ord(">"):
                raise ParseError(f"Unexpected end of name token at byte offset {token_begin}")
            return self.src[token_begin:i].decode("utf-8", "replace").lower(), i
        i += 1
        value = bytearray()
        while self.at(i) != quote and self.at(i) != 0:
            if self.at(i) == ord("&"):
                decoded = self.decode_entity(i)
                if decoded is not None:
                    code, i = decoded
                    value += chr(code).encode("utf-8", "surrogatepass")
                    continue
            value.append(self.src[i])
            i += 1
        if self.at(i) == quote:
            i += 1
        return value.decode("utf-8", "replace"), i

    def end_tag(self, begin: int, i: int) -> int:
        if not self.open:
            raise ParseError(f"Unexpected end tag at byte offset {begin}")
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        end_name = self.src[begin + 2 : i].decode("utf-8", "replace").lower()
        while self.at(i) in _SPACES and self.at(i) != 0:
            i += 1
        if self.at(i) != ord(">"):
            raise ParseError(f"Unclosed end tag at byte offset {begin}")
        top = self.open[-1]
        if end_name and end_name != top.tag:
            raise ParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{top.tag}>", found "</{end_name}>"'
            )
        if self.utf16 > top.utf16_offset:
            self.close(top)
        self.open.pop()
        return i + 1

    def close(self, top: _Open) -> None:
        offset, length = top.utf16_offset, self.utf16 - top.utf16_offset
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and last.offset == offset and last.length == length
        if top.tag in _SIMPLE:
            self.entities.append(Entity(_SIMPLE[top.tag], offset, length))
        elif top.tag == "tg-emoji":
            if not top.argument.isdigit() or int(top.argument) == 0:
                raise ParseError("Invalid custom emoji identifier specified")
            self.entities.append(Entity("custom_emoji", offset, length, custom_emoji_id=top.argument))
        elif top.tag == "a":
            url = top.argument or self.out[top.result_pos :].decode("utf-8", "replace")
            checked = checked_link(url)
            if checked:
                self.entities.append(Entity("text_link", offset, length, url=checked))
        elif top.tag == "pre":
            if last is not None and same_span and last.type == "code" and last.language:
                self.entities[-1] = Entity("pre", offset, length, language=last.language)
            else:
                self.entities.append(Entity("pre", offset, length))
        elif top.tag == "code":
            if last is not None and same_span and last.type == "pre" and top.argument:
                self.entities[-1] = Entity("pre", offset, length, language=top.argument)
            else:
                self.entities.append(Entity("code", offset, length, language=top.argument or None))
        else:  # blockquote
            kind = "expandable_blockquote" if top.argument == "expandable" else "blockquote"
            self.entities.append(Entity(kind, offset, length))


_HOST = re.compile(
    r"^(?:[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]*\.)+[A-Za-z\u00a1-\uffff-]{2,}"
    r"|\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?$"
)


def checked_link(url: str) -> str:
    """The link Telegram keeps for ``<a href=...>`` (normalised), or ``""`` when it drops the entity silently.

    Like tdlib: a missing scheme means ``http://``; an http(s) link needs a host with a dot and gets a
    ``/`` path when it has none; ``tg:`` and ``mailto:`` links are kept; anything with a blank is dropped.
    """
    if not url or any(ch.isspace() for ch in url):
        return ""
    lowered = url.lower()
    if lowered.startswith(("tg:", "mailto:")):
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "http", url
    if scheme.lower() not in ("http", "https", "ton"):
        return ""
    cut = min((k for k in (rest.find("/"), rest.find("?"), rest.find("#")) if k >= 0), default=len(rest))
    host, tail = rest[:cut], rest[cut:]
    if "@" in host:
        host = host.rsplit("@", 1)[1]
    if not _HOST.match(host):
        return ""
    return f"{scheme.lower()}://{rest[:cut]}{tail if tail.startswith('/') else '/' + tail}"


# tdlib orders entities by offset, then longer first, then by this priority (lower first)
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}


def sort_key(e: Entity) -> tuple[int, int, int]:
    return (e.offset, -e.length, _PRIORITY.get(e.type, 50))


def parse_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram HTML into plain text and entities; raises ``ParseError`` with tdlib's words."""
    parser = _Html(text, strict)
    entities = parser.run()
    raw = bytes(parser.out)
    try:
        plain = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
            "surrogate code units"
        ) from exc
    entities = [
        Entity(e.type, e.offset, e.length, e.url, None, e.custom_emoji_id) if e.type == "code" else e
        for e in entities
    ]
    return trim(plain, entities)


def trim(text: str, entities: list[Entity]) -> ParsedText:
    """Telegram's clean-up after parsing, in UTF-16 units as tdlib does it.

    Entities lose leading spaces/newlines (an entity of whitespace only disappears), trailing spaces and
    newlines of the text are dropped, and leading ones too as far as the first entity.
    """
    units = text.encode("utf-16-le")
    count = len(units) // 2

    def is_blank(k: int) -> bool:
        return units[2 * k + 1] == 0 and units[2 * k] in (0x20, 0x0A)

    end = count
    while end > 0 and is_blank(end - 1):
        end -= 1
    kept: list[Entity] = []
    for e in sorted(entities, key=sort_key):
        start, stop = e.offset, min(e.offset + e.length, end)
        while start < stop and is_blank(start):
            start += 1
        if stop > start:
            kept.append(Entity(e.type, start, stop - start, e.url, e.language, e.custom_emoji_id))
    first = min((e.offset for e in kept), default=end)
    lead = 0
    while lead < min(first, end) and is_blank(lead):
        lead += 1
    shifted = tuple(
        Entity(e.type, e.offset - lead, e.length, e.url, e.language, e.custom_emoji_id)
        for e in sorted(kept, key=sort_key)
    )
    return ParsedText(units[2 * lead : 2 * end].decode("utf-16-le", "surrogatepass"), shifted)
