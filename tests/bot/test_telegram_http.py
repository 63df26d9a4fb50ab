"""The bot's Bot API client (bot/telegram_http.py: aiohttp keep-alive pool) against the emulator.

It must behave as PTB's own client does for everything the bot relies on: form and multipart encoding
(text with HTML, keyboards, photo uploads), PTB's exceptions for timeouts and refused connections, the
Bot API's errors passed through, and connections reused between requests.
"""

from __future__ import annotations

import socket

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from bot.telegram_http import AiohttpRequest

pytestmark = pytest.mark.e2e

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND"
    b"\xaeB`\x82"
)


@pytest.fixture
async def emu():
    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        emulator.add_chat(42)
        yield emulator


def bot_on(base_url: str, **kw: float) -> Bot:
    return Bot(DEFAULT_TOKEN, base_url=base_url, request=AiohttpRequest(**kw))


async def test_text_keyboards_and_photos_arrive_as_sent(emu):
    async with bot_on(emu.base_url) as bot:
        kb = InlineKeyboardMarkup([[InlineKeyboardButton("Go ✓", callback_data="v1:x:1")]])
        sent = await bot.send_message(42, "<b>P&amp;L</b> ₹1,00,000 😀", parse_mode="HTML", reply_markup=kb)
        photo = await bot.send_photo(42, PNG, caption="<i>equity</i>", parse_mode="HTML", filename="e.png")
    stored = emu.message(42, sent.message_id)
    assert stored.text == "P&L ₹1,00,000 😀" and stored.button_data() == ["v1:x:1"]
    assert [e.type for e in stored.entities] == ["bold"]
    shown = emu.message(42, photo.message_id)
    assert shown.photo is not None and shown.photo.data == PNG and shown.caption == "equity"
    emu.assert_no_violations()


async def test_connections_are_kept_alive_between_requests(emu):
    async with bot_on(emu.base_url) as bot:
        for i in range(20):
            await bot.send_message(42, f"m{i}")
        connector = bot.request._session.connector  # type: ignore[attr-defined]
        # Sequential requests reuse one pooled connection instead of opening one each.
        assert sum(len(v) for v in connector._conns.values()) == 1


async def test_a_slow_answer_is_timed_out_as_ptb_does(emu):
    emu.delay_next("sendMessage", 1.5)
    async with bot_on(emu.base_url, read_timeout=0.3) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(42, "late")
        # The pool recovers: the next request works.
        assert (await bot.send_message(42, "on time")).text == "on time"


async def test_a_refused_connection_is_a_network_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    request = AiohttpRequest(connect_timeout=2)
    await request.initialize()
    try:
        bot = Bot(DEFAULT_TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        with pytest.raises(NetworkError) as info:
            await bot.get_me()
        assert not isinstance(info.value, TimedOut)
    finally:
        await request.shutdown()


async def test_bot_api_errors_pass_through(emu):
    emu.fail_next("sendMessage", 429, retry_after=7)
    async with bot_on(emu.base_url) as bot:
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(42, "x")
        assert info.value.retry_after.total_seconds() == 7
        with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
            await bot.send_message(42, "<b>open", parse_mode="HTML")


async def test_requests_before_initialize_are_refused():
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:9/x", "POST")


@pytest.mark.parametrize("base_url", ["http:/bot", "ftp://127.0.0.1/bot"])
async def test_a_bad_api_url_is_a_network_error_without_the_token(base_url):
    """aiohttp quotes a URL it cannot use; the Bot API URL carries the token, which must not travel on
    in the exception (it reaches logs and admin alerts)."""
    request = AiohttpRequest()
    await request.initialize()
    try:
        bot = Bot(DEFAULT_TOKEN, base_url=base_url, request=request)
        with pytest.raises(NetworkError) as info:
            await bot.get_me()
        secret = DEFAULT_TOKEN.split(":", 1)[1]
        assert secret not in str(info.value)
        assert "bot<token>" in str(info.value)
        assert info.value.__cause__ is None
    finally:
        await request.shutdown()
