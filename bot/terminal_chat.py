"""A terminal chat with the bot for the offline demo: a person types, the bot answers, through the emulator.

Typed lines go to the bot as the user's messages (``/commands`` included). The bot's messages are printed
as they arrive, formatting turned into plain text (bold, italic, underline and strikethrough as ANSI
styles when the output is a terminal); inline buttons are listed with numbers::

    NiftyBot: NIFTY desk
      [1] Approve  [2] Reject
      [3] Details

Typing ``2`` presses button 2 of the latest message that has one; photos and documents are saved under
``files_dir`` and their path is printed. ``quit`` or end of input ends the chat. Input and output are
streams passed in, so the demo can be driven by a script and checked end to end.

``chat_session`` is the whole offline demo loop: emulator up, the real PTB application built against it
and polling, the terminal chat until ``quit``, everything shut down again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from telegram.ext import Application

from bot.emulator.html_check import Entity
from bot.emulator.media import image_size
from bot.emulator.server import DEFAULT_TOKEN, TelegramEmulator
from bot.emulator.state import StoredMessage

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

_STYLES = {"bold": "1", "italic": "3", "underline": "4", "strikethrough": "9"}
QUIT_WORDS = frozenset({"quit", "exit", "/quit"})


def render_text(text: str, entities: tuple[Entity, ...], *, ansi: bool) -> str:
    """``text`` for a terminal: ANSI styles for formatting entities (if ``ansi``), link targets appended."""
    index_of: list[int] = []  # UTF-16 unit -> Python index
    for i, ch in enumerate(text):
        index_of.extend([i] * (2 if ord(ch) > 0xFFFF else 1))
    index_of.append(len(text))

    def span(e: Entity) -> tuple[int, int]:
        end = min(e.offset + e.length, len(index_of) - 1)
        return index_of[min(e.offset, len(index_of) - 1)], index_of[end]

    styles: list[set[str]] = [set() for _ in text]
    links: dict[int, str] = {}
    for e in entities:
        start, stop = span(e)
        if e.type in _STYLES and ansi:
            for k in range(start, stop):
                styles[k].add(_STYLES[e.type])
        if e.type == "text_link" and e.url and e.url != text[start:stop]:
            links[stop] = f" ({e.url})"
    out: list[str] = []
    current: set[str] = set()
    for k, ch in enumerate(text):
        if k in links:
            out.append(links.pop(k))
        if styles[k] != current:
            out.append("\x1b[0m" if current else "")
            if styles[k]:
                out.append("\x1b[" + ";".join(sorted(styles[k])) + "m")
            current = styles[k]
        out.append(ch)
    if current:
        out.append("\x1b[0m")
    out.extend(links.values())
    return "".join(out)


@dataclass
class _Shown:
    edits: int
    deleted: bool


class TerminalChat:
    """One person (``user_id``) in one chat (``chat_id``) with the bot, on the given streams."""

    def __init__(
        self,
        emu: TelegramEmulator,
        *,
        chat_id: int,
        user_id: int | None = None,
        first_name: str = "You",
        out: TextIO,
        files_dir: Path = Path("demo-output"),
        ansi: bool | None = None,
        thread_id: int | None = None,
        reply_timeout: float = 10.0,
        quiet_period: float = 0.3,
    ) -> None:
        self.emu = emu
        self.chat_id = chat_id
        self.user_id = user_id if user_id is not None else chat_id
        self.first_name = first_name
        self.out = out
        self.files_dir = files_dir
        self.ansi = ansi if ansi is not None else _isatty(out)
        self.thread_id = thread_id
        self.reply_timeout = reply_timeout
        self.quiet_period = quiet_period
        self._shown: dict[int, _Shown] = {}
        self._answers_shown: set[str] = set()
        self.printed = 0  # items printed so far (messages, edits, button answers)
        self.bot_name = emu.conv.bot.first_name

    # ---- the loop -----------------------------------------------------------------------------
    async def run(self, lines: TextIO) -> None:
        """Read lines until ``quit`` or end of input; print the bot's messages as they come."""
        self.say("Type a message or /command; a number presses a button; 'quit' ends.")
        printer = asyncio.create_task(self._print_as_they_come())
        try:
            while True:
                line = await asyncio.to_thread(lines.readline)
                if not line:
                    break
                if not await self.handle(line.strip()):
                    break
        finally:
            printer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await printer
            self.flush()

    async def handle(self, line: str) -> bool:
        """Act on one typed line; ``False`` ends the chat."""
        if not line:
            return True
        if line.lower() in QUIT_WORDS:
            return False
        before = self.printed
        if line.isdigit():
            if not self.press(int(line)):
                return True
        else:
            self.emu.user_sends(
                self.chat_id, self.user_id, line, first_name=self.first_name, thread_id=self.thread_id
            )
        await self.settle(before)
        return True

    def press(self, number: int) -> bool:
        """Press button ``number`` of the latest message that has that many buttons."""
        for message in reversed(self.emu.messages(self.chat_id, thread_id=self.thread_id)):
            buttons = [b for row in message.buttons for b in row]
            if len(buttons) >= number:
                button = buttons[number - 1]
                if button.get("callback_data"):
                    self.emu.user_presses(
                        self.chat_id, self.user_id, message.message_id, button["callback_data"]
                    )
                    return True
                self.say(f"(button [{number}] opens {button.get('url', 'something outside the chat')})")
                return False
        self.say(f"(no button [{number}] to press)")
        return False

    async def settle(self, printed_before: int) -> None:
        """Wait for the bot to react to an action (or ``reply_timeout``), then for a quiet moment."""
        with contextlib.suppress(TimeoutError):
            await self.emu.wait_for(
                lambda: self.printed > printed_before or self._unshown(), self.reply_timeout
            )
        while True:
            seen = self.emu.version
            await asyncio.sleep(self.quiet_period)
            if self.emu.version == seen:
                break
        self.flush()

    async def _print_as_they_come(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await self.emu.wait_for(self._unshown, timeout=3600)
                self.flush()

    # ---- output -------------------------------------------------------------------------------
    def _unshown(self) -> bool:
        for message in self.emu.messages(self.chat_id, thread_id=self.thread_id):
            shown = self._shown.get(message.message_id)
            if shown is None or shown.edits != message.edits:
                return True
        return any(
            r.chat_id == self.chat_id and r.id not in self._answers_shown for r in self.emu.answered_callbacks
        )

    def flush(self) -> None:
        """Print every bot message, edit and button answer not printed yet."""
        for message in self.emu.messages(self.chat_id, thread_id=self.thread_id):
            shown = self._shown.get(message.message_id)
            if shown is None or shown.edits != message.edits:
                self.show(message, edited=shown is not None)
                self.printed += 1
            self._shown[message.message_id] = _Shown(message.edits, message.deleted)
        for record in self.emu.answered_callbacks:
            if record.chat_id == self.chat_id and record.id not in self._answers_shown:
                self._answers_shown.add(record.id)
                answer = record.answer or {}
                self.printed += 1
                if answer.get("text"):
                    kind = "alert" if answer.get("show_alert") else "notice"
                    self.say(f"({kind} from {self.bot_name}: {answer['text']})")
        self.out.flush()

    def show(self, message: StoredMessage, *, edited: bool) -> None:
        label = f"{self.bot_name} (edited)" if edited else self.bot_name
        lines: list[str] = []
        if message.photo is not None:
            lines.append(f"[photo saved: {self._save(message, message.photo.data, None)}]")
        if message.document is not None:
            saved = self._save(message, message.document.data, message.document.filename)
            lines.append(f"[document saved: {saved}]")
        if message.text is not None:
            lines.extend(render_text(message.text, message.entities, ansi=self.ansi).split("\n"))
        elif message.caption:
            lines.extend(render_text(message.caption, message.caption_entities, ansi=self.ansi).split("\n"))
        lines.extend(self._keyboard(message))
        first, *rest = lines or [""]
        self.say(f"{label}: {first}")
        for line in rest:
            self.say(line if line.startswith("  [") else f"  {line}")

    def _keyboard(self, message: StoredMessage) -> list[str]:
        rows: list[str] = []
        number = 0
        for row in message.buttons:
            cells = []
            for button in row:
                number += 1
                cells.append(f"[{number}] {button['text']}")
            rows.append("  " + "  ".join(cells))
        return rows

    def _save(self, message: StoredMessage, data: bytes, filename: str | None) -> Path:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        if filename is None:
            found = image_size(data)
            filename = f"photo.{found[0] if found else 'bin'}"
        path = self.files_dir / f"{self.chat_id}_{message.message_id}_{Path(filename).name}"
        path.write_bytes(data)
        return path

    def say(self, line: str) -> None:
        self.out.write(line + "\n")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


async def chat_session(
    build_app: Callable[[str, str, str], AnyApplication],
    *,
    lines: TextIO,
    out: TextIO,
    chat_id: int,
    user_id: int | None = None,
    first_name: str = "You",
    files_dir: Path = Path("demo-output"),
    token: str = DEFAULT_TOKEN,
    ansi: bool | None = None,
    reply_timeout: float = 10.0,
) -> TelegramEmulator:
    """Run the bot built by ``build_app(token, base_url, base_file_url)`` against a fresh emulator and chat.

    ``post_init`` / ``post_stop`` / ``post_shutdown`` hooks run as ``run_polling`` would run them. The chat
    is known to the emulator from the start, so the bot may write first. Returns the emulator (stopped)
    for inspection: messages, violations, requests.
    """
    async with TelegramEmulator(token) as emu:
        emu.add_chat(chat_id)
        app = build_app(token, emu.base_url, emu.base_file_url)
        async with app:
            if app.post_init:
                await app.post_init(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=5, drop_pending_updates=True)
            try:
                chat = TerminalChat(
                    emu,
                    chat_id=chat_id,
                    user_id=user_id,
                    first_name=first_name,
                    out=out,
                    files_dir=files_dir,
                    ansi=ansi,
                    reply_timeout=reply_timeout,
                )
                await chat.run(lines)
            finally:
                await app.updater.stop()
                await app.stop()
                if app.post_stop:
                    await app.post_stop(app)
        if app.post_shutdown:
            await app.post_shutdown(app)
    return emu
