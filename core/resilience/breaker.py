"""A three-state circuit breaker: CLOSED → OPEN → HALF_OPEN → CLOSED.

CLOSED counts consecutive failed calls; at ``failure_threshold`` it OPENs and refuses calls for
``recovery_seconds``. Then it is HALF_OPEN: up to ``half_open_max_calls`` trial calls may run; a success
CLOSEs it, a failure OPENs it again. Every state change is a :class:`BreakerEvent` handed to the
listeners (the bot turns them into alerts, metrics into gauges). Time comes from an injected monotonic
function so tests need no sleeping.

An authentication refusal (an expired Kite session, a revoked API key) is not an outage and does not
count towards opening, but it is not silence either: the breaker remembers it (``auth_error``, shown on
``/health``) and tells the listeners once, with ``kind="auth"``; the next successful call clears it and
tells them again (``kind="auth_ok"``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerEvent:
    """A state change of the breaker named ``name``; ``reason`` is the last error when it opened."""

    name: str
    old: BreakerState
    new: BreakerState
    reason: str | None = None
    kind: str = "state"  # "state" (old -> new), "auth" (credentials refused), "auth_ok" (accepted again)


@dataclass(frozen=True)
class BreakerStatus:
    """What ``/health`` and the metrics show for one breaker."""

    name: str
    state: BreakerState
    consecutive_failures: int
    total_failures: int
    last_error: str | None
    retry_in_seconds: float | None
    auth_error: str | None = None


Listener = Callable[[BreakerEvent], None]


class CircuitBreaker:
    """Thread-safe circuit breaker for one source."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        recovery_seconds: float = 60.0,
        half_open_max_calls: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
        listeners: list[Listener] | None = None,
    ) -> None:
        if failure_threshold < 1 or recovery_seconds <= 0 or half_open_max_calls < 1:
            raise ValueError("breaker thresholds must be positive")
        self.name = name
        self.failure_threshold = failure_threshold
        self.recovery_seconds = recovery_seconds
        self.half_open_max_calls = half_open_max_calls
        self._monotonic = monotonic
        self._listeners = listeners if listeners is not None else []
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._total_failures = 0
        self._opened_at = 0.0
        self._trials = 0
        self._last_error: str | None = None
        self._auth_error: str | None = None

    # ---- state ------------------------------------------------------------------------------
    def _advance(self) -> BreakerEvent | None:
        """OPEN becomes HALF_OPEN once the recovery time has passed (called under the lock)."""
        if self._state is BreakerState.OPEN and self._monotonic() - self._opened_at >= self.recovery_seconds:
            return self._set(BreakerState.HALF_OPEN)
        return None

    def _set(self, new: BreakerState, reason: str | None = None) -> BreakerEvent | None:
        old = self._state
        if old is new:
            return None
        self._state = new
        if new is BreakerState.OPEN:
            self._opened_at = self._monotonic()
        if new is not BreakerState.CLOSED:
            self._trials = 0
        return BreakerEvent(self.name, old, new, reason)

    def _emit(self, event: BreakerEvent | None) -> None:
        if event is None:
            return
        log.warning(
            "circuit breaker %s: %s -> %s%s%s",
            event.name,
            event.old,
            event.new,
            "" if event.kind == "state" else f" [{event.kind}]",
            f" ({event.reason})" if event.reason else "",
        )
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the data path
                log.exception("breaker listener failed")

    @property
    def state(self) -> BreakerState:
        with self._lock:
            event = self._advance()
            state = self._state
        self._emit(event)
        return state

    # ---- calls ------------------------------------------------------------------------------
    def can_execute(self) -> bool:
        """True if a call may go ahead now (in HALF_OPEN this takes one of the trial slots)."""
        with self._lock:
            event = self._advance()
            if self._state is BreakerState.CLOSED:
                allowed = True
            elif self._state is BreakerState.HALF_OPEN and self._trials < self.half_open_max_calls:
                self._trials += 1
                allowed = True
            else:
                allowed = False
        self._emit(event)
        return allowed

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            event = self._set(BreakerState.CLOSED) if self._state is not BreakerState.CLOSED else None
            auth_ok = None
            if self._auth_error is not None:
                self._auth_error = None
                auth_ok = BreakerEvent(self.name, self._state, self._state, None, kind="auth_ok")
        self._emit(event)
        self._emit(auth_ok)

    def record_auth_failure(self, reason: str) -> None:
        """The source refused our credentials: remembered and announced once, not counted as a failure
        (a HALF_OPEN trial slot is given back)."""
        with self._lock:
            if self._state is BreakerState.HALF_OPEN and self._trials > 0:
                self._trials -= 1
            first = self._auth_error is None
            self._auth_error = reason
            event = BreakerEvent(self.name, self._state, self._state, reason, kind="auth") if first else None
        self._emit(event)

    def record_failure(self, reason: str) -> None:
        with self._lock:
            self._failures += 1
            self._total_failures += 1
            self._last_error = reason
            event = None
            if self._state is BreakerState.HALF_OPEN or (
                self._state is BreakerState.CLOSED and self._failures >= self.failure_threshold
            ):
                event = self._set(BreakerState.OPEN, reason)
        self._emit(event)

    def release_trial(self) -> None:
        """Give back a HALF_OPEN trial slot for a call that ended without a verdict (e.g. auth error)."""
        with self._lock:
            if self._state is BreakerState.HALF_OPEN and self._trials > 0:
                self._trials -= 1

    def reset(self) -> None:
        with self._lock:
            self._failures = 0
            event = self._set(BreakerState.CLOSED)
        self._emit(event)

    def status(self) -> BreakerStatus:
        with self._lock:
            event = self._advance()
            retry_in = None
            if self._state is BreakerState.OPEN:
                retry_in = max(self.recovery_seconds - (self._monotonic() - self._opened_at), 0.0)
            status = BreakerStatus(
                self.name,
                self._state,
                self._failures,
                self._total_failures,
                self._last_error,
                retry_in,
                self._auth_error,
            )
        self._emit(event)
        return status
