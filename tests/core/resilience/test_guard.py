"""SourceGuard: retries only transient errors, honours retry-after, feeds the breaker once per call."""

from __future__ import annotations

import asyncio

import pytest

from core.config.schema import BreakerConfig, EngineConfig, SourceLimits
from core.errors import (
    AuthenticationError,
    DataFetchError,
    RateLimitedError,
    SourceUnavailableError,
)
from core.resilience.breaker import BreakerState
from core.resilience.guard import GuardRegistry


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def registry(sleeps: Sleeps, clock=None, threshold: int = 2, timeout: float = 5.0) -> GuardRegistry:
    cfg = EngineConfig(
        rate_limits={
            "api": SourceLimits(rate_per_second=1000, burst=1000, timeout_seconds=timeout, max_retries=3)
        },
        breaker=BreakerConfig(failure_threshold=threshold, recovery_seconds=10),
    )
    kwargs = {"monotonic": clock} if clock else {}
    return GuardRegistry(cfg, sleep=sleeps, **kwargs)


class Flaky:
    def __init__(self, errors: list[BaseException], value: str = "ok") -> None:
        self.errors = list(errors)
        self.calls = 0
        self.value = value

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.value


async def test_transient_errors_are_retried_with_growing_waits():
    sleeps = Sleeps()
    guard = registry(sleeps).guard("src", "api")
    fn = Flaky([DataFetchError("timeout", transient=True)] * 2)
    assert await guard.call(fn) == "ok"
    assert fn.calls == 3
    assert len(sleeps.waits) == 2 and all(w > 0 for w in sleeps.waits)


async def test_a_429_waits_at_least_its_retry_after():
    sleeps = Sleeps()
    guard = registry(sleeps).guard("src", "api")
    fn = Flaky([RateLimitedError("slow down", retry_after=7.0)])
    assert await guard.call(fn) == "ok"
    assert sleeps.waits[0] >= 7.0


async def test_authentication_errors_are_not_retried_and_do_not_trip_the_breaker():
    sleeps = Sleeps()
    reg = registry(sleeps, threshold=1)
    guard = reg.guard("src", "api")
    fn = Flaky([AuthenticationError("token expired")] * 5)
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            await guard.call(fn)
    assert fn.calls == 3
    assert reg.breaker("src").state is BreakerState.CLOSED


async def test_non_transient_errors_are_not_retried():
    guard = registry(Sleeps()).guard("src", "api")
    fn = Flaky([DataFetchError("malformed body", transient=False)])
    with pytest.raises(DataFetchError, match="malformed"):
        await guard.call(fn)
    assert fn.calls == 1


async def test_unexpected_exceptions_become_typed_fetch_errors():
    guard = registry(Sleeps()).guard("src", "api")
    fn = Flaky([KeyError("last_price")])
    with pytest.raises(DataFetchError, match="KeyError"):
        await guard.call(fn)


async def test_a_slow_call_times_out_as_a_transient_error():
    guard = registry(Sleeps(), timeout=0.01).guard("src", "api")

    async def slow() -> str:
        await asyncio.sleep(1)
        return "late"

    with pytest.raises(DataFetchError, match="did not answer"):
        await guard.call(slow)


async def test_persistent_failures_open_the_breaker_then_calls_are_refused_without_trying():
    t = [0.0]
    events = []
    reg = registry(Sleeps(), clock=lambda: t[0], threshold=2)
    reg.add_breaker_listener(events.append)
    guard = reg.guard("src", "api")
    down = Flaky([ConnectionError("refused")] * 100)
    for _ in range(2):
        with pytest.raises(DataFetchError):
            await guard.call(down)
    calls_before = down.calls
    with pytest.raises(SourceUnavailableError, match="circuit breaker open"):
        await guard.call(down)
    assert down.calls == calls_before
    # After the recovery period a trial call goes through; success closes the breaker.
    t[0] = 11.0
    assert await guard.call(Flaky([])) == "ok"
    assert [e.new for e in events] == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


async def test_guards_of_one_source_share_its_breaker_and_observers_see_every_call():
    cfg = EngineConfig()
    reg = GuardRegistry(cfg, sleep=Sleeps())
    seen = []
    reg.add_call_observer(seen.append)
    assert reg.guard("kite", "kite_quote").breaker is reg.guard("kite", "kite_other").breaker
    await reg.guard("simulator").call(Flaky([]), what="spot")
    assert seen[0].ok and seen[0].source == "simulator" and seen[0].what == "spot"
    with pytest.raises(KeyError):
        reg.guard("nowhere")


async def test_the_rate_limiter_spaces_calls():
    cfg = EngineConfig(rate_limits={"api": SourceLimits(rate_per_second=20, burst=1)})
    guard = GuardRegistry(cfg).guard("src", "api")
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(*(guard.call(Flaky([])) for _ in range(5)))
    # 5 calls at 20/s with no burst: the last one waits for at least ~4 intervals of 50 ms.
    assert loop.time() - start >= 0.15
