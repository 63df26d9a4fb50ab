"""Clocks. The core never reads the wall clock itself: it is handed a ``Clock``.

All clocks return timezone-aware datetimes; ``IST`` is the market's zone (Asia/Kolkata).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
UTC = UTC


class Clock(Protocol):
    """Anything that tells the time (aware datetimes)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in IST."""

    def now(self) -> datetime:
        return datetime.now(IST)


class FixedClock:
    """A clock pinned at a moment; ``advance`` moves it (tests and replays)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        with self._lock:
            self._at = at

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._at = self._at + delta
            return self._at


class ScaledClock:
    """Starts at ``start`` and runs ``speed`` times faster than real time (the demo's clock)."""

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs an aware datetime")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start
        self._speed = speed
        self._t0 = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._t0) * self._speed
        return (self._start + timedelta(seconds=elapsed)).astimezone(IST)


def ensure_aware(dt: datetime, tz: ZoneInfo = IST) -> datetime:
    """Attach ``tz`` to a naive datetime (vendors such as Kite send naive IST times)."""
    return dt.replace(tzinfo=tz) if dt.tzinfo is None else dt
