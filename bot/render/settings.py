"""/settings: notification types × on / silent / off, quiet hours, with the toggle keyboard."""

from __future__ import annotations

from bot.render.keyboards import MODE_ICONS, settings_keyboard
from bot.render.message import Reply
from bot.render.notifications import NotificationSettings, NotificationType
from bot.render.text import pre, table


def settings_view(settings: NotificationSettings) -> Reply:
    rows = [[kind.label, f"{settings.mode(kind).value}"] for kind in NotificationType]
    icons = "  ".join(f"{icon} {mode.value}" for mode, icon in MODE_ICONS.items())
    quiet = (
        f"on: {settings.quiet_start:%H:%M}–{settings.quiet_end:%H:%M} IST, sound off"
        if settings.quiet_hours
        else f"off (would be {settings.quiet_start:%H:%M}–{settings.quiet_end:%H:%M} IST)"
    )
    lines = [
        "<b>Notifications</b>",
        pre(table(rows, ("<", "<"))),
        f"Quiet hours: {quiet}",
        f"<i>Tap a button to move a type to its next mode ({icons}).</i>",
    ]
    return Reply("\n".join(lines), settings_keyboard(settings))


def setting_changed(kind: NotificationType, settings: NotificationSettings) -> str:
    """The short callback answer (toast) after a toggle."""
    return f"{kind.label}: {settings.mode(kind).value}"
