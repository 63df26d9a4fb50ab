"""Telegram's MarkdownV2 parse mode: reserved characters, entities, and tdlib's error texts."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest
from telegram.helpers import escape_markdown

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from bot.emulator.html_check import ParseError
from bot.emulator.markdown_check import parse_markdown_v2


@pytest.mark.parametrize(
    ("source", "text", "found"),
    [
        (
            "*bold* _italic_ __under__ ~strike~ ||spoiler||",
            "bold italic under strike spoiler",
            [
                ("bold", 0, 4),
                ("italic", 5, 6),
                ("underline", 12, 5),
                ("strikethrough", 18, 6),
                ("spoiler", 25, 7),
            ],
        ),
        ("NIFTY 24,050\\.5 \\(\\+0\\.4%\\)", "NIFTY 24,050.5 (+0.4%)", []),
        ("`a.b` ```python\nx = 1```", "a.b x = 1", [("code", 0, 3), ("pre", 4, 5)]),
        ("[NSE](https://nseindia.com) [x](nonsense)", "NSE x", [("text_link", 0, 3)]),
        ("_a __b__ c_", "a b c", [("italic", 0, 5), ("underline", 2, 1)]),
        ("head\n>quoted\n>lines\ntail", "head\nquoted\nlines\ntail", [("blockquote", 5, 13)]),
        ("😀 *é*", "😀 é", [("bold", 3, 1)]),
    ],
)
def test_markup_gives_text_and_entities(source: str, text: str, found: list[tuple[str, int, int]]) -> None:
    parsed = parse_markdown_v2(source)
    assert parsed.text == text
    assert [(e.type, e.offset, e.length) for e in parsed.entities] == found


@pytest.mark.parametrize(
    ("source", "description"),
    [
        ("Version 1.0", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("P&L -5%", "Character '-' is reserved and must be escaped with the preceding '\\'"),
        ("a > b", "Character '>' is reserved and must be escaped with the preceding '\\'"),
        ("₹ *bold", "Can't find end of Bold entity at byte offset 4"),
        ("x _it", "Can't find end of Italic entity at byte offset 2"),
        ("```py\ncode", "Can't find end of PreCode entity at byte offset 0"),
        ("[link](https://x.org", "Can't find end of a URL at byte offset 7"),
    ],
)
def test_broken_markup_is_refused_with_tdlibs_description(source: str, description: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_markdown_v2(source)
    assert caught.value.description == description


def test_text_escaped_with_ptbs_helper_round_trips() -> None:
    raw = "Iron condor 24,000/24,500 (net +₹1,250.50) - margin ~1.2L! #nifty [paper] {test} = ok|done_"
    assert parse_markdown_v2(escape_markdown(raw, version=2)).text == raw


@pytest.mark.e2e
async def test_ptb_gets_telegrams_bad_request_for_an_unescaped_dot(emu: TelegramEmulator) -> None:
    emu.add_chat(42)
    async with Bot(DEFAULT_TOKEN, base_url=emu.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
            await bot.send_message(42, "Version 1.0", parse_mode="MarkdownV2")
        sent = await bot.send_message(42, "*Version* 1\\.0", parse_mode="MarkdownV2")
    assert sent.text == "Version 1.0"
    assert [v.description for v in emu.violations] == [
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"
    ]
