"""Golden files: tests/bot/render/golden/<name>.html, compared exactly.

``UPDATE_GOLDEN=1 make test`` (or pytest) rewrites them; review the diff before committing. A missing
file fails the test (with the command to create it) instead of being created silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from telegram import InlineKeyboardMarkup

from bot.render.message import PhotoReply, Reply

GOLDEN_DIR = Path(__file__).parent / "golden"


def updating() -> bool:
    return os.environ.get("UPDATE_GOLDEN") == "1"


def keyboard_lines(keyboard: InlineKeyboardMarkup | None) -> list[str]:
    if keyboard is None:
        return []
    return [" ".join(f"[{b.text} → {b.callback_data}]" for b in row) for row in keyboard.inline_keyboard]


def serialize(reply: Reply | PhotoReply | str) -> str:
    """The golden text: the HTML, then the keyboard (one row a line) in an HTML comment."""
    if isinstance(reply, str):
        text, keyboard = reply, None
    elif isinstance(reply, PhotoReply):
        text, keyboard = reply.caption, reply.keyboard
    else:
        text, keyboard = reply.text, reply.keyboard
    rows = keyboard_lines(keyboard)
    out = text + "\n"
    if rows:
        out += "<!-- keyboard\n" + "\n".join(rows) + "\n-->\n"
    return out


def check_golden(
    name: str, content: str, directory: Path = GOLDEN_DIR, *, update: bool | None = None
) -> None:
    path = directory / f"{name}.html"
    if update if update is not None else updating():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"golden file {path.name} is missing: run UPDATE_GOLDEN=1 pytest {__package__}")
    expected = path.read_text(encoding="utf-8")
    assert content == expected, f"{path.name} differs (UPDATE_GOLDEN=1 rewrites it after review)"
