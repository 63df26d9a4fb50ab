"""A local Telegram Bot API server for tests and the offline demo (aiohttp, 127.0.0.1, random port).

    async with TelegramEmulator(token=TOKEN) as emu:
        app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url).build()
        ...
        emu.user_sends(chat_id=42, user_id=42, text="/start")
        reply = await emu.next_message(42)

It serves ``/bot<token>/<method>`` for GET and POST (query string, JSON, urlencoded and multipart bodies)
and answers in Telegram's envelope. Every request is checked against the Bot API spec before it is
handled; refusals of malformed requests are kept in ``violations`` so an end-to-end test can assert there
were none, and every error answer (including state errors such as "message is not modified" and injected
faults) is kept in ``errors``. Request times (``time.monotonic`` seconds) are kept per chat for pacing
checks; with ``flood_limits`` the emulator also answers 429 to sends that come too fast. A wrong token
gets 401 (well-formed token) or 404, an unknown method 404, as from Telegram.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from bot.emulator.envelope import ApiError, not_found, ok, unauthorized
from bot.emulator.faults import Fault, FaultPlan
from bot.emulator.flood import COUNTED as FLOOD_COUNTED
from bot.emulator.flood import FloodControl, FloodLimits
from bot.emulator.methods_bot import BotMethods, BotSettings, CallbackRecord, scope_key
from bot.emulator.methods_messages import Handler, MessageMethods
from bot.emulator.spec import BotApiSpec, MethodSpec, load_spec
from bot.emulator.state import ChatInfo, Conversation, StoredMessage, UserInfo
from bot.emulator.users import button_press, chat_for, user_message
from bot.emulator.validate import Upload, Validator
from bot.emulator.wire import read_params
from core.clock import Clock, SystemClock

T = TypeVar("T")
DEFAULT_TOKEN = "123456789:AAEmulatorTokenForLocalTestsOnly_0000"
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)


@dataclass(frozen=True)
class RecordedRequest:
    """One call the bot made: method, parameters as received (files as ``<file ...>``), chat, time."""

    method: str
    params: dict[str, Any]
    chat_id: int | None
    at: float
    http_method: str = "POST"


@dataclass(frozen=True)
class Violation:
    """A request Telegram refuses as malformed (``kind`` spec or format), with Telegram's description.

    ``strict_only`` marks refusals of documented rules the live server tolerates (see html_check).
    """

    method: str
    description: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    strict_only: bool = False


@dataclass(frozen=True)
class ErrorAnswer:
    method: str
    status: int
    description: str
    kind: str


class TelegramEmulator:
    """The emulated Bot API plus the controls a test needs (users acting, inspection, faults)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "niftybot_test_bot",
        bot_name: str = "NiftyBot",
        clock: Clock | None = None,
        strict_html: bool = True,
        spec: BotApiSpec | None = None,
        flood_limits: FloodLimits | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.spec = spec or load_spec()
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.conv = Conversation(
            UserInfo(bot_id, bot_name, username=bot_username, is_bot=True), clock or SystemClock()
        )
        self.settings = BotSettings()
        self._messages = MessageMethods(self.conv, strict_html=strict_html)
        self._bot = BotMethods(self.conv, self.settings)
        self._handlers: dict[str, Handler] = {**self._messages.table(), **self._bot.table()}
        self._validator = Validator(self.spec)
        self.faults = FaultPlan()
        self.flood = FloodControl(flood_limits) if flood_limits else None
        self.requests: list[RecordedRequest] = []
        self.violations: list[Violation] = []
        self.errors: list[ErrorAnswer] = []
        self.unimplemented: list[str] = []
        self._changed = asyncio.Event()
        self.version = 0  # rises on every handled request and user action
        self._runner: web.AppRunner | None = None

    # ---- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._download)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._bot.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Pass to ``ApplicationBuilder().base_url(...)``; PTB appends the token."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # ---- HTTP ---------------------------------------------------------------------------------
    async def _not_found(self, request: web.Request) -> web.Response:
        return not_found().response()

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return not_found().response()
        path = request.match_info["path"]
        stored = next((f for f in self.conv.files.values() if f.path == path), None)
        if stored is None:
            return not_found().response()
        return web.Response(body=stored.data, content_type=stored.content_type)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token, name = request.match_info["token"], request.match_info["method"]
        if token != self.token:
            return (unauthorized() if _TOKEN_SHAPE.match(token) else not_found()).response()
        if request.method not in ("GET", "POST"):
            return not_found().response()
        method = self.spec.method(name)
        if method is None:
            return not_found().response()
        try:
            raw, files = await read_params(request)
        except ApiError as exc:
            return self._refuse(method.name, exc, {}).response()
        self._record(method.name, raw, files, request.method)
        work = self._process(method, raw, files, request)
        if method.name == "getUpdates":
            return await work  # a long poll ends when its client goes away
        # Like Telegram, a call that arrived is carried out even if the client gives up waiting.
        return await asyncio.shield(work)

    async def _process(
        self, method: MethodSpec, raw: dict[str, Any], files: dict[str, Upload], request: web.Request
    ) -> web.Response:
        fault = self.faults.take(method.name)
        if fault is not None and fault.malformed:
            self._touch()
            return web.Response(
                status=200, text="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
            )
        try:
            if fault is not None:
                await self._apply_fault(fault, request)
            params = self._validator.params(method, raw, files)
            flood_key = self._flood_key(method.name, params)
            if flood_key is not None and self.flood is not None:
                self.flood.check(*flood_key)
            handler = self._handlers.get(method.name)
            result = await handler(params) if handler else self._unimplemented(method.name, method.returns)
            if flood_key is not None and self.flood is not None:
                self.flood.record(*flood_key)
        except ApiError as exc:
            return self._refuse(method.name, exc, raw).response()
        finally:
            self._touch()
        return ok(result)

    def _flood_key(self, method: str, params: dict[str, Any]) -> tuple[int, bool] | None:
        if self.flood is None or method not in FLOOD_COUNTED:
            return None
        chat = self.conv.chats.get(params["chat_id"]) if isinstance(params.get("chat_id"), int) else None
        return (chat.id, chat.type != "private") if chat else None

    async def _apply_fault(self, fault: Fault, request: web.Request) -> None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.drop:
            if request.transport is not None:
                request.transport.close()
            raise ApiError(499, "connection closed by fault injection", kind="fault")
        error = fault.error()
        if error is not None:
            raise error

    def _unimplemented(self, method: str, returns: tuple[str, ...]) -> Any:
        """Spec methods without a handler: Boolean setters succeed (recorded); others are refused."""
        self.unimplemented.append(method)
        if returns == ("Boolean",):
            self.settings.other[method] = {}
            return True
        raise ApiError(501, f"Not Implemented: the emulator has no {method}", kind="spec")

    def _record(self, method: str, raw: dict[str, Any], files: dict[str, Upload], http_method: str) -> None:
        shown = {**raw, **{k: f"<file {f.filename!r}, {len(f.data)} bytes>" for k, f in files.items()}}
        chat = raw.get("chat_id")
        chat_id = int(chat) if isinstance(chat, int | str) and str(chat).lstrip("-").isdigit() else None
        self.requests.append(RecordedRequest(method, shown, chat_id, time.monotonic(), http_method))

    def _refuse(self, method: str, exc: ApiError, raw: dict[str, Any]) -> ApiError:
        self.errors.append(ErrorAnswer(method, exc.status, exc.description, exc.kind))
        if exc.kind in ("spec", "format"):
            shown = {k: v for k, v in raw.items() if not isinstance(v, Upload)}
            self.violations.append(Violation(method, exc.description, exc.kind, shown, exc.strict_only))
        return exc

    def poke(self) -> None:
        """Wake ``wait_for`` callers: a condition outside the emulator (e.g. a test's own record) changed."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _touch(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    # ---- people in the chats ------------------------------------------------------------------
    def add_user(self, user_id: int, first_name: str = "User", *, username: str | None = None) -> UserInfo:
        return self.conv.add_user(UserInfo(user_id, first_name, username=username))

    def add_chat(
        self, chat_id: int, *, title: str | None = None, is_forum: bool = False, username: str | None = None
    ) -> ChatInfo:
        """Make a chat known (a bot may only message chats Telegram knows); type follows the id."""
        owner = self.conv.users.get(chat_id) or UserInfo(chat_id, "User")
        chat = chat_for(self.conv, chat_id, owner, forum=is_forum)
        if title:
            chat.title = title
        if username:
            chat.username = username
        if chat_id > 0:
            self.conv.add_user(owner)
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Status of a user in a chat: creator, administrator, member, restricted, left, kicked."""
        self.conv.chats[chat_id].members[user_id] = status

    def user_sends(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        first_name: str = "User",
        username: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> StoredMessage:
        """A person sends ``text`` (``/commands`` get a bot_command entity); returns the stored message."""
        user = self.conv.add_user(UserInfo(user_id, first_name, username=username))
        message = user_message(self.conv, chat_id, user, text, thread_id=thread_id, reply_to=reply_to)
        self._bot.notify()
        self._touch()
        return message

    def user_presses(self, chat_id: int, user_id: int, message_id: int, callback_data: str) -> str:
        """A person presses the inline button with ``callback_data``; returns the callback query id."""
        user = self.conv.add_user(UserInfo(user_id, "User"))
        query_id, _ = button_press(self.conv, chat_id, user, message_id, callback_data)
        self._bot.callbacks[query_id] = CallbackRecord(query_id, chat_id, message_id, user_id, callback_data)
        self._bot.notify()
        self._touch()
        return query_id

    # ---- inspection ---------------------------------------------------------------------------
    def messages(
        self, chat_id: int, *, include_users: bool = False, thread_id: int | None = None
    ) -> list[StoredMessage]:
        """Messages in a chat as they stand now (edits applied, deletions gone); the bot's by default."""
        return [
            m
            for m in self.conv.chat_messages(chat_id)
            if (include_users or m.from_bot) and (thread_id is None or m.thread_id == thread_id)
        ]

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        return self.conv.message(chat_id, message_id)

    # A timeout argument (not asyncio.timeout) keeps test lines short and matches PTB's own style.
    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy (re-checked after every request and user action)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"condition not met within {timeout} s; requests so far: {self.methods_called()}"
                )
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                continue

    async def next_message(self, chat_id: int, timeout: float = 5.0) -> StoredMessage:  # noqa: ASYNC109
        """The next message the bot sends to ``chat_id`` after this call."""
        seen = {m.message_id for m in self.conv.chat_messages(chat_id)}
        fresh = await self.wait_for(
            lambda: [m for m in self.messages(chat_id) if m.message_id not in seen], timeout
        )
        return fresh[0]

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """What the bot answered to that button press (``None`` if not answered yet)."""
        return self._bot.callbacks[query_id].answer

    @property
    def answered_callbacks(self) -> list[CallbackRecord]:
        return [r for r in self._bot.callbacks.values() if r.answer is not None]

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, Any]]:
        """The commands the bot registered with setMyCommands for that scope and language."""
        return list(self.settings.commands.get((scope_key(scope), language_code), []))

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        return list(self._messages.chat_actions)

    def methods_called(self) -> list[str]:
        return [r.method for r in self.requests]

    def request_times(self, chat_id: int, methods: Iterable[str] = SEND_METHODS) -> list[float]:
        """Monotonic times (s) of the bot's calls to ``chat_id`` with those methods, for pacing checks."""
        wanted = set(methods)
        return [r.at for r in self.requests if r.chat_id == chat_id and r.method in wanted]

    def assert_no_violations(self) -> None:
        if self.violations:
            lines = "\n".join(f"  {v.method}: {v.description}" for v in self.violations)
            raise AssertionError(f"the bot made {len(self.violations)} malformed request(s):\n{lines}")

    # ---- faults -------------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int = 3,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (``"*"``: any but getUpdates) fail with ``status``."""
        self.faults.add(Fault(method, times, status=status, retry_after=retry_after, description=description))

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next calls of ``method`` are answered ``seconds`` late (handled after the wait)."""
        self.faults.add(Fault(method, times, delay=seconds))

    def malform_next(self, method: str, *, times: int = 1) -> None:
        """The next calls of ``method`` get HTTP 200 with a body that is not JSON (not carried out)."""
        self.faults.add(Fault(method, times, malformed=True))

    def drop_next(self, method: str, *, times: int = 1) -> None:
        """The next calls of ``method`` get their connection closed without an answer."""
        self.faults.add(Fault(method, times, drop=True))
