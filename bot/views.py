"""Read views shared by everyone who asks for the same thing at the same desk state.

Many traders and viewers ask for the same /positions, /pnl, /drawdown, /chain, /history or /pending
within seconds of each other; each used to cost the database reads and the rendering again. A view is
kept under a key made of what it shows — the command and its arguments, the role-dependent parts, the
market snapshot it was drawn from, and :meth:`ReportService.version`, which changes with every
decision, fill, exit, mark, suggestion and risk change: at once when this process made it (the engine's
write counter, no query), within a second when another process did (the CLI's ``state import``; the
database is probed at most once a second). So a cached view is never older than the desk state it shows
(give or take that second for another process's change); the short ``ttl`` (desk-clock seconds) only
bounds the "as of" wording. The cache holds at most ``size`` views and starts over when full.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from core.clock import Clock

T = TypeVar("T")


class ViewCache:
    def __init__(self, clock: Clock, *, ttl: float = 2.0, size: int = 256) -> None:
        self.clock = clock
        self.ttl = ttl
        self.size = size
        self._views: dict[Hashable, tuple[datetime, Any]] = {}
        self.hits = 0
        self.misses = 0

    async def get(self, key: Hashable, make: Callable[[], Awaitable[T]]) -> T:
        now = self.clock.now()
        found = self._views.get(key)
        if found is not None and 0 <= (now - found[0]).total_seconds() < self.ttl:
            self.hits += 1
            value: T = found[1]
            return value
        self.misses += 1
        made = await make()
        if len(self._views) >= self.size:
            self._views.clear()
        self._views[key] = (now, made)
        return made

    def clear(self) -> None:
        self._views.clear()
