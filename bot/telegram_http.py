"""The HTTP client PTB uses to reach the Bot API: aiohttp with a keep-alive connection pool.

PTB's default ``HTTPXRequest`` spends most of a reply's CPU in httpcore's connection pool, which scans
every pooled connection (and polls its socket) on each request: with the 32 concurrent updates the bot
handles, that was about 70% of the CPU a bare PTB echo bot spends per reply (docs/benchmarks.md, "Load").
aiohttp's connector keeps idle keep-alive connections per host in a queue and hands one out in constant
time. Like httpx, it honours the HTTP(S)_PROXY / NO_PROXY environment. Requests are encoded as PTB's
own client encodes them (form fields with JSON-encoded values; multipart when files are attached), and
errors map to the same PTB exceptions: ``TimedOut`` for timeouts (including waiting for a free pooled
connection), ``NetworkError`` for connection failures.
"""

from __future__ import annotations

import asyncio
import re

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# A Bot API URL carries the token in its path (``.../bot<id>:<secret>/sendMessage``); some aiohttp errors
# quote the URL, and PTB's exceptions travel on to logs and admin alerts.
_TOKEN_IN_URL = re.compile(r"bot\d+:[A-Za-z0-9_-]+")


def _redacted(text: str) -> str:
    return _TOKEN_IN_URL.sub("bot<token>", text)


def _value(given: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(given, DefaultValue) else given


def _sum(*parts: float | None) -> float | None:
    return None if any(p is None for p in parts) else float(sum(p for p in parts if p is not None))


class AiohttpRequest(BaseRequest):
    """A ``telegram.request.BaseRequest`` on one ``aiohttp.ClientSession`` (created in ``initialize``)."""

    __slots__ = (
        "_connect_timeout",
        "_keepalive",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        keepalive_seconds: float = 30.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._keepalive = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=self._keepalive)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}, trust_env=True
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = _value(read_timeout, self._read_timeout)
        write = _value(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _value(connect_timeout, self._connect_timeout)
        pool = _value(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            # aiohttp has no write timeout of its own: the whole exchange gets write + read on top of
            # getting a connection, and each read waits at most ``read``.
            total=_sum(pool, connect, write, read),
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        body: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            body = form
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as res:
                return res.status, await res.read()
        except (TimeoutError, asyncio.TimeoutError) as err:  # noqa: UP041 - aiohttp raises either
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(_redacted(f"aiohttp.{err.__class__.__name__}: {err}")) from None
