"""One guard per (source, endpoint class): breaker, rate limit, timeout and retries around a call.

Error policy (what the adapters raise is already typed, see ``core.errors``):

=============================  =========  ====================  ==============================
error                          retried?   breaker               notes
=============================  =========  ====================  ==============================
transient ``DataFetchError``   yes        failure if it persists  timeouts, 429, 5xx, refused
``RateLimitedError``           yes        failure if it persists  waits ``retry_after`` at least
other ``DataFetchError``       no         failure               malformed body, 4xx
``AuthenticationError``        no         not counted; noted    a token problem, not an outage
anything else                  no         failure               wrapped in ``DataFetchError``
=============================  =========  ====================  ==============================

A call counts once for the breaker however many attempts it took. Each finished call is reported to
the observers as a :class:`CallRecord` (metrics and ``/health`` use them).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from core.config.schema import BreakerConfig, EngineConfig, SourceLimits
from core.errors import (
    AuthenticationError,
    DataFetchError,
    NiftyBaseError,
    RateLimitedError,
    SourceUnavailableError,
)
from core.resilience.breaker import BreakerEvent, BreakerStatus, CircuitBreaker

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class CallRecord:
    """One guarded call: which source and endpoint, how long, how it ended, after how many attempts."""

    source: str
    endpoint: str
    what: str
    seconds: float
    ok: bool
    attempts: int
    error: str | None = None
    error_kind: str | None = None


Observer = Callable[[CallRecord], None]


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, DataFetchError) and exc.transient


class _Backoff:
    """Exponential backoff with jitter that never waits less than a 429's ``retry_after``."""

    def __init__(self, initial: float, maximum: float) -> None:
        self._exp = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)

    def __call__(self, state: RetryCallState) -> float:
        wait = float(self._exp(state))
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            wait = max(wait, exc.retry_after)
        return wait


class SourceGuard:
    """Runs calls to one endpoint class of one source under its breaker, limiter and retry policy."""

    def __init__(
        self,
        source: str,
        endpoint: str,
        limits: SourceLimits,
        breaker: CircuitBreaker,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        observers: list[Observer] | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
    ) -> None:
        self.source = source
        self.endpoint = endpoint
        self.limits = limits
        self.breaker = breaker
        # aiolimiter: at most ``burst`` calls per ``burst / rate`` seconds, i.e. ``rate`` per second
        # on average with bursts of ``burst``.
        self.limiter = AsyncLimiter(limits.burst, limits.burst / limits.rate_per_second)
        self._sleep = sleep
        self._observers = observers if observers is not None else []
        self._backoff = _Backoff(backoff_initial, backoff_max)

    async def _attempt(self, fn: Callable[[], Awaitable[T]], what: str) -> T:
        async with self.limiter:
            try:
                return await asyncio.wait_for(fn(), timeout=self.limits.timeout_seconds)
            except TimeoutError as exc:
                raise DataFetchError(
                    f"{self.source} did not answer {what or self.endpoint} within "
                    f"{self.limits.timeout_seconds:g} s",
                    source=self.source,
                    transient=True,
                ) from exc
            except NiftyBaseError:
                raise
            except Exception as exc:  # an adapter bug or an unmapped library error
                raise DataFetchError(
                    f"{self.source} failed on {what or self.endpoint}: {type(exc).__name__}: {exc}",
                    source=self.source,
                    transient=False,
                ) from exc

    async def call(self, fn: Callable[[], Awaitable[T]], what: str = "") -> T:
        """Await ``fn()`` under the guard; raises the typed error of the last attempt on failure."""
        if not self.breaker.can_execute():
            status = self.breaker.status()
            wait = f"; retrying in {status.retry_in_seconds:.0f} s" if status.retry_in_seconds else ""
            raise SourceUnavailableError(
                f"{self.source} is unavailable (circuit breaker open after repeated errors{wait}).",
                source=self.source,
                transient=False,
            )
        started = time.perf_counter()
        attempts = 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.limits.max_retries + 1),
            wait=self._backoff,
            retry=retry_if_exception(_transient),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    result = await self._attempt(fn, what)
        except AuthenticationError as exc:
            self.breaker.record_auth_failure(str(exc))  # shown on /health, alerted once
            self._observe(what, started, attempts, exc)
            raise
        except NiftyBaseError as exc:
            self.breaker.record_failure(str(exc))
            self._observe(what, started, attempts, exc)
            raise
        except BaseException:
            self.breaker.release_trial()  # cancelled: no verdict on the source
            raise
        self.breaker.record_success()
        self._observe(what, started, attempts, None)
        return result

    def _observe(self, what: str, started: float, attempts: int, exc: BaseException | None) -> None:
        record = CallRecord(
            source=self.source,
            endpoint=self.endpoint,
            what=what,
            seconds=time.perf_counter() - started,
            ok=exc is None,
            attempts=attempts,
            error=None if exc is None else str(exc),
            error_kind=None if exc is None else type(exc).__name__,
        )
        for observer in list(self._observers):
            try:
                observer(record)
            except Exception:
                log.exception("call observer failed")


class GuardRegistry:
    """Breakers per source and guards per endpoint class, built from ``EngineConfig``.

    ``guard("kite", "kite_quote")`` is the guard for Kite's quote endpoint: it has the ``kite_quote``
    rate limit and shares the ``kite`` breaker with Kite's other endpoints.
    """

    def __init__(
        self,
        config: EngineConfig,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        breaker_overrides: dict[str, BreakerConfig] | None = None,
    ) -> None:
        self.config = config
        self._monotonic = monotonic
        self._sleep = sleep
        self._overrides = breaker_overrides or {}
        self._breakers: dict[str, CircuitBreaker] = {}
        self._guards: dict[tuple[str, str], SourceGuard] = {}
        self._breaker_listeners: list[Callable[[BreakerEvent], None]] = []
        self.observers: list[Observer] = []

    def add_breaker_listener(self, listener: Callable[[BreakerEvent], None]) -> None:
        self._breaker_listeners.append(listener)

    def add_call_observer(self, observer: Observer) -> None:
        self.observers.append(observer)

    def breaker(self, source: str) -> CircuitBreaker:
        if source not in self._breakers:
            cfg = self._overrides.get(source, self.config.breaker)
            self._breakers[source] = CircuitBreaker(
                source,
                failure_threshold=cfg.failure_threshold,
                recovery_seconds=cfg.recovery_seconds,
                half_open_max_calls=cfg.half_open_max_calls,
                monotonic=self._monotonic,
                listeners=self._breaker_listeners,
            )
        return self._breakers[source]

    def guard(self, source: str, endpoint: str | None = None) -> SourceGuard:
        endpoint = endpoint or source
        key = (source, endpoint)
        if key not in self._guards:
            limits = self.config.rate_limits.get(endpoint)
            if limits is None:
                raise KeyError(f"no rate limit configured for {endpoint!r} (engine.rate_limits)")
            self._guards[key] = SourceGuard(
                source, endpoint, limits, self.breaker(source), sleep=self._sleep, observers=self.observers
            )
        return self._guards[key]

    def statuses(self) -> list[BreakerStatus]:
        return [b.status() for b in sorted(self._breakers.values(), key=lambda b: b.name)]
