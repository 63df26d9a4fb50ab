"""Inline keyboards (pure builders returning PTB ``InlineKeyboardMarkup``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.render.callbacks import (
    CallbackAction,
    ChainCallback,
    PageCallback,
    PageView,
    PositionCallback,
    QuietHoursCallback,
    RiskCallback,
    SettingCallback,
    SuggestionCallback,
    encode,
)
from bot.render.notifications import NotificationSettings, NotificationType, NotifyMode

A = CallbackAction


def _button(text: str, cb: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=encode(cb))  # type: ignore[arg-type]


def suggestion_keyboard(suggestion_id: int) -> InlineKeyboardMarkup:
    """Approve / Reject / Details under a new suggestion."""
    return InlineKeyboardMarkup(
        [
            [
                _button("✅ Approve", SuggestionCallback(A.APPROVE, suggestion_id)),
                _button("❌ Reject", SuggestionCallback(A.REJECT, suggestion_id)),
            ],
            [_button("Details", SuggestionCallback(A.DETAILS, suggestion_id))],
        ]
    )


def details_keyboard(suggestion_id: int, *, pending: bool = True) -> InlineKeyboardMarkup:
    """Under the details view: the decision buttons again (while pending) and the payoff chart."""
    rows = []
    if pending:
        rows.append(
            [
                _button("✅ Approve", SuggestionCallback(A.APPROVE, suggestion_id)),
                _button("❌ Reject", SuggestionCallback(A.REJECT, suggestion_id)),
            ]
        )
    rows.append([_button("Payoff chart", SuggestionCallback(A.PAYOFF, suggestion_id))])
    return InlineKeyboardMarkup(rows)


def positions_keyboard(position_ids: Sequence[int]) -> InlineKeyboardMarkup | None:
    """A Close button (and a payoff chart button) per open position."""
    if not position_ids:
        return None
    return InlineKeyboardMarkup(
        [
            [
                _button(f"Close #{pid}", PositionCallback(A.CLOSE, pid)),
                _button(f"Chart #{pid}", PositionCallback(A.POSITION_PAYOFF, pid)),
            ]
            for pid in position_ids
        ]
    )


def close_confirm_keyboard(position_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button(f"Confirm close #{position_id}", PositionCallback(A.CONFIRM_CLOSE, position_id)),
                _button("Cancel", PositionCallback(A.CANCEL_CLOSE, position_id)),
            ]
        ]
    )


def chain_keyboard(expiry: date) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button("🔄 Refresh", ChainCallback(A.CHAIN_REFRESH, expiry)),
                _button("IV smile + OI chart", ChainCallback(A.CHAIN_CHART, expiry)),
            ]
        ]
    )


def reset_keyboard() -> InlineKeyboardMarkup:
    """The admin's Reset button under /drawdown when a breaker has tripped."""
    return InlineKeyboardMarkup([[_button("Reset breakers…", RiskCallback(A.RESET))]])


def reset_confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                _button("Confirm reset", RiskCallback(A.CONFIRM_RESET)),
                _button("Cancel", RiskCallback(A.CANCEL_RESET)),
            ]
        ]
    )


_NEXT_MODE = {
    NotifyMode.ON: NotifyMode.SILENT,
    NotifyMode.SILENT: NotifyMode.OFF,
    NotifyMode.OFF: NotifyMode.ON,
}
MODE_ICONS = {NotifyMode.ON: "🔔", NotifyMode.SILENT: "🔕", NotifyMode.OFF: "✖"}


def settings_keyboard(settings: NotificationSettings) -> InlineKeyboardMarkup:
    """One button per notification type that moves it to the next mode (on → silent → off → on),
    then the quiet-hours switch. The button says what it will do."""
    rows = []
    for kind in NotificationType:
        current = settings.mode(kind)
        target = _NEXT_MODE[current]
        rows.append(
            [
                _button(
                    f"{MODE_ICONS[current]} {kind.label}: {current.value} → {target.value}",
                    SettingCallback(kind, target),
                )
            ]
        )
    rows.append(
        [
            _button(
                "Quiet hours: turn off" if settings.quiet_hours else "Quiet hours: turn on",
                QuietHoursCallback(not settings.quiet_hours),
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def pager(view: PageView, page: int, pages: int) -> list[InlineKeyboardButton]:
    """◀ / ▶ buttons for a paged list (0-based ``page`` of ``pages``); empty when one page."""
    row = []
    if page > 0:
        row.append(_button(f"◀ {page}", PageCallback(view, page - 1)))
    if page + 1 < pages:
        row.append(_button(f"{page + 2} ▶", PageCallback(view, page + 1)))
    return row


def pager_keyboard(view: PageView, page: int, pages: int) -> InlineKeyboardMarkup | None:
    row = pager(view, page, pages)
    return InlineKeyboardMarkup([row]) if row else None
