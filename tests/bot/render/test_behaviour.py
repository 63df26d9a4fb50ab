"""Behaviour the goldens do not spell out: role-aware help, buttons only where an action is possible,
toggles that lead to the next mode, and numbers that agree with the domain types."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from bot.render import help, pnl, risk, settings, suggestions
from bot.render.callbacks import SettingCallback, SuggestionCallback, decode
from bot.render.help import COMMANDS, Role
from bot.render.notifications import NotificationSettings, NotificationType, NotifyMode
from core.domain.trading import SuggestionStatus
from core.services.results import DecisionResult, Outcome
from tests.bot.render import factories as f
from tests.bot.render.htmlcheck import visible

TRADE = {"/scan", "/approve", "/reject", "/close", "/pause", "/resume"}
ADMIN = {"/reset", "/login", "/health"}


def _commands(text: str) -> set[str]:
    return {word for word in visible(text).split() if word.startswith("/") and word[1:].isalpha()}


def test_viewers_do_not_see_trade_or_admin_commands() -> None:
    shown = _commands(help.help_text(Role.VIEWER).text)
    assert "/positions" in shown and "/pnl" in shown
    assert not shown & (TRADE | ADMIN)
    assert {c.command for c in help.bot_commands(Role.VIEWER)}.isdisjoint({c[1:] for c in TRADE | ADMIN})


def test_traders_see_trade_commands_and_admins_everything() -> None:
    trader = _commands(help.help_text(Role.TRADER).text)
    assert trader >= TRADE and not trader & ADMIN
    admin = _commands(help.help_text(Role.ADMIN).text)
    assert admin >= TRADE | ADMIN
    assert len(help.bot_commands(Role.ADMIN)) == len(COMMANDS)


def test_command_names_fit_telegram_rules() -> None:
    for c in COMMANDS:
        assert c.name.islower() and 1 <= len(c.name) <= 32 and c.name.replace("_", "").isalnum()
        assert 1 <= len(c.summary) <= 256


def test_the_refusal_for_strangers_is_one_line_that_reveals_nothing() -> None:
    text = help.unauthorized().text
    assert "\n" not in text
    assert "/" not in text and "admin" not in text.lower() and "paper" not in text.lower()


def test_usage_of_an_unknown_command_is_the_unknown_command_answer() -> None:
    assert help.usage("nope").text == help.unknown_command("/nope").text


def test_a_decided_suggestion_has_no_buttons() -> None:
    pending = suggestions.suggestion_message(f.suggestion())
    assert pending.keyboard is not None
    datas = [decode(b.callback_data) for row in pending.keyboard.inline_keyboard for b in row]
    assert all(isinstance(d, SuggestionCallback) and d.id == 42 for d in datas)
    for status in (SuggestionStatus.EXPIRED, SuggestionStatus.REJECTED, SuggestionStatus.EXECUTED):
        assert suggestions.suggestion_message(f.suggestion(status=status)).keyboard is None
    for outcome in Outcome:
        edit = suggestions.decision_edit(DecisionResult(outcome, "msg", f.suggestion()))
        assert edit.keyboard is None


def test_the_status_edit_of_a_pending_suggestion_keeps_its_buttons() -> None:
    assert suggestions.suggestion_status_edit(f.suggestion()).keyboard is not None


@pytest.mark.parametrize("mode", list(NotifyMode))
def test_each_settings_button_moves_its_type_to_the_next_mode(mode: NotifyMode) -> None:
    current = NotificationSettings(MappingProxyType(dict.fromkeys(NotificationType, mode)))
    keyboard = settings.settings_view(current).keyboard
    assert keyboard is not None
    rows = keyboard.inline_keyboard
    toggles = [decode(row[0].callback_data) for row in rows[:-1]]
    order = [NotifyMode.ON, NotifyMode.SILENT, NotifyMode.OFF]
    expected = order[(order.index(mode) + 1) % 3]
    assert all(isinstance(t, SettingCallback) and t.mode is expected for t in toggles)
    assert [t.notification for t in toggles] == list(NotificationType)  # type: ignore[union-attr]


def test_only_admins_get_a_reset_button_and_only_when_tripped() -> None:
    assert risk.drawdown_view(f.risk_report(tripped=True), is_admin=True).keyboard is not None
    assert risk.drawdown_view(f.risk_report(tripped=True), is_admin=False).keyboard is None
    assert risk.drawdown_view(f.risk_report(), is_admin=True).keyboard is None


def test_win_rate_is_unknown_without_trades_not_zero() -> None:
    assert pnl.win_rate(f.pnl_report(closed=())) is None
    assert "win rate n/a" in pnl.pnl_message(f.pnl_report(closed=())).text
    report = f.pnl_report()
    assert pnl.win_rate(report) == pytest.approx(report.wins / report.trades_closed)


def test_the_suggestion_shows_the_money_the_domain_computes() -> None:
    s = f.suggestion(lots=3)
    text = visible(suggestions.suggestion_message(s).text)
    assert f"Max profit +₹{s.max_profit:,.2f}" in text
    assert "= ₹3,724.50 for 3 lots" in text  # 19.10 × 65 × 3
    assert "margin ₹1,14,751.20" in text  # Indian grouping of 38,250.40 × 3
