"""A fake Anthropic Messages API on 127.0.0.1 for the real ``anthropic`` SDK.

Serves ``POST /v1/messages``. Replies are scripted in order (``reply``, ``error``, ``rate_limited``,
``overloaded``, each with an optional delay); when the script is empty it answers ``default_text``.
Every request is recorded (JSON body, API key header, anthropic-version) so tests can assert what was
sent: model, system blocks with ``cache_control``, ``max_tokens`` and messages. ``fail_all`` answers
every request with one fault until ``clear_fault`` (``timeout``: a reply later than any client waits,
``429`` with ``retry-after``, ``5xx`` (529 overloaded), ``malformed``: a 200 whose body is not JSON,
``auth``: 401, ``refused``: the connection is cut without an answer); ``refuse``/``resume`` close and
reopen the port. Response and error
bodies follow the API's shapes: a ``message`` object with ``usage``, or ``{"type": "error",
"error": {"type": ..., "message": ...}}`` with ``retry-after`` where the API sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    body: dict[str, Any]
    api_key: str | None
    anthropic_version: str | None

    @property
    def model(self) -> str:
        return str(self.body.get("model"))

    @property
    def system(self) -> Any:
        return self.body.get("system")

    @property
    def max_tokens(self) -> int:
        return int(self.body["max_tokens"])

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))


class FakeAnthropic:
    """Start with ``await fake.start()`` (returns the base URL); stop with ``await fake.close()``."""

    def __init__(self, default_text: str = "NIFTY 50 is quiet.") -> None:
        self.default_text = default_text
        self.script: deque[Scripted] = deque()
        self.requests: list[RecordedRequest] = []
        self.base_url = ""
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.fault: str | None = None
        self.port = 0

    # ---- scripting ------------------------------------------------------------------------------
    def message_body(
        self,
        text: str,
        *,
        model: str = "claude-sonnet-5-5",
        input_tokens: int = 100,
        output_tokens: int = 50,
        cache_creation_input_tokens: int = 0,
        cache_read_input_tokens: int = 0,
        cache_1h_tokens: int = 0,
        stop_reason: str = "end_turn",
    ) -> dict[str, Any]:
        return {
            "id": f"msg_fake{next(self._ids):04d}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_creation_input_tokens": cache_creation_input_tokens,
                "cache_read_input_tokens": cache_read_input_tokens,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": cache_creation_input_tokens - cache_1h_tokens,
                    "ephemeral_1h_input_tokens": cache_1h_tokens,
                },
            },
        }

    def reply(self, text: str, *, delay: float = 0.0, **usage: Any) -> FakeAnthropic:
        self.script.append(Scripted(200, self.message_body(text, **usage), delay=delay))
        return self

    def error(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        retry_after: str | None = None,
        delay: float = 0.0,
    ) -> FakeAnthropic:
        headers = {} if retry_after is None else {"retry-after": retry_after}
        body = {"type": "error", "error": {"type": error_type, "message": message}}
        self.script.append(Scripted(status, body, headers, delay))
        return self

    def rate_limited(self, retry_after: str = "0.2") -> FakeAnthropic:
        return self.error(
            429,
            "rate_limit_error",
            "Number of requests has exceeded your rate limit.",
            retry_after=retry_after,
        )

    def overloaded(self) -> FakeAnthropic:
        return self.error(529, "overloaded_error", "Overloaded")

    def fail_all(self, fault: str) -> None:
        self.fault = fault

    def clear_fault(self) -> None:
        self.fault = None

    def _faulted(self) -> Scripted | None:
        def err(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Scripted:
            return Scripted(
                status, {"type": "error", "error": {"type": kind, "message": message}}, headers or {}
            )

        if self.fault == "timeout":
            return Scripted(200, self.message_body(self.default_text), delay=30.0)
        if self.fault == "429":
            return err(
                429,
                "rate_limit_error",
                "Number of requests has exceeded your rate limit.",
                {"retry-after": "0.05"},
            )
        if self.fault == "5xx":
            return err(529, "overloaded_error", "Overloaded")
        if self.fault == "auth":
            return err(401, "authentication_error", "invalid x-api-key")
        return None

    @property
    def refused(self) -> bool:
        return self._runner is None

    async def refuse(self) -> None:
        """Close the port: requests get connection refused until :meth:`resume`."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def resume(self) -> None:
        if self._runner is None:
            await self._serve(self.port)

    # ---- serving --------------------------------------------------------------------------------
    async def _messages(self, request: web.Request) -> web.Response:
        if self.fault == "refused":  # the connection is cut without an answer
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()
        body = await request.json()
        self.requests.append(
            RecordedRequest(
                path=request.path,
                body=body,
                api_key=_api_key(request),
                anthropic_version=request.headers.get("anthropic-version"),
            )
        )
        if self.fault == "malformed":
            return web.Response(
                status=200, text='{"id": "msg_x", "type": "mess', content_type="application/json"
            )
        scripted = self._faulted() or (
            self.script.popleft() if self.script else Scripted(200, self.message_body(self.default_text))
        )
        if scripted.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), timeout=scripted.delay)
        headers = {"request-id": f"req_fake{len(self.requests):04d}", **scripted.headers}
        return web.Response(
            status=scripted.status,
            text=json.dumps(scripted.body),
            content_type="application/json",
            headers=headers,
        )

    async def start(self) -> str:
        await self._serve(0)
        return self.base_url

    async def _serve(self, port: int) -> None:
        app = web.Application()
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True, reuse_port=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()


def _api_key(request: web.Request) -> str | None:
    """The key as sent: ``x-api-key``, or ``Authorization: Bearer`` (what SDK 2.x sends)."""
    auth = request.headers.get("authorization", "")
    return request.headers.get("x-api-key") or (auth[7:] if auth.startswith("Bearer ") else None)
