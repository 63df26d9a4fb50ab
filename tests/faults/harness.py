"""The real bot wired for ``MARKET_DATA=kite``, every outside dependency on loopback with a fault switch.

:class:`FaultBot` is ``tests.bot.harness.DeskBot`` built through ``build_app`` with no source given, so
the production wiring picks the live composite (``LiveSource``: the real ``kiteconnect`` client against
:class:`~tests.fakes.kite_server.FakeKiteServer`, Yahoo through :class:`FaultyYahoo` at the fetcher seam
over recorded frames, the IV history store) and ``build_bot`` builds the Claude commentator with the
real ``anthropic`` SDK against :class:`~tests.fakes.anthropic_server.FakeAnthropic`. Telegram is the
emulator. The guards run on a fake monotonic clock (breaker recovery without waiting) and a sleep that
records the retry waits instead of waiting.

Each dependency has one switch, :meth:`FaultBot.inject` / :meth:`FaultBot.clear`, for the faults of the
matrix: ``timeout``, ``refused``, ``429``, ``5xx``, ``malformed``, ``auth`` (and for the database
``locked`` and ``vanished``, see tests/faults/test_database.py).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError
from curl_cffi.requests.exceptions import HTTPError as CurlHTTPError
from curl_cffi.requests.exceptions import Timeout as CurlTimeout
from pydantic import SecretStr
from yfinance.exceptions import YFException, YFRateLimitError

from bot.app import build_bot
from core.bootstrap import build_app
from core.config.schema import parse_config
from core.market_hours import default_calendar
from core.marketdata.yahoo import RecordedFetcher
from core.resilience import GuardRegistry
from tests.bot.harness import ADMIN, STRANGER, TRADER, VIEWER, DeskBot, bot_settings
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.kite_server import FakeKiteMarket, FakeKiteServer
from tests.fakes.kite_server import Fault as KiteFault
from tests.ops.harness import FakeMonotonic

YAHOO_DATA = Path(__file__).resolve().parents[1] / "data" / "yahoo"
ANTHROPIC_KEY = "sk-ant-fault-matrix-0123456789"
FAULTS = ("timeout", "refused", "429", "5xx", "malformed", "auth")
FAST = {"rate_per_second": 1000.0, "burst": 1000}
KITE_FAULTS = {
    "timeout": KiteFault.SLOW,  # answered after 3 s; the client gives up after 1 s
    "429": KiteFault.RATE_LIMIT,
    "5xx": KiteFault.SERVER_ERROR,
    "malformed": KiteFault.MALFORMED,
    "auth": KiteFault.TOKEN,  # 403 TokenException: the daily session is dead
}


def fault_config(threshold: int = 3) -> Any:
    """Production rules with the rate limits opened up (tests must not wait on wall-clock limiters),
    short timeouts (a timeout fault costs well under a second) and a breaker that opens after
    ``threshold`` failed calls."""
    limits = {
        "kite_quote": {**FAST, "timeout_seconds": 1.5, "max_retries": 1},
        "kite_other": {**FAST, "timeout_seconds": 1.5, "max_retries": 1},
        "kite_historical": {**FAST, "timeout_seconds": 1.5, "max_retries": 1},
        "yahoo": {**FAST, "timeout_seconds": 1.0, "max_retries": 1},
        "llm": {**FAST, "timeout_seconds": 5.0, "max_retries": 0},
        "simulator": {**FAST},
    }
    return parse_config(
        {
            "paper_trading": {"suggestion_ttl_minutes": 60},
            "engine": {
                "rate_limits": limits,
                "breaker": {"failure_threshold": threshold, "recovery_seconds": 60},
            },
            "llm": {"timeout_seconds": 0.6, "max_retries": 1},
            "recording": {"enabled": False},
        }
    )


class RecordedSleeps:
    """The guards' retry backoff: recorded, not waited (a 429's Retry-After shows up here)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


class FaultyYahoo:
    """The yfinance seam over recorded frames, failing the way yfinance fails while ``fault`` is set.

    yfinance (1.x) talks HTTP through curl_cffi and lets its errors through (``hide_exceptions`` is off
    in ``YFinanceFetcher``): a timeout or a refused connection is a curl_cffi ``Timeout`` /
    ``ConnectionError``, a 5xx an ``HTTPError``, a 429 ``YFRateLimitError``, Yahoo's cookie/crumb
    refusal (its only "authentication") a ``YFException``; a malformed answer is a frame that is not in
    yfinance's shape.
    """

    def __init__(self) -> None:
        self.inner = RecordedFetcher(YAHOO_DATA)
        self.fault: str | None = None
        self.calls = 0
        self.failed = 0
        self._lock = threading.Lock()

    def history(self, ticker: str, start: date, end: date) -> pd.DataFrame:
        with self._lock:
            self.calls += 1
            fault = self.fault
            if fault is not None:
                self.failed += 1
        if fault == "timeout":
            raise CurlTimeout("Failed to perform, curl: (28) Operation timed out after 10001 milliseconds")
        if fault == "refused":
            raise CurlConnectionError("Failed to perform, curl: (7) Failed to connect: Connection refused")
        if fault == "429":
            raise YFRateLimitError()
        if fault == "5xx":
            raise CurlHTTPError("HTTP Error 503: Service Unavailable")
        if fault == "auth":
            raise YFException("Invalid Crumb: 401 Unauthorized (Yahoo refused the session cookie)")
        frame = self.inner.history(ticker, start, end)
        if fault == "malformed":
            return pd.DataFrame({"error": ["<html>Will be right back</html>"]})
        return frame


