"""Circuit breaker: CLOSED → OPEN → HALF_OPEN → CLOSED, on an injected clock."""

from __future__ import annotations

import pytest

from core.resilience.breaker import BreakerState, CircuitBreaker


class Tick:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Tick:
    return Tick()


def make(clock: Tick, events: list) -> CircuitBreaker:
    return CircuitBreaker(
        "kite", failure_threshold=3, recovery_seconds=30, monotonic=clock, listeners=[events.append]
    )


def test_opens_after_the_threshold_of_consecutive_failures(clock):
    events: list = []
    b = make(clock, events)
    b.record_failure("e1")
    b.record_failure("e2")
    assert b.state is BreakerState.CLOSED and b.can_execute()
    b.record_failure("e3")
    assert b.state is BreakerState.OPEN
    assert not b.can_execute()
    assert [(e.old, e.new, e.reason) for e in events] == [(BreakerState.CLOSED, BreakerState.OPEN, "e3")]


def test_a_success_resets_the_consecutive_count(clock):
    b = make(clock, [])
    b.record_failure("x")
    b.record_failure("x")
    b.record_success()
    b.record_failure("x")
    b.record_failure("x")
    assert b.state is BreakerState.CLOSED


def test_half_open_after_recovery_allows_one_trial_then_closes_on_success(clock):
    events: list = []
    b = make(clock, events)
    for _ in range(3):
        b.record_failure("down")
    clock.t = 29.9
    assert not b.can_execute()
    assert b.status().retry_in_seconds == pytest.approx(0.1)
    clock.t = 30.0
    assert b.can_execute()  # the trial
    assert b.state is BreakerState.HALF_OPEN
    assert not b.can_execute()  # only one trial at a time
    b.record_success()
    assert b.state is BreakerState.CLOSED
    assert [e.new for e in events] == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


def test_a_failed_trial_opens_again_for_a_full_recovery_period(clock):
    b = make(clock, [])
    for _ in range(3):
        b.record_failure("down")
    clock.t = 31
    assert b.can_execute()
    b.record_failure("still down")
    assert b.state is BreakerState.OPEN
    clock.t = 60
    assert not b.can_execute()
    clock.t = 61
    assert b.can_execute()


def test_a_broken_listener_does_not_break_the_breaker(clock):
    def boom(event):
        raise RuntimeError("listener bug")

    b = CircuitBreaker("x", failure_threshold=1, recovery_seconds=1, monotonic=clock, listeners=[boom])
    b.record_failure("e")
    assert b.state is BreakerState.OPEN


def test_status_counts_failures(clock):
    b = make(clock, [])
    b.record_failure("a")
    b.record_failure("b")
    s = b.status()
    assert (s.consecutive_failures, s.total_failures, s.last_error) == (2, 2, "b")
