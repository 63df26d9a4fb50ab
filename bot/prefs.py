"""Per-chat notification preferences (/settings): each type on, silent or off, and quiet hours."""

from __future__ import annotations

from datetime import datetime, time
from types import MappingProxyType

from sqlalchemy.orm import Session, sessionmaker

from bot.render.notifications import NotificationSettings, NotificationType, NotifyMode
from core.clock import IST
from core.persistence.db import transaction
from core.persistence.models.bot import ChatPrefsRow


def _hhmm(t: time) -> str:
    return f"{t:%H:%M}"


class PrefsStore:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def get(self, chat_id: int) -> NotificationSettings:
        with transaction(self.factory, write=False) as s:
            row = s.get(ChatPrefsRow, chat_id)
            if row is None:
                return NotificationSettings()
            modes = {}
            for k, v in (row.modes or {}).items():
                try:
                    modes[NotificationType(k)] = NotifyMode(v)
                except ValueError:
                    continue  # a type or mode this build no longer knows
            return NotificationSettings(
                modes=MappingProxyType(modes),
                quiet_hours=row.quiet_hours,
                quiet_start=time.fromisoformat(row.quiet_start),
                quiet_end=time.fromisoformat(row.quiet_end),
            )

    def _save(self, chat_id: int, prefs: NotificationSettings, by: int | None, now: datetime) -> None:
        with transaction(self.factory) as s:
            row = s.get(ChatPrefsRow, chat_id)
            if row is None:
                row = ChatPrefsRow(chat_id=chat_id, modes={}, updated_at=now)
                s.add(row)
            row.modes = {k.value: v.value for k, v in prefs.modes.items()}
            row.quiet_hours = prefs.quiet_hours
            row.quiet_start, row.quiet_end = _hhmm(prefs.quiet_start), _hhmm(prefs.quiet_end)
            row.updated_at, row.updated_by = now, by

    def set_mode(
        self, chat_id: int, kind: NotificationType, mode: NotifyMode, by: int | None, now: datetime
    ) -> NotificationSettings:
        current = self.get(chat_id)
        modes = dict(current.modes)
        modes[kind] = mode
        new = NotificationSettings(
            MappingProxyType(modes), current.quiet_hours, current.quiet_start, current.quiet_end
        )
        self._save(chat_id, new, by, now)
        return new

    def set_quiet(self, chat_id: int, on: bool, by: int | None, now: datetime) -> NotificationSettings:
        current = self.get(chat_id)
        new = NotificationSettings(current.modes, on, current.quiet_start, current.quiet_end)
        self._save(chat_id, new, by, now)
        return new


def delivery(prefs: NotificationSettings, kind: NotificationType, now: datetime) -> NotifyMode:
    """How a message of ``kind`` is delivered now: off, silent (no sound) or on."""
    mode = prefs.mode(kind)
    if mode is NotifyMode.ON and prefs.quiet_hours:
        t = now.astimezone(IST).time()
        start, end = prefs.quiet_start, prefs.quiet_end
        quiet = (start <= t or t < end) if start > end else (start <= t < end)
        if quiet:
            return NotifyMode.SILENT
    return mode
