"""Webhook mode rejects requests without the secret token.

The real PTB webhook server is started on 127.0.0.1 with the options ``niftybot run`` uses
(``bot.run_cmd.webhook_options``); updates are POSTed to it without the X-Telegram-Bot-Api-Secret-Token
header, with a wrong one, with one differing only in case or by a prefix, and with the right one. Only
the last is processed (the bot answers /whoami once); the others get 403 and change nothing.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app import build_bot
from bot.emulator import TelegramEmulator
from bot.run_cmd import WEBHOOK_PATH, webhook_options
from core.bootstrap import build_app
from core.config.schema import parse_config
from core.errors import ConfigError
from core.market_hours import default_calendar
from core.marketdata.simulator import SimulatedMarket
from core.persistence.db import make_engine, upgrade
from tests.bot.harness import ADMIN, STRANGER, at, bot_settings
from tests.security.secrets import BOT_TOKEN, WEBHOOK_SECRET

pytestmark = [pytest.mark.e2e]
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_760_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "User"},
            "from": {"id": user_id, "is_bot": False, "first_name": "User"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


async def test_webhook_accepts_only_requests_with_the_secret_token(tmp_path):
    from core.clock import FixedClock

    engine = make_engine(f"sqlite:///{tmp_path / 'hook.db'}")
    upgrade(engine)
    port = free_port()
    async with TelegramEmulator(BOT_TOKEN) as emu:
        for uid in (ADMIN, STRANGER):
            emu.add_chat(uid)
        settings = bot_settings(
            emu.base_url,
            tmp_path,
            telegram_bot_token=SecretStr(BOT_TOKEN),
            telegram_webhook_url="https://bot.example.test/telegram",
            telegram_webhook_secret=SecretStr(WEBHOOK_SECRET),
            telegram_webhook_listen="127.0.0.1",
            telegram_webhook_port=port,
        )
        cal = default_calendar()
        app = build_app(
            settings,
            parse_config({}),
            clock=FixedClock(at(14, 13, 0, month=10)),
            source=SimulatedMarket(cal, seed=7),
            engine=engine,
            calendar=cal,
        )
        application, bc = build_bot(app, jobs=False)
        await application.initialize()
        await application.start()
        await application.updater.start_webhook(**webhook_options(settings))
        try:
            assert emu._bot.settings.webhook_url == "https://bot.example.test/telegram"
            url = f"http://127.0.0.1:{port}/{WEBHOOK_PATH}"
            refused: list[int] = []
            async with aiohttp.ClientSession() as http:
                bad_headers: list[dict[str, str]] = [
                    {},
                    {HEADER: ""},
                    {HEADER: "wrong-secret"},
                    {HEADER: WEBHOOK_SECRET.upper()},
                    {HEADER: WEBHOOK_SECRET + "x"},
                    {HEADER: WEBHOOK_SECRET[:-1]},
                    {"X-Telegram-Bot-Api-Secret": WEBHOOK_SECRET},
                ]
                for i, headers in enumerate(bad_headers, start=1):
                    async with http.post(url, json=update(i, ADMIN, "/whoami"), headers=headers) as r:
                        refused.append(r.status)
                await asyncio.sleep(0.3)
                assert refused == [403] * len(bad_headers)
                assert not emu.messages(ADMIN)  # nothing of those reached a handler
                async with http.post(
                    url, json=update(100, ADMIN, "/whoami"), headers={HEADER: WEBHOOK_SECRET}
                ) as r:
                    assert r.status == 200
                reply = await emu.next_message(ADMIN, timeout=10)
                assert str(ADMIN) in reply.plain and "admin" in reply.plain.lower()
                # A stranger's update with the right token is processed and refused as usual.
                async with http.post(
                    url, json=update(101, STRANGER, "/pnl"), headers={HEADER: WEBHOOK_SECRET}
                ) as r:
                    assert r.status == 200
                refusal = await emu.next_message(STRANGER, timeout=10)
                assert "not authorized" in refusal.plain
            assert len(emu.messages(ADMIN)) == 1
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
            await bc.aclose()
            engine.dispose()


def test_webhook_mode_needs_a_secret(tmp_path):
    for secret in (None, SecretStr("")):
        settings = bot_settings(
            "http://127.0.0.1:1/bot",
            tmp_path,
            telegram_webhook_url="https://bot.example.test/telegram",
            telegram_webhook_secret=secret,
        )
        with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
            webhook_options(settings)
