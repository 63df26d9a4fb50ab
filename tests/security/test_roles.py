"""Who may do what, for EVERY command and EVERY button, through the real bot.

The matrices are generated from the handler registry (``bot.app.COMMAND_HANDLERS``) and the callback
actions (``bot.render.callbacks.CallbackAction`` and friends), so a new command or button is in the
matrix automatically; the expected role comes from the policy below, and a command or action missing
from the policy fails :func:`test_the_policy_covers_every_command_and_button` until someone decides it.

Each cell sends the command (with real arguments: a pending suggestion's id, an open position's id) or
presses the button as admin, trader, viewer, a first-time stranger and a known stranger, and checks:
allowed roles get a real answer; lower roles get "needs the X role" / "Only a X can do that" and the
guarded tables (positions, suggestions, risk, prefs, audit ...) do not change; strangers get one polite
refusal, ever, then silence, and change nothing.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from bot.app import COMMAND_HANDLERS, registered_commands
from bot.handlers.buttons import needed_role
from bot.render import help as help_view
from bot.render.callbacks import (
    CHAIN_ACTIONS,
    POSITION_ACTIONS,
    RISK_ACTIONS,
    SUGGESTION_ACTIONS,
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
from bot.render.help import Role
from bot.render.notifications import NotificationType, NotifyMode
from tests.conftest import postgres_problem
from tests.fuzz.botrunner import ADMIN, DESK_CHAT, STRANGER, TRADER, VIEWER, BotRunner
from tests.fuzz.snapshots import changed, snapshot

pytestmark = [pytest.mark.e2e]

V, T, A = Role.VIEWER, Role.TRADER, Role.ADMIN
COMMAND_POLICY: dict[str, Role] = {
    **dict.fromkeys(
        [
            "start",
            "help",
            "whoami",
            "settings",
            "brief",
            "chain",
            "vol",
            "ask",
            "pending",
            "positions",
            "pnl",
            "drawdown",
            "history",
            "audit",
        ],
        V,
    ),
    **dict.fromkeys(["suggest", "scan", "approve", "reject", "close", "pause", "resume", "backtest"], T),
    **dict.fromkeys(["reset", "health", "login"], A),
}
BUTTON_POLICY: dict[str, Role] = {
    **dict.fromkeys(["ap", "rj", "cl", "cc", "cx"], T),
    **dict.fromkeys(["dt", "py", "pp", "cr", "cg", "pg"], V),
    **dict.fromkeys(["rs", "rc", "rx", "st", "qh"], A),
}
ROLES = {"viewer": VIEWER, "trader": TRADER, "admin": ADMIN}
PEOPLE = ["stranger-first", "stranger-again", "viewer", "trader", "admin"]
_fresh = itertools.count(5_000_000)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def runner(request: Any, tmp_path_factory: Any) -> Any:
    if request.param == "postgresql" and postgres_problem():
        pytest.skip(postgres_problem())
    with BotRunner(tmp_path_factory.mktemp("roles"), backend=request.param) as r:
        ids = r.prepare()
        r.ids = ids
        r.send(STRANGER, "/start")  # the known stranger has had the one refusal already
        yield r
        assert r.problems() == []


def _args(runner: Any, name: str) -> str:
    pending = [s.id for s in runner.bot.bc.app.desk.pending()]
    open_ = [p.id for p in runner.bot.bc.app.desk.open_positions()]
    return {
        "approve": str(pending[0]) if pending else "1",
        "reject": str(pending[-1]) if pending else "2",
        "close": str(open_[0]) if open_ else "1",
        "pnl": "week",
        "history": "5",
        "audit": "5",
        "ask": "what is the expected move this week?",
        "chain": "3",
    }.get(name, "")


def _user(person: str) -> int:
    if person == "stranger-first":
        return next(_fresh)
    if person == "stranger-again":
        return STRANGER
    return ROLES[person]


# ---- commands -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(registered_commands()))
@pytest.mark.parametrize("person", PEOPLE)
def test_role_by_command(runner, person, name):
    user = _user(person)
    text = f"/{name} {_args(runner, name)}".strip()
    before = snapshot(runner.engine)
    said = runner.send(user, text)
    touched = changed(before, snapshot(runner.engine))
    needed = COMMAND_POLICY.get(name, help_view.command(name).role if help_view.command(name) else A)
    if person.startswith("stranger"):
        expected = ["Sorry, you are not authorized to use this bot."] if person == "stranger-first" else []
        assert [m.plain for m in said.messages] == expected
        assert not touched
        return
    role = Role(person)
    refusal = f"/{name} needs the {needed.value} role; you are a {role.value}."
    if role.can(needed):
        assert said.messages and all(refusal != m.plain for m in said.messages)
        assert not any("not authorized" in m.plain for m in said.messages)
    else:
        assert [m.plain for m in said.messages] == [refusal]
        assert not touched, touched
    assert runner.problems() == []


# ---- buttons --------------------------------------------------------------------------------------
def all_buttons(runner: Any) -> list[tuple[str, str]]:
    """(wire action, callback data) for every action and variant the bot can put on a button."""
    pending = [s.id for s in runner.bot.bc.app.desk.pending()] or [1]
    open_ = [p.id for p in runner.bot.bc.app.desk.open_positions()] or [1]
    expiry = (
        runner.bot.bc.app.market.latest.chain().expiry
        if runner.bot.bc.app.market.latest
        else date(2026, 10, 19)
    )
    out: list[tuple[str, str]] = []
    for action in CallbackAction:
        if action in SUGGESTION_ACTIONS:
            cbs: list[Any] = [SuggestionCallback(action, pending[0])]
        elif action in POSITION_ACTIONS:
            cbs = [PositionCallback(action, open_[0])]
        elif action in CHAIN_ACTIONS:
            cbs = [ChainCallback(action, expiry)]
        elif action in RISK_ACTIONS:
            cbs = [RiskCallback(action)]
        elif action is CallbackAction.SETTING:
            cbs = [SettingCallback(NotificationType.FILLS, NotifyMode.SILENT)]
        elif action is CallbackAction.QUIET_HOURS:
            cbs = [QuietHoursCallback(True)]
        elif action is CallbackAction.PAGE:
            cbs = [PageCallback(view, 0) for view in PageView]
        else:
            raise AssertionError(f"button action {action!r} is not in the role matrix: add it")
        out += [(action.value, encode(cb)) for cb in cbs]
    return out


BUTTON_CASES = [a.value for a in CallbackAction]


@pytest.mark.parametrize("action", BUTTON_CASES)
@pytest.mark.parametrize("person", PEOPLE)
def test_role_by_button(runner, person, action):
    user = _user(person)
    message = next(m for m in reversed(runner.bot.messages(DESK_CHAT)))
    for wire, data in all_buttons(runner):
        if wire != action:
            continue
        before = snapshot(runner.engine)
        said = runner.forge(user, DESK_CHAT, message, data)
        touched = changed(before, snapshot(runner.engine))
        answer = (said.answer or {}).get("text", "")
        if person.startswith("stranger"):
            assert answer == "You are not authorized to use this bot.", (data, said.answer)
            assert not touched and not said.messages
            continue
        role, needed = Role(person), BUTTON_POLICY[action]
        if role.can(needed):
            assert "can do that" not in answer and "not authorized" not in answer, (data, answer)
        else:
            article = "an" if needed.value[0] in "aeiou" else "a"
            assert answer == f"Only {article} {needed.value} can do that; nothing was changed.", (
                data,
                answer,
            )
            assert not touched, (data, touched)
            assert not said.messages
    assert runner.problems() == []


# ---- the tables agree with the policy -------------------------------------------------------------
def test_the_policy_covers_every_command_and_button():
    assert set(COMMAND_POLICY) == set(registered_commands()), "decide the role of a new command here"
    assert set(BUTTON_POLICY) == {a.value for a in CallbackAction}, "decide the role of a new button here"


@pytest.mark.parametrize("name", sorted(registered_commands()))
def test_the_enforced_role_is_the_policy_and_the_documented_role(name):
    handler = COMMAND_HANDLERS[name]
    assert handler.command_name == name
    assert handler.required_role is COMMAND_POLICY[name]
    assert help_view.command(name) is not None and help_view.command(name).role is COMMAND_POLICY[name]


def test_the_button_guard_needs_the_policy_role():
    cases = {
        "ap": SuggestionCallback(CallbackAction.APPROVE, 1),
        "rj": SuggestionCallback(CallbackAction.REJECT, 1),
        "dt": SuggestionCallback(CallbackAction.DETAILS, 1),
        "py": SuggestionCallback(CallbackAction.PAYOFF, 1),
        "cl": PositionCallback(CallbackAction.CLOSE, 1),
        "cc": PositionCallback(CallbackAction.CONFIRM_CLOSE, 1),
        "cx": PositionCallback(CallbackAction.CANCEL_CLOSE, 1),
        "pp": PositionCallback(CallbackAction.POSITION_PAYOFF, 1),
        "cr": ChainCallback(CallbackAction.CHAIN_REFRESH, date(2026, 10, 19)),
        "cg": ChainCallback(CallbackAction.CHAIN_CHART, date(2026, 10, 19)),
        "rs": RiskCallback(CallbackAction.RESET),
        "rc": RiskCallback(CallbackAction.CONFIRM_RESET),
        "rx": RiskCallback(CallbackAction.CANCEL_RESET),
        "st": SettingCallback(NotificationType.FILLS, NotifyMode.SILENT),
        "qh": QuietHoursCallback(False),
        "pg": PageCallback(PageView.HISTORY, 0),
    }
    assert set(cases) == set(BUTTON_POLICY)
    for wire, cb in cases.items():
        assert needed_role(cb) is BUTTON_POLICY[wire], wire


@pytest.mark.parametrize("person", ["viewer", "trader", "admin"])
def test_help_and_the_command_menu_show_exactly_the_allowed_commands(runner, person):
    role = Role(person)
    allowed = {n for n, r in COMMAND_POLICY.items() if role.can(r)}
    said = runner.send(ROLES[person], "/help")
    listed = {w[1:] for m in said.messages for w in m.plain.split() if w.startswith("/")}
    assert listed <= allowed | {"help"}, listed - allowed
    assert {"approve", "reset", "health"} & listed == {"approve", "reset", "health"} & allowed
    scope = {"type": "default"} if role is V else {"type": "chat", "chat_id": ROLES[person]}
    menu = {c["command"] for c in runner.emu.commands(scope)}
    assert menu <= allowed and menu, menu
