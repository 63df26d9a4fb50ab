"""Telegram length rules: measuring, splitting long messages and fitting photo captions.

Telegram counts a message's length after entity parsing (tags removed, ``&amp;`` is one character) in
UTF-16 code units: text ≤ 4,096, captions ≤ 1,024. :func:`split_message` cuts at line boundaries
(inside a too-long line at a space, or between characters as a last resort), never inside a tag or an
entity, and closes the tags open at a cut (``</pre>``, ``</b>`` ...) and reopens them, attributes and
all, at the start of the next part. The input is assumed to be valid Telegram HTML (as the templates
produce); the splitter never changes the visible text, it only adds the closing and reopening tags.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CAPTION_NOTE = "\n<i>(shortened; the full text follows)</i>"

_TOKEN = re.compile(
    r"<(?P<close>/)?(?P<name>[a-zA-Z][a-zA-Z0-9-]*)(?P<rest>[^<>]*)>"
    r"|&(?P<entity>#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);"
)

Kind = Literal["open", "close", "text"]


@dataclass(frozen=True, slots=True)
class _Atom:
    kind: Kind
    raw: str
    size: int  # UTF-16 code units once parsed (0 for tags)
    name: str = ""
    visible: str = ""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (characters outside the BMP count twice)."""
    return len(text.encode("utf-16-le")) // 2


def _entity_text(entity: str) -> str:
    if entity.startswith(("#x", "#X")):
        return chr(int(entity[2:], 16))
    if entity.startswith("#"):
        return chr(int(entity[1:]))
    return {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[entity]


def _atoms(text: str) -> list[_Atom]:
    out: list[_Atom] = []

    def plain(chunk: str) -> None:
        out.extend(_Atom("text", ch, 2 if ord(ch) > 0xFFFF else 1, visible=ch) for ch in chunk)

    pos = 0
    for m in _TOKEN.finditer(text):
        plain(text[pos : m.start()])
        pos = m.end()
        if m.group("entity") is not None:
            try:
                ch = _entity_text(m.group("entity"))
                size = utf16_len(ch)
            except (ValueError, OverflowError):  # out of range or surrogate code point: literal text
                plain(m.group(0))
                continue
            out.append(_Atom("text", m.group(0), size, visible=ch))
        else:
            name = m.group("name").lower()
            out.append(_Atom("close" if m.group("close") else "open", m.group(0), 0, name=name))
    plain(text[pos:])
    return out


def visible_text(html_text: str) -> str:
    """The text Telegram shows: tags removed, entities decoded."""
    return "".join(a.visible for a in _atoms(html_text))


def _units(text: str) -> int:
    """UTF-16 code units of plain text, as the atoms count them (a lone surrogate is one unit)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def telegram_length(html_text: str) -> int:
    """The length Telegram checks against its limits (after entity parsing, UTF-16 units).

    Equal to the sum of the atoms' sizes, without building an atom per character: every reply is
    measured before it is sent, and the per-character atoms were a quarter of a text command's CPU.
    """
    total = pos = 0
    for m in _TOKEN.finditer(html_text):
        total += _units(html_text[pos : m.start()])
        pos = m.end()
        entity = m.group("entity")
        if entity is not None:
            try:
                total += utf16_len(_entity_text(entity))
            except (ValueError, OverflowError):  # kept as literal text, as _atoms does
                total += _units(m.group(0))
    return total + _units(html_text[pos:])


def _stacks(atoms: list[_Atom]) -> list[tuple[_Atom, ...]]:
    """The open tags before each atom index (and at the end): ``stacks[i]`` is the state at ``i``."""
    stack: tuple[_Atom, ...] = ()
    out = [stack]
    for a in atoms:
        if a.kind == "open":
            stack = (*stack, a)
        elif a.kind == "close":
            for j in range(len(stack) - 1, -1, -1):
                if stack[j].name == a.name:
                    stack = stack[:j] + stack[j + 1 :]
                    break
        out.append(stack)
    return out


def _cut_points(atoms: list[_Atom], limit: int) -> list[int]:
    n = len(atoms)
    sums = [0]  # visible size before each index
    solid = [0]  # non-whitespace characters before each index
    for a in atoms:
        sums.append(sums[-1] + a.size)
        solid.append(solid[-1] + (1 if a.visible and not a.visible.isspace() else 0))
    line_ends = [i + 1 for i, a in enumerate(atoms) if a.visible == "\n"]
    cuts: list[int] = []
    start = 0
    while start < n:
        if sums[n] - sums[start] <= limit:
            cuts.append(n)
            break
        furthest = bisect.bisect_right(sums, sums[start] + limit) - 1  # largest e: sums[e] <= budget
        end = 0
        k = bisect.bisect_right(line_ends, furthest) - 1
        if k >= 0 and line_ends[k] > start and solid[line_ends[k]] > solid[start]:
            end = line_ends[k]  # the last whole line that fits (and holds more than whitespace)
        else:  # no whole line fits: cut after the last space, else between characters
            for j in range(furthest, start, -1):
                if atoms[j - 1].visible.isspace() and solid[j] > solid[start]:
                    end = j
                    break
            else:
                end = furthest
        if end < n:
            after = bisect.bisect_right(sums, sums[end] + limit) - 1
            if solid[after] == solid[end]:
                # The next part could hold only whitespace (which Telegram refuses): give it this
                # part's last character so the whitespace travels with text.
                last_text = max((i for i in range(start, end) if solid[i + 1] > solid[i]), default=start)
                if last_text > start:
                    end = last_text
        while end < n and atoms[end].kind == "close":  # closing tags stay with their text
            end += 1
        while end > start + 1 and atoms[end - 1].kind == "open":  # opening tags go with theirs
            end -= 1
        end = max(end, start + 1)
        cuts.append(end)
        start = end
    return cuts


def split_message(html_text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into parts of at most ``limit`` (UTF-16, after parsing), each balanced.

    The visible text of the parts, joined, is the visible text of the input. (Only a run of whitespace
    about as long as the limit could leave a part of nothing but whitespace, which Telegram refuses;
    such a part is dropped.)
    """
    if limit < 2:
        raise ValueError("limit must allow at least one character")
    if telegram_length(html_text) <= limit:
        return [html_text]
    atoms = _atoms(html_text)
    stacks = _stacks(atoms)
    parts: list[str] = []
    start = 0
    for end in _cut_points(atoms, limit):
        head = "".join(a.raw for a in stacks[start])
        body = "".join(a.raw for a in atoms[start:end])
        tail = "".join(f"</{a.name}>" for a in reversed(stacks[end]))
        if "".join(a.visible for a in atoms[start:end]).strip():
            parts.append(head + body + tail)
        start = end
    return parts or [html_text]


@dataclass(frozen=True)
class CaptionFit:
    """A caption that fits, and the full text to send after the photo when it did not."""

    caption: str
    follow_up: str | None = None


def fit_caption(html_text: str, limit: int = CAPTION_LIMIT) -> CaptionFit:
    """The caption as is when it fits; otherwise its first lines with a note, and the full text."""
    if telegram_length(html_text) <= limit:
        return CaptionFit(html_text)
    room = limit - telegram_length(CAPTION_NOTE)
    head = split_message(html_text, room)[0]
    return CaptionFit(head.rstrip("\n") + CAPTION_NOTE, html_text)
