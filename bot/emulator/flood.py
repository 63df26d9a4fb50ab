"""Opt-in flood control: answer 429 like Telegram when the bot sends faster than Telegram allows.

Telegram does not publish exact limits; the defaults are the commonly observed ones: about one message
per second in a private chat, 20 messages per minute in a group, 30 messages per second overall. Only
sends count (sendMessage, sendPhoto, ...), not edits or other calls. ``retry_after`` is the whole number
of seconds until the oldest send in the full window leaves it (at least 1). Times are monotonic seconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.emulator.envelope import too_many_requests

COUNTED = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendAnimation",
        "sendAudio",
        "sendVideo",
        "sendVoice",
        "sendSticker",
        "copyMessage",
        "forwardMessage",
    }
)


@dataclass(frozen=True)
class FloodLimits:
    """At most ``per_chat`` sends per ``per_chat_window`` s to one private chat, and so on."""

    per_chat: int = 1
    per_chat_window: float = 1.0
    per_group: int = 20
    per_group_window: float = 60.0
    overall: int = 30
    overall_window: float = 1.0


class FloodControl:
    def __init__(self, limits: FloodLimits, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.monotonic = monotonic
        self.sent: list[tuple[float, int, bool]] = []  # (time, chat id, is a group)

    def check(self, chat_id: int, is_group: bool) -> None:
        """Raise Telegram's 429 if one more send to this chat now would break a limit."""
        now = self.monotonic()
        lim = self.limits
        chat_limit, chat_window = (
            (lim.per_group, lim.per_group_window) if is_group else (lim.per_chat, lim.per_chat_window)
        )
        for count, window, times in (
            (chat_limit, chat_window, [t for t, c, _ in self.sent if c == chat_id]),
            (lim.overall, lim.overall_window, [t for t, _, _ in self.sent]),
        ):
            recent = [t for t in times if now - t < window]
            if len(recent) >= count:
                raise too_many_requests(max(1, math.ceil(recent[-count] + window - now)))

    def record(self, chat_id: int, is_group: bool) -> None:
        now = self.monotonic()
        horizon = max(self.limits.per_group_window, self.limits.per_chat_window, self.limits.overall_window)
        self.sent = [s for s in self.sent if now - s[0] < horizon]
        self.sent.append((now, chat_id, is_group))
