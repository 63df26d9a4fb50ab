"""One real bot (PTB Application + desk + simulator + SQLite or PostgreSQL) on the Telegram emulator, running in a
background thread's event loop, so synchronous hypothesis tests can drive it example after example.

``BotRunner.send`` and ``BotRunner.press`` act as a user and wait until the bot has dealt with the input
(a reply for known users, the recorded refusal for strangers, the callback answer for buttons), then
return what the bot said. ``forge`` presses a button that is not on the message (any callback data,
any message), as a tampered client or a replayed old button would. Every ERROR log record and every
"something went wrong" reply is collected in ``errors``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import SecretStr
from sqlalchemy import select

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from bot.emulator.methods_bot import CallbackRecord
from bot.emulator.state import UserInfo
from bot.emulator.users import chat_for
from core.persistence.db import make_engine, upgrade
from core.persistence.models.bot import StrangerRow
from tests.bot.harness import ADMIN, DESK_CHAT, STRANGER, TRADER, VIEWER, DeskBot, at
from tests.conftest import _drop_postgres_schema, _fresh_postgres_schema

T = TypeVar("T")
GENERIC_FAILURE = "something went wrong"
START = at(14, 13, 0, month=10)  # a Wednesday session: the simulator quotes, the algorithms propose


class _ErrorRecords(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        self.sink.append(f"{record.name}: {record.getMessage()} {exc!r}" if exc else record.getMessage())


@dataclass
class Said:
    """What the bot did in answer to one input."""

    messages: list[Any] = field(default_factory=list)  # new bot messages in the user's chat
    answer: dict[str, Any] | None = None  # the callback answer (buttons)

    @property
    def text(self) -> str:
        return "\n".join(m.plain for m in self.messages) + (
            "\n" + self.answer.get("text", "") if self.answer else ""
        )


class BotRunner:
    def __init__(
        self,
        tmp_path: Any,
        *,
        settings: dict[str, Any] | None = None,
        start: Any = START,
        token: str = DEFAULT_TOKEN,
        prelude: Any = None,
        backend: str = "sqlite",
    ) -> None:
        self.tmp_path = tmp_path
        self.backend = backend  # "sqlite" (a file) or "postgresql" (a private schema, dropped at exit)
        self._schema: str | None = None
        self.prelude = prelude  # async () -> dict of more settings, run in the bot's loop before it starts
        self.token = token
        self.settings = {"telegram_bot_token": SecretStr(token), **(settings or {})}
        self.start_at = start
        self.errors: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-bot", daemon=True)
        self.handler = _ErrorRecords(self.errors)
        self.emu: Any = None
        self.bot: Any = None
        self.engine: Any = None

    # ---- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> BotRunner:
        self.thread.start()
        logging.getLogger().addHandler(self.handler)
        if self.backend == "postgresql":
            self.engine, self._schema = _fresh_postgres_schema()
        else:
            self.engine = make_engine(f"sqlite:///{self.tmp_path / 'fuzz.db'}")
        upgrade(self.engine)
        self.run(self._start())
        return self

    async def _start(self) -> None:
        if self.prelude is not None:
            self.settings.update(await self.prelude())
        self.emu = TelegramEmulator(self.token)
        await self.emu.start()
        self.bot = await DeskBot(
            self.engine, self.emu, self.tmp_path, at=self.start_at, settings=self.settings
        ).start()

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self._stop(), timeout=30)
        finally:
            logging.getLogger().removeHandler(self.handler)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
            self.engine.dispose()
            if self._schema is not None:
                _drop_postgres_schema(self._schema)

    async def _stop(self) -> None:
        await self.bot.stop()
        await self.emu.stop()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    # ---- the desk -------------------------------------------------------------------------------
    def prepare(self) -> dict[str, list[int]]:
        """Pending suggestions (pushed with buttons), an open position, a closed one, a rejected one."""

        async def go() -> dict[str, list[int]]:
            desk = self.bot.bc.app.desk
            created = (await desk.scan()).created
            await self.bot.deliver()
            ids: dict[str, list[int]] = {"suggestions": [s.id for s in created], "positions": []}
            if len(created) >= 2:
                opened = await desk.approve(created[0].id, TRADER)
                if opened.position is not None:
                    ids["positions"].append(opened.position.id)
                desk.reject(created[1].id, TRADER)
            self.bot.advance(minutes=16)
            again = (await desk.scan()).created
            ids["suggestions"] += [s.id for s in again]
            await self.bot.deliver()
            return ids

        return self.run(go())

    # ---- acting as a user -----------------------------------------------------------------------
    def send(self, user_id: int, text: str, chat_id: int | None = None, timeout: float = 20) -> Said:
        return self.run(self._send(user_id, text, chat_id if chat_id is not None else user_id, timeout))

    async def _send(self, user_id: int, text: str, chat: int, wait: float) -> Said:
        known = self.bot.bc.roles.role_of(user_id) is not None
        self.emu.add_chat(chat)
        before = len(self.bot.messages(chat))
        attempts = self._attempts(user_id)
        self.emu.user_sends(chat, user_id, text)
        if known:
            await self.emu.wait_for(lambda: len(self.bot.messages(chat)) > before, timeout=wait)
        else:
            await self._until(lambda: self._attempts(user_id) > attempts, wait)
        await self._settle()
        return Said(messages=self.bot.messages(chat)[before:])

    def press(self, user_id: int, message: Any, data: str, chat_id: int | None = None) -> Said:
        return self.forge(user_id, chat_id if chat_id is not None else message.chat.id, message, data)

    def forge(self, user_id: int, chat_id: int, message: Any, data: str, timeout: float = 20) -> Said:
        """A callback query with any ``data`` on ``message`` (which may be from another chat)."""
        return self.run(self._forge(user_id, chat_id, message, data, timeout))

    async def _forge(self, user_id: int, chat_id: int, message: Any, data: str, wait: float) -> Said:
        conv = self.emu.conv
        user = conv.add_user(UserInfo(user_id, "User"))
        chat_for(conv, chat_id, user, forum=False)
        before = len(self.bot.messages(chat_id))
        qid = conv.next_query_id()
        payload = {
            "id": qid,
            "from": user.to_api(),
            "message": message.to_api(),
            "chat_instance": str(abs(chat_id) * 7919 % 10**12),
            "data": data,
        }
        self.emu._bot.callbacks[qid] = CallbackRecord(qid, chat_id, message.message_id, user_id, data)
        conv.add_update("callback_query", payload)
        self.emu._bot.notify()
        self.emu._touch()
        await self.emu.wait_for(lambda: self.emu.callback_answer(qid) is not None, timeout=wait)
        answer = self.emu.callback_answer(qid)
        await self._settle()
        return Said(messages=self.bot.messages(chat_id)[before:], answer=answer)

    async def _settle(self, quiet: float = 0.01, limit: float = 15.0) -> None:
        """Wait until the bot has finished with every update it received (none queued, none being
        processed) and has made no request for ``quiet`` seconds: its answer is complete."""
        app = self.bot.application
        deadline = time.monotonic() + limit
        seen = -1
        while time.monotonic() < deadline:
            busy = not app.update_queue.empty() or app.update_processor.current_concurrent_updates > 0
            current = len(self.emu.requests)
            if not busy and current == seen:
                return
            seen = current
            await asyncio.sleep(quiet)

    async def _until(self, predicate: Any, wait: float) -> None:
        deadline = time.monotonic() + wait
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not record the stranger's attempt")
            await asyncio.sleep(0.01)

    def _attempts(self, user_id: int) -> int:
        with self.bot.bc.app.factory() as s:
            row = s.scalar(select(StrangerRow).where(StrangerRow.user_id == user_id))
            return 0 if row is None else row.attempts

    # ---- what the bot did wrong -----------------------------------------------------------------
    def generic_failures(self) -> list[str]:
        out = []
        for chat in list(self.emu.conv.chats):
            for m in self.emu.messages(chat):
                if GENERIC_FAILURE in m.plain.lower():
                    out.append(f"chat {chat}: {m.plain[:120]}")
        return out

    def problems(self) -> list[str]:
        """ERROR log records, generic failure replies and malformed Bot API requests so far."""
        return (
            list(self.errors)
            + self.generic_failures()
            + [f"bad request {v.method}: {v.description}" for v in self.emu.violations]
        )


ROLE_USERS = {"admin": ADMIN, "trader": TRADER, "viewer": VIEWER, "stranger": STRANGER}
__all__ = ["ADMIN", "DESK_CHAT", "ROLE_USERS", "STRANGER", "TRADER", "VIEWER", "BotRunner", "Said"]
