"""Garbage-collector pauses: the start-up heap freeze and a process-wide pause recorder.

CPython's cyclic collector stops the whole interpreter (the bot's event loop with it) while it walks the
tracked container objects of the generations it collects. A gen-2 collection walks all of them: after
start-up the bot holds about 390,000 (the modules, functions, classes and pydantic/SQLAlchemy metadata
of its imports), nearly none of which ever becomes garbage, and walking them took 130-270 ms on the
2-core CI machine. Those pauses were the tail of command latency under load (docs/benchmarks.md,
"Load"). :func:`freeze_startup_heap` collects once, then moves every surviving object to the permanent
generation (``gc.freeze()``), so later collections walk only what was made after start-up.

What freezing costs: an object frozen at start-up that later becomes part of an unreachable *cycle* is
never reclaimed (objects freed by reference counting, the usual case, are freed as before). That is why
it runs once, after start-up, and never periodically; the soak benchmark checks memory stays flat.

:class:`GcPauses` times every collection (``gc.callbacks``) so the pause is a metric
(``niftybot_gc_pause_seconds``), not a guess.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PAUSE_BUCKETS: tuple[float, ...] = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass(frozen=True)
class HeapFreeze:
    """What :func:`freeze_startup_heap` did: garbage collected first, then objects frozen (in total, by
    this and any earlier freeze of the process), and how long the collection took (seconds)."""

    collected: int
    frozen: int
    seconds: float


def freeze_startup_heap() -> HeapFreeze:
    """Collect garbage, then freeze every surviving object out of future collections (once, after
    start-up: see the module docstring for why not periodically)."""
    t0 = time.perf_counter()
    collected = gc.collect()
    seconds = time.perf_counter() - t0
    gc.freeze()
    return HeapFreeze(collected, gc.get_freeze_count(), seconds)


@dataclass(frozen=True)
class PauseStats:
    """Collections per generation with their bucket counts (cumulative, as a Prometheus histogram:
    ``buckets[i]`` counts pauses ≤ ``PAUSE_BUCKETS[i]``), the sum and the longest pause (seconds)."""

    count: tuple[int, int, int]
    total: tuple[float, float, float]
    longest: tuple[float, float, float]
    buckets: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]


class GcPauses:
    """Times each cyclic collection of the process (``gc.callbacks``). One per process: install it
    with :meth:`install` (idempotent); several apps in one process (the tests) read the same one."""

    def __init__(self, buckets: Sequence[float] = PAUSE_BUCKETS) -> None:
        self.bounds = tuple(buckets)
        # Re-entrant: a collection can start (and call back) while this thread is inside stats().
        self._lock = threading.RLock()
        self._start: float | None = None
        self._count = [0, 0, 0]
        self._total = [0.0, 0.0, 0.0]
        self._longest = [0.0, 0.0, 0.0]
        self._buckets = [[0] * len(self.bounds) for _ in range(3)]
        self._installed = False

    def install(self) -> GcPauses:
        with self._lock:
            if not self._installed:
                gc.callbacks.append(self._callback)
                self._installed = True
        return self

    def uninstall(self) -> None:
        with self._lock:
            if self._installed:
                gc.callbacks.remove(self._callback)
                self._installed = False

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        # Runs inside the collector: no allocation-heavy work, no logging.
        if phase == "start":
            self._start = time.perf_counter()
            return
        start, self._start = self._start, None
        if start is None:
            return
        self.record(int(info.get("generation", 2)), time.perf_counter() - start)

    def record(self, generation: int, seconds: float) -> None:
        g = min(max(generation, 0), 2)
        with self._lock:
            self._count[g] += 1
            self._total[g] += seconds
            self._longest[g] = max(self._longest[g], seconds)
            row = self._buckets[g]
            for i, bound in enumerate(self.bounds):
                if seconds <= bound:
                    row[i] += 1

    def stats(self) -> PauseStats:
        with self._lock:
            return PauseStats(
                count=(self._count[0], self._count[1], self._count[2]),
                total=(self._total[0], self._total[1], self._total[2]),
                longest=(self._longest[0], self._longest[1], self._longest[2]),
                buckets=(tuple(self._buckets[0]), tuple(self._buckets[1]), tuple(self._buckets[2])),
            )


PAUSES = GcPauses()  # the process's recorder (gc.callbacks are process-wide)
