"""Fault injection: make the next N calls of a method fail the ways the real Bot API fails.

* ``status=429`` answers ``Too Many Requests: retry after N`` with ``parameters.retry_after`` (PTB raises
  ``RetryAfter``); other statuses answer Telegram's envelope for that status (5xx: PTB ``NetworkError``).
* ``delay`` seconds: the call waits before it is handled (a slow server; PTB may time out).
* ``drop``: the connection is closed without an answer (PTB ``NetworkError``).
* ``malformed``: HTTP 200 with a body that is not JSON (a proxy's error page; PTB ``TelegramError``
  "Invalid server response").

A faulted call is not carried out (nothing is sent or edited), except a delayed one, which is handled
after its delay. ``method="*"`` matches every method except ``getUpdates``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.emulator.envelope import ApiError, server_error, too_many_requests


@dataclass
class Fault:
    method: str
    times: int
    status: int | None = None
    retry_after: int = 0
    description: str | None = None
    delay: float = 0.0
    drop: bool = False
    malformed: bool = False

    def matches(self, method: str) -> bool:
        if self.method == "*":
            return method.lower() != "getupdates"
        return self.method.lower() == method.lower()

    def error(self) -> ApiError | None:
        if self.status is None:
            return None
        if self.status == 429:
            return too_many_requests(self.retry_after)
        error = server_error(self.status) if self.status >= 500 else ApiError(self.status, "", kind="fault")
        if self.description is not None:
            error.description = self.description
        elif not error.description:
            error.description = f"Error {self.status}"
        return error


class FaultPlan:
    """The queue of pending faults; the first matching fault with uses left applies."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        self.faults.append(fault)

    def take(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method):
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.faults.clear()
