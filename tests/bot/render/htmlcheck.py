"""An independent checker for Telegram HTML (written apart from bot.render.split on purpose, so a bug in
the splitter's tokenizer cannot hide itself): allowed tags only, properly nested and closed, every other
``<``, ``>`` and ``&`` escaped, entities valid, and the lengths Telegram enforces."""

from __future__ import annotations

import html
import re

ALLOWED = {"b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"}
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHONE_COLUMNS = 40

_TAG = re.compile(r'<(/?)([a-z-]+)((?:\s+href="[^"<>]*")?)>')
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


def problems(text: str) -> list[str]:
    """Everything wrong with ``text`` as Telegram HTML (empty when it is valid)."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if m is None:
                out.append(f"unescaped '<' or malformed tag at {i}: {text[i : i + 20]!r}")
                i += 1
                continue
            closing, name, attrs = m.group(1) == "/", m.group(2), m.group(3)
            if name not in ALLOWED:
                out.append(f"tag <{name}> is not allowed")
            elif closing:
                if attrs:
                    out.append(f"closing tag </{name}> with attributes")
                if not stack or stack[-1] != name:
                    out.append(f"</{name}> closes {stack[-1] if stack else 'nothing'} at {i}")
                else:
                    stack.pop()
            else:
                if attrs and name != "a":
                    out.append(f"<{name}> may not carry attributes")
                if name == "a" and not attrs:
                    out.append("<a> without href")
                if "pre" in stack or "code" in stack:
                    out.append(f"<{name}> inside a pre/code block")
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if m is None:
                out.append(f"unescaped '&' or unknown entity at {i}: {text[i : i + 12]!r}")
                i += 1
                continue
            i = m.end()
        elif ch == ">":
            out.append(f"unescaped '>' at {i}")
            i += 1
        else:
            i += 1
    if stack:
        out.append(f"unclosed tags: {stack}")
    return out


def visible(text: str) -> str:
    """The text after entity parsing (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


def utf16_length(text: str) -> int:
    return len(visible(text).encode("utf-16-le")) // 2


def pre_lines(text: str) -> list[str]:
    """The visible lines inside every <pre> block."""
    lines: list[str] = []
    for block in re.findall(r"<pre>(.*?)</pre>", text, flags=re.S):
        lines += visible(block).split("\n")
    return lines


def assert_valid(text: str, *, limit: int = TEXT_LIMIT, max_columns: int | None = PHONE_COLUMNS) -> None:
    found = problems(text)
    assert not found, "invalid Telegram HTML:\n" + "\n".join(found) + "\n---\n" + text
    assert visible(text).strip(), "empty message"
    assert utf16_length(text) <= limit, f"{utf16_length(text)} > {limit} UTF-16 units"
    if max_columns is not None:
        wide = [line for line in pre_lines(text) if len(line) > max_columns]
        assert not wide, f"<pre> lines wider than {max_columns}: {wide}"
