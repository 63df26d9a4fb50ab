"""What PTB sees when the bot breaks Telegram's rules, and when Telegram itself misbehaves."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator

pytestmark = pytest.mark.e2e

CHAT = 42


@pytest.fixture
async def bot(emu: TelegramEmulator) -> Bot:
    """A plain PTB Bot (no polling) with a chat the emulator knows."""
    emu.add_chat(CHAT)
    async with Bot(DEFAULT_TOKEN, base_url=emu.base_url) as b:
        yield b  # type: ignore[misc]


async def test_an_identical_edit_is_refused_as_not_modified(emu: TelegramEmulator, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "spot 24,050")
    edited = await bot.edit_message_text("spot 24,075", CHAT, sent.message_id)
    assert edited.text == "spot 24,075" and edited.edit_date is not None
    assert emu.message(CHAT, sent.message_id).text == "spot 24,075"  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match=r"^Message is not modified: specified new message content"):
        await bot.edit_message_text("spot 24,075", CHAT, sent.message_id)
    assert emu.errors[-1].description.startswith("Bad Request: message is not modified: specified new")
    assert emu.violations == []  # a state error, not a malformed request


@pytest.mark.parametrize(
    ("text", "telegram_says"),
    [
        ("<div>x</div>", 'Bad Request: can\'t parse entities: Unsupported start tag "div" at byte offset 0'),
        (
            "<b>x</i>",
            'Bad Request: can\'t parse entities: Unmatched end tag at byte offset 4, expected "</b>", found "</i>"',
        ),
        (
            "spot <b>up",
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        ),
        ("a <br> b", 'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 2'),
        ("x < y", 'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 2'),
    ],
)
async def test_invalid_html_is_refused_with_telegrams_words(
    emu: TelegramEmulator, bot: Bot, text: str, telegram_says: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(CHAT, text, parse_mode="HTML")
    # PTB drops "Bad Request: " and capitalizes what is left
    assert caught.value.message == telegram_says.removeprefix("Bad Request: ").capitalize()
    assert [(v.method, v.description, v.kind) for v in emu.violations] == [
        ("sendMessage", telegram_says, "format")
    ]
    assert emu.messages(CHAT) == []


async def test_an_unescaped_ampersand_is_a_strict_only_violation(emu: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="must be escaped"):
        await bot.send_message(CHAT, "P&L today", parse_mode="HTML")
    assert emu.violations[0].strict_only


async def test_lenient_mode_accepts_what_the_live_server_tolerates() -> None:
    async with TelegramEmulator(strict_html=False) as emu:
        emu.add_chat(CHAT)
        async with Bot(DEFAULT_TOKEN, base_url=emu.base_url) as bot:
            sent = await bot.send_message(CHAT, "P&L > 0", parse_mode="HTML")
    assert sent.text == "P&L > 0" and emu.violations == []


async def test_text_over_4096_characters_is_too_long(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.send_message(CHAT, "€" * 4096)  # the limit counts characters, not bytes
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # after entity parsing
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(CHAT, "x" * 4097)
    assert [v.description for v in emu.violations] == ["Bad Request: message is too long"]


async def test_a_caption_over_1024_characters_is_too_long(emu: TelegramEmulator, bot: Bot) -> None:
    from tests.bot.emulator.example_bot import CHART

    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_photo(CHAT, CHART, caption="y" * 1025)
    assert emu.messages(CHAT) == []


async def test_callback_data_of_65_bytes_is_button_data_invalid(emu: TelegramEmulator, bot: Bot) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="é" * 32)]])  # 64 bytes
    await bot.send_message(CHAT, "fits", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(CHAT, "does not fit", reply_markup=too_long)
    assert [v.description for v in emu.violations] == ["Bad Request: BUTTON_DATA_INVALID"]


async def test_a_button_without_an_action_is_refused(emu: TelegramEmulator, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("just text")]])
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed in the inline keyboard"):
        await bot.send_message(CHAT, "x", reply_markup=markup)
    assert emu.violations[0].description == (
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    )


async def test_a_missing_chat_id_is_refused(emu: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"^Chat_id is empty$"):
        await bot.send_message("", "to nobody")
    assert [(v.method, v.description, v.kind) for v in emu.violations] == [
        ("sendMessage", "Bad Request: chat_id is empty", "spec")
    ]


async def test_an_unknown_chat_is_not_found(emu: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(999, "hello?")
    assert emu.violations == [] and emu.errors[-1].kind == "state"


async def test_a_429_with_retry_after_reaches_ptb_as_retry_after(emu: TelegramEmulator, bot: Bot) -> None:
    emu.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "burst")
    assert caught.value.retry_after == dt.timedelta(seconds=3)
    assert emu.messages(CHAT) == []  # the refused call was not carried out
    await bot.send_message(CHAT, "later")  # the fault was used up
    assert [m.text for m in emu.messages(CHAT)] == ["later"]


async def test_a_5xx_is_a_network_error(emu: TelegramEmulator, bot: Bot) -> None:
    emu.fail_next("*", 502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "x")


async def test_a_dropped_connection_is_a_network_error(emu: TelegramEmulator, bot: Bot) -> None:
    emu.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "x")
    assert emu.messages(CHAT) == []


async def test_a_slow_answer_times_out_in_ptb(emu: TelegramEmulator) -> None:
    emu.add_chat(CHAT)
    emu.delay_next("sendMessage", 0.5)
    request = HTTPXRequest(read_timeout=0.1)
    async with Bot(DEFAULT_TOKEN, base_url=emu.base_url, request=request) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "slow")
        # like Telegram, the slow call was still carried out after PTB gave up
        await emu.wait_for(lambda: emu.messages(CHAT), timeout=2)


async def test_a_wrong_token_is_rejected_like_telegram(emu: TelegramEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("987654321:WrongTokenButWellFormed_000000000", base_url=emu.base_url):
            pass
    async with httpx.AsyncClient() as client:
        garbled = await client.post(f"{emu.base_url}not-a-token/getMe")
        wrong = await client.post(f"{emu.base_url}987654321:Wrong/getMe")
    assert (garbled.status_code, garbled.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")


async def test_a_base_url_without_bot_gives_a_misleading_invalid_token(emu: TelegramEmulator) -> None:
    root = emu.base_url.removesuffix("/bot") + "/"
    with pytest.raises(InvalidToken):
        async with Bot(DEFAULT_TOKEN, base_url=root):
            pass


async def test_an_unknown_method_is_not_found(emu: TelegramEmulator) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{emu.base_url}{DEFAULT_TOKEN}/sendTelepathy", json={"chat_id": 1})
    assert answer.status_code == 404 and answer.json()["description"] == "Not Found"


async def test_the_running_application_survives_a_flood_wait(emu: TelegramEmulator, app: Application) -> None:
    emu.fail_next("sendMessage", 429, retry_after=1)
    emu.user_sends(CHAT, CHAT, "first")
    await emu.wait_for(lambda: any(e.status == 429 for e in emu.errors))
    emu.user_sends(CHAT, CHAT, "second")
    reply = await emu.next_message(CHAT)
    assert reply.text == "second"  # the first reply was lost: PTB does not retry without AIORateLimiter
