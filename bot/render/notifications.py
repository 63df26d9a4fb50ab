"""Notification preferences as the /settings view shows them (the bot stores them; this is the view).

Each notification type has a short wire id used in callback data, and one of three modes: ``on``
(sound), ``silent`` (delivered without sound: Telegram's ``disable_notification``) or ``off``.
Quiet hours (IST) turn ``on`` into ``silent`` between ``quiet_start`` and ``quiet_end``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from types import MappingProxyType


class NotificationType(StrEnum):
    """What a push message is about; the value is the wire id in callback data (short, stable)."""

    SUGGESTIONS = "sg"
    FILLS = "fl"
    EXITS = "ex"
    RISK = "rk"
    DATA = "dt"
    BRIEF = "br"
    SUMMARIES = "sm"
    ERRORS = "er"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    NotificationType.SUGGESTIONS: "Suggestions",
    NotificationType.FILLS: "Fills",
    NotificationType.EXITS: "Exits",
    NotificationType.RISK: "Risk breakers",
    NotificationType.DATA: "Data problems",
    NotificationType.BRIEF: "Pre-market brief",
    NotificationType.SUMMARIES: "Daily/weekly summary",
    NotificationType.ERRORS: "Errors",
}


class NotifyMode(StrEnum):
    ON = "on"
    SILENT = "silent"
    OFF = "off"

    @property
    def wire(self) -> str:
        """One-letter code in callback data (unique per mode)."""
        return _WIRE[self]

    @classmethod
    def from_wire(cls, code: str) -> NotifyMode | None:
        return _FROM_WIRE.get(code)


_WIRE = {NotifyMode.ON: "n", NotifyMode.SILENT: "s", NotifyMode.OFF: "x"}
_FROM_WIRE = {code: mode for mode, code in _WIRE.items()}
assert len(_FROM_WIRE) == len(NotifyMode), "wire codes must be unique"


@dataclass(frozen=True)
class NotificationSettings:
    """One chat's preferences; a type missing from ``modes`` is ``on``."""

    modes: Mapping[NotificationType, NotifyMode] = field(default_factory=lambda: MappingProxyType({}))
    quiet_hours: bool = False
    quiet_start: time = time(22, 0)
    quiet_end: time = time(7, 0)

    def mode(self, kind: NotificationType) -> NotifyMode:
        return self.modes.get(kind, NotifyMode.ON)
