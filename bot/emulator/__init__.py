"""A local Telegram Bot API emulator: the real PTB ``Application`` talks to it over HTTP on 127.0.0.1.

Public surface::

    TelegramEmulator      the server and its test controls (server.py)
    StoredMessage         a message as the emulator keeps it (state.py)
    Violation             a malformed request the emulator refused (server.py)
    parse_html            Telegram's HTML parse mode (html_check.py)
    load_spec             the committed Bot API spec (spec.py)
"""

from bot.emulator.html_check import ParsedText, ParseError, parse_html
from bot.emulator.server import DEFAULT_TOKEN, ErrorAnswer, RecordedRequest, TelegramEmulator, Violation
from bot.emulator.spec import BotApiSpec, load_spec
from bot.emulator.state import StoredMessage

__all__ = [
    "DEFAULT_TOKEN",
    "BotApiSpec",
    "ErrorAnswer",
    "ParseError",
    "ParsedText",
    "RecordedRequest",
    "StoredMessage",
    "TelegramEmulator",
    "Violation",
    "load_spec",
    "parse_html",
]
