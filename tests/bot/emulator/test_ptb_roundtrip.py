"""The real PTB Application against the emulator: polling, buttons, photos, edits, commands, topics."""

from __future__ import annotations

import pytest
from telegram.ext import Application

from bot.emulator import TelegramEmulator
from tests.bot.emulator.example_bot import CHART, COMMANDS

pytestmark = pytest.mark.e2e

CHAT = 42


async def test_polling_delivers_a_users_message_and_the_reply_arrives(
    emu: TelegramEmulator, app: Application
) -> None:
    emu.user_sends(CHAT, CHAT, "P&L <today>?")
    reply = await emu.next_message(CHAT)
    assert reply.text == "P&L <today>?"
    assert [e.type for e in reply.entities] == ["bold"]
    assert reply.source_text == "<b>P&amp;L &lt;today&gt;?</b>"
    emu.assert_no_violations()


async def test_a_command_gets_a_formatted_reply_with_its_keyboard(
    emu: TelegramEmulator, app: Application
) -> None:
    sent = emu.user_sends(CHAT, CHAT, "/start")
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bot_command", 0, 6)]
    reply = await emu.next_message(CHAT)
    assert reply.text == "NIFTY desk\nSuggestion #7: iron condor & hedge"
    assert [(e.type, e.offset, e.length) for e in reply.entities] == [("bold", 0, 10), ("italic", 26, 11)]
    assert [[b["text"] for b in row] for row in reply.buttons] == [["Approve", "Reject"], ["Details"]]


async def test_a_button_press_reaches_the_callback_handler_and_is_answered(
    emu: TelegramEmulator, app: Application
) -> None:
    emu.user_sends(CHAT, CHAT, "/start")
    desk = await emu.next_message(CHAT)
    query_id = emu.user_presses(CHAT, CHAT, desk.message_id, "reject:7")
    answer = await emu.wait_for(lambda: emu.callback_answer(query_id))
    assert answer == {"text": "reject noted"}
    edited = await emu.wait_for(lambda: (m := emu.message(CHAT, desk.message_id)) and m.edits and m)
    assert edited.text == "You chose reject:7"
    assert edited.reply_markup is None  # an edit without reply_markup removes the keyboard, as on Telegram
    assert [r.id for r in emu.answered_callbacks] == [query_id]
    emu.assert_no_violations()


async def test_pressing_a_button_that_is_not_there_is_a_test_error(
    emu: TelegramEmulator, app: Application
) -> None:
    emu.user_sends(CHAT, CHAT, "/start")
    desk = await emu.next_message(CHAT)
    with pytest.raises(LookupError, match="no button with callback_data 'buy'"):
        emu.user_presses(CHAT, CHAT, desk.message_id, "buy")


async def test_send_photo_stores_the_uploaded_bytes(emu: TelegramEmulator, app: Application) -> None:
    emu.user_sends(CHAT, CHAT, "/chart")
    photo = await emu.next_message(CHAT)
    assert photo.photo is not None
    assert photo.photo.data == CHART
    assert (photo.photo.width, photo.photo.height) == (8, 6)
    assert photo.caption == "Payoff at expiry"
    assert photo.text is None


async def test_the_bot_can_download_a_file_it_uploaded(emu: TelegramEmulator, app: Application) -> None:
    emu.user_sends(CHAT, CHAT, "/chart")
    photo = await emu.next_message(CHAT)
    assert photo.photo is not None
    file = await app.bot.get_file(photo.photo.file_id)
    assert bytes(await file.download_as_bytearray()) == CHART


async def test_commands_set_in_post_init_are_stored(emu: TelegramEmulator, app: Application) -> None:
    assert emu.commands() == [{"command": c, "description": d} for c, d in COMMANDS]
    assert [(c.command, c.description) for c in await app.bot.get_my_commands()] == COMMANDS
    assert emu.commands({"type": "all_private_chats"}) == []


async def test_a_reply_in_a_forum_topic_stays_in_that_topic(emu: TelegramEmulator, app: Application) -> None:
    group = -1001234567890
    emu.user_sends(group, 7, "hello topic", thread_id=11)
    reply = await emu.next_message(group)
    assert reply.thread_id == 11
    assert emu.messages(group, thread_id=11) == [reply]
    assert emu.conv.chats[group].is_forum


async def test_requests_are_timed_per_chat(emu: TelegramEmulator, app: Application) -> None:
    for text in ("one", "two"):
        emu.user_sends(CHAT, CHAT, text)
        await emu.next_message(CHAT)
    times = emu.request_times(CHAT)
    assert len(times) == 2 and times[0] <= times[1]
    assert emu.request_times(CHAT + 1) == []
