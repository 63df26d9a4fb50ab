"""The committed Bot API spec: it loads, it is facts only, and the trim script reproduces it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from telegram import Bot

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator, load_spec
from bot.emulator.spec import SPEC_PATH
from bot.emulator.validate import Validator
from scripts.trim_botapi_spec import DEFAULT_SOURCE, render, trim


def test_the_spec_is_bot_api_10_1_with_every_method_the_emulator_serves() -> None:
    spec = load_spec()
    assert spec.version == "Bot API 10.1"
    send = spec.method("sendmessage")
    assert send is not None and send.name == "sendMessage"
    assert {f.name for f in send.fields if f.required} == {"chat_id", "text"}
    assert send.field("chat_id").types == ("Integer", "String")  # type: ignore[union-attr]
    for name in ("getUpdates", "answerCallbackQuery", "editMessageReplyMarkup", "setMyCommands", "sendPhoto"):
        assert spec.method(name) is not None
    assert spec.type("InlineKeyboardButton").field("callback_data").types == ("String",)  # type: ignore[union-attr]
    assert "ChatMemberMember" in spec.type("ChatMember").subtypes  # type: ignore[union-attr]


def test_the_spec_file_holds_no_prose() -> None:
    raw = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert set(raw) == {"version", "release_date", "methods", "types"}
    for section in ("methods", "types"):
        for body in raw[section].values():
            assert set(body) <= {"fields", "returns", "subtypes", "subtype_of"}
            for field in body["fields"]:
                assert set(field) == {"name", "types", "required"}


@pytest.mark.skipif(
    not DEFAULT_SOURCE.exists(),
    reason=f"the full Bot API description ({DEFAULT_SOURCE}) exists only in the team's workspace, not in a clone",
)
def test_the_trim_script_reproduces_the_committed_spec() -> None:
    produced = render(trim(json.loads(Path(DEFAULT_SOURCE).read_text(encoding="utf-8"))))
    assert produced == SPEC_PATH.read_text(encoding="utf-8")


async def test_what_the_emulator_answers_conforms_to_the_spec(emu: TelegramEmulator) -> None:
    """The emulator's own answers pass the same type check its requests get (Message, Update, ...)."""
    from tests.bot.emulator.example_bot import CHART

    validator = Validator(load_spec())
    emu.add_chat(42)
    async with Bot(DEFAULT_TOKEN, base_url=emu.base_url) as bot:
        await bot.send_message(42, "<b>x</b>", parse_mode="HTML", reply_markup=None)
        await bot.send_photo(42, CHART, caption="c")
    emu.user_sends(42, 42, "/start now")
    for message in emu.messages(42, include_users=True):
        validator.coerce(message.to_api(), ("Message",), "message", {})
    for update in emu.conv.updates:
        validator.coerce(update.to_api(), ("Update",), "update", {})
    validator.coerce(emu.conv.chats[42].full_info(), ("ChatFullInfo",), "chat", {})
