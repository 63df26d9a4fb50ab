"""Sending, editing and deleting through a plain PTB Bot: what is stored and what Telegram refuses."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ReplyParameters
from telegram.error import BadRequest

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from tests.bot.emulator.example_bot import CHART

pytestmark = pytest.mark.e2e

CHAT = 42
KEYS = InlineKeyboardMarkup([[InlineKeyboardButton("Close", callback_data="close:1")]])


@pytest.fixture
async def bot(emu: TelegramEmulator) -> Bot:
    emu.add_chat(CHAT)
    async with Bot(DEFAULT_TOKEN, base_url=emu.base_url) as b:
        yield b  # type: ignore[misc]


async def test_a_document_keeps_its_bytes_name_and_type(emu: TelegramEmulator, bot: Bot) -> None:
    sent = await bot.send_document(
        CHAT,
        InputFile(b"date,pnl\n2026-11-25,1200\n", filename="pnl.csv"),
        caption="P&amp;L",
        parse_mode="HTML",
    )
    assert sent.document is not None and sent.document.file_name == "pnl.csv"
    (stored,) = emu.messages(CHAT)
    assert stored.document is not None
    assert (stored.document.data, stored.document.content_type) == (
        b"date,pnl\n2026-11-25,1200\n",
        "text/csv",
    )
    assert stored.caption == "P&L"


async def test_a_photo_that_is_not_an_image_is_refused(emu: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"^Image_process_failed$"):
        await bot.send_photo(CHAT, b"not a picture")
    assert emu.violations[0].description == "Bad Request: IMAGE_PROCESS_FAILED"


async def test_a_photo_can_be_sent_again_by_file_id(emu: TelegramEmulator, bot: Bot) -> None:
    first = await bot.send_photo(CHAT, CHART)
    again = await bot.send_photo(CHAT, first.photo[-1].file_id)
    assert again.photo[-1].file_unique_id == first.photo[-1].file_unique_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(CHAT, "no-such-file-id")


async def test_editing_a_caption_and_a_keyboard(emu: TelegramEmulator, bot: Bot) -> None:
    sent = await bot.send_photo(CHAT, CHART, caption="v1", reply_markup=KEYS)
    await bot.edit_message_caption(CHAT, sent.message_id, caption="v2", reply_markup=KEYS)
    stored = emu.message(CHAT, sent.message_id)
    assert stored is not None and (stored.caption, stored.buttons[0][0]["text"], stored.edits) == (
        "v2",
        "Close",
        1,
    )
    await bot.edit_message_reply_markup(CHAT, sent.message_id)  # no markup: the keyboard goes
    assert emu.message(CHAT, sent.message_id).reply_markup is None  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match=r"(?i)^message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)there is no text in the message to edit"):
        await bot.edit_message_text("text", CHAT, sent.message_id)


async def test_a_users_message_cannot_be_edited_and_a_missing_one_is_not_found(
    emu: TelegramEmulator, bot: Bot
) -> None:
    said = emu.user_sends(CHAT, CHAT, "hello")
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await bot.edit_message_text("changed", CHAT, said.message_id)
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("changed", CHAT, 999)


async def test_deleted_messages_disappear_and_cannot_be_deleted_twice(
    emu: TelegramEmulator, bot: Bot
) -> None:
    sent = await bot.send_message(CHAT, "temporary")
    assert await bot.delete_message(CHAT, sent.message_id) is True
    assert emu.messages(CHAT) == []
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(CHAT, sent.message_id)


async def test_chat_actions_are_recorded_and_unknown_ones_refused(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.send_chat_action(CHAT, "typing")
    assert emu.chat_actions == [(CHAT, "typing")]
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(CHAT, "dancing")


async def test_replies_need_their_message_unless_told_otherwise(emu: TelegramEmulator, bot: Bot) -> None:
    said = emu.user_sends(CHAT, CHAT, "question")
    answer = await bot.send_message(CHAT, "answer", reply_parameters=ReplyParameters(said.message_id))
    assert emu.message(CHAT, answer.message_id).reply_to == said.message_id  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(CHAT, "x", reply_parameters=ReplyParameters(999))
    await bot.send_message(CHAT, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True))


async def test_a_topic_only_exists_in_a_forum(emu: TelegramEmulator, bot: Bot) -> None:
    emu.add_chat(-100500, is_forum=True)
    sent = await bot.send_message(-100500, "in topic", message_thread_id=3)
    assert sent.message_thread_id == 3 and sent.is_topic_message
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(CHAT, "x", message_thread_id=3)


async def test_invalid_commands_are_refused(emu: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start", "capital letters are not allowed")])
    await bot.set_my_commands([("positions", "open positions")], scope={"type": "chat", "chat_id": CHAT})
    assert emu.commands({"type": "chat", "chat_id": CHAT}) == [
        {"command": "positions", "description": "open positions"}
    ]
    assert emu.commands() == []
    await bot.delete_my_commands(scope={"type": "chat", "chat_id": CHAT})
    assert emu.commands({"type": "chat", "chat_id": CHAT}) == []