class FaultBot(DeskBot):
    """See the module docstring. ``await bot.start()`` needs ``kite`` (started) and ``claude`` (started)."""

    def __init__(
        self,
        engine: Any,
        emu: Any,
        tmp_path: Any,
        *,
        at: Any,
        claude: FakeAnthropic,
        threshold: int = 3,
        settings: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(engine, emu, tmp_path, at=at, config=fault_config(threshold), settings=settings)
        self.claude = claude
        self.market = FakeKiteMarket(default_calendar(), self.clock)
        self.kite = FakeKiteServer(self.market)
        self.yahoo = FaultyYahoo()
        self.monotonic = FakeMonotonic()
        self.sleeps = RecordedSleeps()
        self.kite_fault: str | None = None
        self.failed_attempts: Counter[str] = Counter()  # requests that failed, per guarded source

    async def start(self) -> FaultBot:
        self.kite.start()
        settings = bot_settings(
            self.emu.base_url,
            self.tmp_path,
            market_data="kite",
            kite_api_key=SecretStr(self.kite.api_key),
            kite_api_secret=SecretStr(self.kite.api_secret),
            kite_access_token=SecretStr(next(iter(self.kite.access_tokens))),
            kite_api_root=self.kite.url,
            anthropic_api_key=SecretStr(ANTHROPIC_KEY),
            anthropic_base_url=self.claude.base_url,
            **self.overrides,
        )
        cal = default_calendar()
        guards = GuardRegistry(self.config.engine, monotonic=self.monotonic, sleep=self.sleeps)

        def count(record: Any) -> None:
            if not record.ok and record.error_kind != "SourceUnavailableError":  # not breaker refusals
                self.failed_attempts[record.source] += max(record.attempts, 1)

        guards.add_call_observer(count)
        app = build_app(
            settings,
            self.config,
            clock=self.clock,
            engine=self.engine,
            calendar=cal,
            guards=guards,
            yahoo_fetcher=self.yahoo,
        )
        self.application, self.bc = build_bot(app, jobs=False, rate_limiter=True, read_timeout=1.0)
        self.bc.outbox.private_gap = self.bc.outbox.group_gap = 0.0
        for uid in (ADMIN, TRADER, VIEWER, STRANGER):
            self.emu.add_chat(uid)
        await self.application.initialize()
        if self.application.post_init:
            await self.application.post_init(self.application)
        await self.application.start()
        await self.application.updater.start_polling(poll_interval=0, timeout=1)
        # What a desk that ran yesterday has: NIFTY and VIX daily history cached, the IV history
        # backfilled from India VIX closes (the global cues are fetched by the first snapshot).
        from core.marketdata.iv_history import IVHistoryStore
        from core.marketdata.ports import NIFTY

        await app.source.yahoo.daily_history(NIFTY, self.clock.now(), 300)
        await IVHistoryStore(self.engine).backfill(app.source, self.clock.now())
        return self

    async def stop(self) -> None:
        try:
            await super().stop()
        finally:
            self.kite.stop()

    def breaker(self, name: str) -> Any:
        return self.bc.app.guards.breaker(name)

    def texts(self, chat_id: int, needle: str) -> list[str]:
        return [m.plain for m in self.messages(chat_id) if needle in m.plain]

    # ---- the switches ------------------------------------------------------------------------------
    KITE_ENDPOINTS = ("instruments", "quote", "ltp", "ohlc", "historical", "profile")

    def inject_kite(self, fault: str) -> None:
        self.kite_fault = fault
        if fault == "refused":
            self.kite.stop()
            return
        for endpoint in self.KITE_ENDPOINTS:
            self.kite.inject(endpoint, KITE_FAULTS[fault], times=None, delay=3.0)

    def injected(self, dep: str, day: date) -> int:
        """Requests to ``dep`` that met the fault (breaker refusals, which never left, not counted)."""
        if dep == "llm":  # a deadline cancels the guarded call before it reports: count the fallbacks
            from core.commentary.usage import SqlUsageStore

            by = SqlUsageStore(self.engine).totals(day).by_outcome
            return sum(by.get(o, 0) for o in ("deadline", "timeout", "auth_error", "api_error"))
        return self.failed_attempts[dep]

    async def inject(self, dep: str, fault: str) -> None:
        if dep == "kite":
            self.inject_kite(fault)
        elif dep == "yahoo":
            self.yahoo.fault = fault
        elif dep == "llm":
            if fault == "refused":  # the port is closed: connection refused
                await self.claude.refuse()
            else:
                self.claude.fail_all(fault)
        else:
            raise ValueError(dep)

    async def clear(self, dep: str, fault: str) -> None:
        if dep == "kite":
            self.clear_kite()
        elif dep == "yahoo":
            self.yahoo.fault = None
        elif dep == "llm":
            if fault == "refused" and self.claude.refused:
                await self.claude.resume()
            self.claude.clear_fault()

    def clear_kite(self) -> None:
        if self.kite_fault == "refused":
            self.kite.start()
        self.kite.clear_faults()
        self.kite_fault = None
