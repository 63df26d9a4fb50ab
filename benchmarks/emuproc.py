"""The Telegram emulator in its own process, with a load driver next to it.

The load and soak benchmarks measure the bot, so the emulator (HTTP server, Bot API validation, HTML
parsing of every reply) must not spend the bot's CPU: it runs in a child process (``spawn``), optionally
pinned to another core, and the bot process talks to it over loopback HTTP exactly as to Telegram. The
parent controls it through a pipe: ``await proc.call("load", ...)`` runs a load phase there and returns
plain data (latencies in seconds, counts).

Latency of a command is measured inside the emulator process, on one clock: from the moment the user's
update is queued (the emulator's receipt of the user message, i.e. what Telegram would timestamp) to the
moment the bot's reply request (``sendMessage`` / ``sendPhoto``) arrives at the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import random
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator

REPLY_METHODS = frozenset({"sendMessage", "sendPhoto"})


# ---- what a load phase does -------------------------------------------------------------------------
@dataclass(frozen=True)
class Op:
    """One user action and what completes it.

    ``text`` is sent as a message, or with ``button`` set, the button whose callback data starts with
    ``button`` is pressed on the chat's message number ``on_message`` (see ``Driver.remember``).
    ``marks`` are the replies awaited in order: ``(method, label)``; each records one latency sample
    under ``label``, and the op is done after the last one.
    """

    text: str
    marks: tuple[tuple[str, str], ...]
    button: str | None = None
    on_message: str | None = None


@dataclass
class _Outstanding:
    op: Op
    started: float
    next_mark: int = 0


@dataclass
class PhaseResult:
    """Plain data (pickled back to the parent)."""

    sent: int = 0
    completed: int = 0
    dropped: int = 0  # open loop: an arrival found no idle chat
    unfinished: int = 0
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0  # replies that were the bot's "something went wrong"
    emulator_cpu: float = 0.0  # CPU seconds of the emulator process during the phase
    samples: dict[str, str] = field(default_factory=dict)  # first reply text per label (for checks)


class _TimedEmulator(TelegramEmulator):
    """Tells the driver about each reply request at the moment it arrives."""

    driver: Driver | None = None

    def _record(self, method: str, raw: dict[str, Any], files: Any, http_method: str) -> None:
        super()._record(method, raw, files, http_method)
        if self.driver is not None and method in REPLY_METHODS:
            self.driver.on_reply(method, raw)


class Driver:
    """Users in many chats sending commands and pressing buttons; runs in the emulator process."""

    def __init__(self, emu: _TimedEmulator) -> None:
        self.emu = emu
        self.busy: dict[int, _Outstanding] = {}
        self.anchors: dict[tuple[int, str], int] = {}  # (chat, name) -> message id for button ops
        self.result = PhaseResult()
        self._idle = asyncio.Event()
        self._freed: asyncio.Queue[int] | None = None

    # -- bookkeeping
    def on_reply(self, method: str, raw: dict[str, Any]) -> None:
        chat_raw = raw.get("chat_id")
        try:
            chat = int(chat_raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        out = self.busy.get(chat)
        if out is None:
            return
        now = time.monotonic()
        want_method, label = out.op.marks[out.next_mark]
        text = str(raw.get("text") or raw.get("caption") or "")
        if "Something went wrong" in text:
            self.result.errors += 1
        if method != want_method:
            return
        self.result.latencies.setdefault(label, []).append(now - out.started)
        self.result.samples.setdefault(label, text[:120])
        out.next_mark += 1
        if out.next_mark == len(out.op.marks):
            del self.busy[chat]
            self.result.completed += 1
            if self._freed is not None:
                self._freed.put_nowait(chat)
            if not self.busy:
                self._idle.set()

    def _start(self, chat: int, user: int, op: Op) -> None:
        self.busy[chat] = _Outstanding(op, time.monotonic())
        self._idle.clear()
        self.result.sent += 1
        if op.button is None:
            self.emu.user_sends(chat, user, op.text)
            return
        mid = self.anchors[(chat, op.on_message or "")]
        message = self.emu.message(chat, mid)
        assert message is not None, (chat, mid)
        data = next(d for d in message.button_data() if d.startswith(op.button))
        self.emu.user_presses(chat, user, mid, data)

    # -- commands from the parent
    async def add_chats(self, ids: list[int]) -> int:
        for i in ids:
            self.emu.add_chat(i)
        return len(ids)

    async def remember(self, name: str, chats: list[int], text: str, button: str) -> int:
        """Send ``text`` in each chat, wait for the reply carrying a ``button`` keyboard, remember it."""
        for chat in chats:
            seen = {m.message_id for m in self.emu.messages(chat)}
            self.emu.user_sends(chat, chat, text)

            def found(chat: int = chat, seen: set[int] = seen) -> int | None:
                for m in self.emu.messages(chat):
                    if m.message_id not in seen and any(d.startswith(button) for d in m.button_data()):
                        return m.message_id
                return None

            self.anchors[(chat, name)] = await self.emu.wait_for(found, timeout=30)
        return len(chats)

    async def closed_loop(
        self, chats: list[int], ops: list[Op], seconds: float, seed: int = 1
    ) -> PhaseResult:
        """Every chat keeps one command outstanding: the next goes as soon as the last is answered."""
        rng = random.Random(seed)
        self._begin()
        assert self._freed is not None
        c0, t0 = time.process_time(), time.monotonic()
        for chat in chats:
            self._start(chat, chat, rng.choice(ops))
        deadline = t0 + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                chat = await asyncio.wait_for(self._freed.get(), remaining)
            except TimeoutError:
                break
            self._start(chat, chat, rng.choice(ops))
        return await self._finish(t0, c0)

    async def open_loop(
        self, chats: list[int], ops: list[Op], rate: float, seconds: float, seed: int = 1
    ) -> PhaseResult:
        """Commands arrive at ``rate`` per second (Poisson), each in a random idle chat."""
        rng = random.Random(seed)
        self._begin()
        idle = deque(chats)
        rng.shuffle(idle)
        c0, t0 = time.process_time(), time.monotonic()
        deadline = t0 + seconds
        due = t0
        while True:
            due += rng.expovariate(rate)
            if due >= deadline:
                break
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            assert self._freed is not None
            while not self._freed.empty():
                idle.append(self._freed.get_nowait())
            if not idle:
                self.result.dropped += 1
                continue
            chat = idle.popleft()
            self._start(chat, chat, rng.choice(ops))
        return await self._finish(t0, c0)

    def _begin(self) -> None:
        self.busy.clear()
        self.result = PhaseResult()
        self._freed = asyncio.Queue()
        self._idle.set()

    async def _finish(self, t0: float, c0: float) -> PhaseResult:
        self.result.seconds = time.monotonic() - t0  # the sending window; stragglers are drained below
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), 10)
        self.result.unfinished = len(self.busy)
        self.busy.clear()
        self.result.emulator_cpu = time.process_time() - c0
        self._freed = None
        return self.result

    async def press_approvals(self, chat: int, user: int, prefix: str = "v1:ap:") -> int:
        """The scripted trader: press every Approve button in ``chat`` not pressed yet; wait for answers."""
        pressed = 0
        for m in self.emu.messages(chat):
            for d in m.button_data():
                if d.startswith(prefix) and (chat, d) not in self.anchors:
                    self.anchors[(chat, d)] = m.message_id
                    qid = self.emu.user_presses(chat, user, m.message_id, d)
                    await self.emu.wait_for(lambda q=qid: self.emu.callback_answer(q), timeout=30)
                    pressed += 1
        return pressed

    async def say(self, chat: int, user: int, text: str, replies: int = 1) -> list[str]:
        """A user sends ``text``; wait for ``replies`` bot messages in that chat; their texts."""
        before = len(self.emu.messages(chat))
        self.emu.user_sends(chat, user, text)
        await self.emu.wait_for(lambda: len(self.emu.messages(chat)) >= before + replies, timeout=60)
        return [m.plain for m in self.emu.messages(chat)[before:]]

    async def stats(self) -> dict[str, Any]:
        return {
            "requests": len(self.emu.requests),
            "violations": [f"{v.method}: {v.description}" for v in self.emu.violations],
            "messages": len(self.emu.conv.messages),
            "pending_updates": len(self.emu.conv.updates),
        }

    async def forget(self) -> int:
        """Drop what the emulator keeps (requests, messages but the anchors) so a soak does not fill it."""
        n = len(self.emu.requests)
        self.emu.requests.clear()
        self.emu.errors.clear()
        return n


# ---- the child process ------------------------------------------------------------------------------
def _child(conn: Any, token: str, cpu: int | None) -> None:
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cpu})
    asyncio.run(_serve(conn, token))


async def _serve(conn: Any, token: str) -> None:
    emu = _TimedEmulator(token)
    driver = Driver(emu)
    emu.driver = driver
    await emu.start()
    conn.send(("ready", emu.base_url))
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    loop.add_reader(conn.fileno(), lambda: inbox.put_nowait(conn.recv()))
    try:
        while True:
            cmd, kwargs = await inbox.get()
            if cmd == "stop":
                break
            try:
                conn.send(("ok", await getattr(driver, cmd)(**kwargs)))
            except Exception:
                conn.send(("error", traceback.format_exc()))
    finally:
        loop.remove_reader(conn.fileno())
        await emu.stop()
        conn.send(("ok", None))


class EmulatorProcess:
    """Parent side: start the child, call the driver, stop."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, cpu: int | None = None) -> None:
        self.token = token
        self.cpu = cpu
        self.base_url = ""
        self._lock = threading.Lock()
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_child, args=(child, token, cpu), daemon=True, name="emulator")

    def start(self) -> str:
        self._proc.start()
        if not self._conn.poll(60):
            raise RuntimeError("the emulator process did not start within 60 s")
        kind, self.base_url = self._conn.recv()
        assert kind == "ready"
        return self.base_url

    def call_sync(self, cmd: str, timeout: float = 600, **kwargs: Any) -> Any:
        with self._lock:
            self._conn.send((cmd, kwargs))
            if not self._conn.poll(timeout):
                raise TimeoutError(f"emulator process: {cmd} took over {timeout} s")
            kind, value = self._conn.recv()
        if kind == "error":
            raise RuntimeError(f"emulator process failed in {cmd}:\n{value}")
        return value

    async def call(self, cmd: str, **kwargs: Any) -> Any:
        """Run a driver command in the child while this event loop keeps serving the bot."""
        return await asyncio.get_running_loop().run_in_executor(None, lambda: self.call_sync(cmd, **kwargs))

    def stop(self) -> None:
        if self._proc.is_alive():
            with contextlib.suppress(TimeoutError, RuntimeError, OSError, EOFError):
                self.call_sync("stop", timeout=10)
            self._proc.join(5)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(5)
        self._conn.close()

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
