"""Resilience for every outside call (seed: ``core/rate_limiter.py``, ``core/circuit_breaker.py``).

The seed had both modules but left them unwired. Here every adapter call goes through a
:class:`~core.resilience.guard.SourceGuard` that applies, in order: the circuit breaker (refuse at once
when OPEN), the rate limiter (aiolimiter), a timeout, and retries with exponential backoff and jitter
(tenacity) for transient errors only.
"""

from core.resilience.breaker import BreakerEvent, BreakerState, BreakerStatus, CircuitBreaker
from core.resilience.guard import CallRecord, GuardRegistry, SourceGuard

__all__ = [
    "BreakerEvent",
    "BreakerState",
    "BreakerStatus",
    "CallRecord",
    "CircuitBreaker",
    "GuardRegistry",
    "SourceGuard",
]
