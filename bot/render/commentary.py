"""A commentary paragraph and where it came from: Claude, or the automatic (rule-based) summary.

The label is always shown so a reader can tell a model's words from the desk's own fallback text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.render.text import esc


class CommentarySource(StrEnum):
    CLAUDE = "claude"
    AUTO = "auto"


@dataclass(frozen=True)
class Commentary:
    text: str
    source: CommentarySource


def commentary_lines(c: Commentary | None) -> list[str]:
    """The labelled paragraph (empty when there is none)."""
    if c is None or not c.text.strip():
        return []
    label = (
        "Commentary by Claude (AI; check the numbers above)"
        if c.source is CommentarySource.CLAUDE
        else "Automatic summary (rule-based, no AI)"
    )
    return [f"<i>{label}</i>", f"<blockquote>{esc(c.text.strip())}</blockquote>"]
