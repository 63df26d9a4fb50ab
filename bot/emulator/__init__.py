"""A local Telegram Bot API emulator: the real PTB ``Application`` talks to it over HTTP on 127.0.0.1.

Public surface::

    TelegramEmulator      the server and its test controls (server.py)
    StoredMessage         a message as the emulator keeps it (state.py)
    Violation             a malformed request the emulator refused (server.py)
    FloodLimits           opt-in 429s for sends that come too fast (flood.py)
    parse_html            Telegram's HTML parse mode (html_check.py)
    parse_markdown_v2     Telegram's MarkdownV2 parse mode (markdown_check.py)
    load_spec             the committed Bot API 10.1 spec (spec.py, botapi_spec.json)

Inside: wire.py reads requests, validate.py + markup.py check them against the spec, methods_messages.py
and methods_bot.py carry them out on the conversation in state.py, users.py makes the people's updates,
faults.py injects failures, envelope.py writes Telegram's answers.
"""

from bot.emulator.flood import FloodLimits
from bot.emulator.html_check import ParsedText, ParseError, parse_html
from bot.emulator.markdown_check import parse_markdown_v2
from bot.emulator.server import DEFAULT_TOKEN, ErrorAnswer, RecordedRequest, TelegramEmulator, Violation
from bot.emulator.spec import BotApiSpec, load_spec
from bot.emulator.state import StoredMessage

__all__ = [
    "DEFAULT_TOKEN",
    "BotApiSpec",
    "ErrorAnswer",
    "FloodLimits",
    "ParseError",
    "ParsedText",
    "RecordedRequest",
    "StoredMessage",
    "TelegramEmulator",
    "Violation",
    "load_spec",
    "parse_html",
    "parse_markdown_v2",
]
