"""A refused credential is remembered on the breaker, announced once, cleared by the next success, and
shown by /health's checks; it never opens the breaker (it is not an outage)."""

from __future__ import annotations

import pytest

from core.config.schema import EngineConfig
from core.errors import AuthenticationError, DataFetchError
from core.ops.health import Level, check_breakers
from core.resilience import BreakerState, CircuitBreaker, GuardRegistry


def test_an_auth_refusal_is_announced_once_and_cleared_by_a_success():
    events = []
    b = CircuitBreaker("kite", failure_threshold=2, listeners=[events.append])
    for _ in range(5):
        b.record_auth_failure("token expired")
    assert b.state is BreakerState.CLOSED
    assert [e.kind for e in events] == ["auth"]
    assert b.status().auth_error == "token expired"
    b.record_success()
    assert [e.kind for e in events] == ["auth", "auth_ok"]
    assert b.status().auth_error is None
    b.record_success()
    assert len(events) == 2


async def test_the_guard_notes_an_authentication_error_without_counting_it():
    reg = GuardRegistry(EngineConfig())
    events = []
    reg.add_breaker_listener(events.append)
    guard = reg.guard("kite", "kite_other")

    async def refused():
        raise AuthenticationError("session expired", source="kite")

    for _ in range(10):
        with pytest.raises(AuthenticationError):
            await guard.call(refused)
    status = reg.breaker("kite").status()
    assert status.state is BreakerState.CLOSED and status.consecutive_failures == 0
    assert status.auth_error and "session expired" in status.auth_error
    assert [e.kind for e in events] == ["auth"]


def test_health_checks_name_each_failing_dependency():
    b_open = CircuitBreaker("yahoo", failure_threshold=1)
    b_open.record_failure(str(DataFetchError("down", source="yahoo")))
    b_auth = CircuitBreaker("llm")
    b_auth.record_auth_failure("bad key")
    b_ok = CircuitBreaker("kite")
    checks = {c.name: c for c in check_breakers([b.status() for b in (b_open, b_auth, b_ok)])}
    assert set(checks) == {"yahoo", "llm"}
    assert checks["yahoo"].level is Level.WARN and "unavailable" in checks["yahoo"].detail
    assert "credentials refused: bad key" in checks["llm"].detail
