"""Property-based fuzzing of every command's arguments and of callback data, through the real bot.

One bot per backend (``BotRunner``: PTB Application + desk + simulator on the Telegram emulator, on
SQLite, then on PostgreSQL); hypothesis sends it commands from the handler registry with random
arguments (ids real and forged, numbers out of range, unicode, HTML, oversized text, other bots'
mentions) and presses buttons with random, tampered, oversized and replayed callback data on messages of
any chat, as any user (admin, trader, viewer, strangers). For every input:

* a known user gets a reply (a button press an answer); a stranger gets one refusal ever, then silence;
* no ERROR log record, no generic "something went wrong" reply, no malformed Bot API request;
* the guarded tables (positions, suggestions, risk, prefs, audit ...) change only when the input was a
  state-changing action by a user whose role allows it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import registered_commands
from bot.render import help as help_view
from bot.render.callbacks import CallbackAction, NotificationType, PageView
from bot.render.help import Role
from bot.render.notifications import NotifyMode
from tests.conftest import postgres_problem
from tests.fuzz.botrunner import ADMIN, DESK_CHAT, STRANGER, TRADER, VIEWER, BotRunner
from tests.fuzz.conftest import tally
from tests.fuzz.snapshots import changed, snapshot

pytestmark = [pytest.mark.property, pytest.mark.e2e]

FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
FUZZ_SLOW = settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))

# What a state-changing input may touch when the user's role allows it; everything else must leave
# the guarded tables exactly as they were.
DECIDE = {"suggestions", "positions", "position_legs", "trade_decisions", "risk_state", "equity_points"}
COMMAND_WRITES: dict[str, set[str]] = {
    "suggest": DECIDE,
    "scan": DECIDE,
    "approve": DECIDE,
    "reject": {"suggestions", "trade_decisions"},
    "pause": {"risk_state", "trade_decisions"},
    "resume": {"risk_state", "trade_decisions"},
}
BUTTON_WRITES: dict[str, set[str]] = {
    "ap": DECIDE,
    "rj": {"suggestions", "trade_decisions"},
    "cc": DECIDE,
    "rc": {"risk_state", "trade_decisions", "equity_points"},
    "st": {"chat_prefs"},
    "qh": {"chat_prefs"},
}
BUTTON_ROLE = {
    **dict.fromkeys(["ap", "rj", "cl", "cc", "cx"], Role.TRADER),
    **dict.fromkeys(["rs", "rc", "rx", "st", "qh"], Role.ADMIN),
}

users = st.one_of(
    st.sampled_from([ADMIN, TRADER, VIEWER, STRANGER]),
    st.integers(min_value=1000, max_value=2**40),  # strangers nobody configured
)
ids = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "#1", "#2"]),
    st.integers(min_value=-5, max_value=10**20).map(str),
    st.sampled_from([str(2**53), str(2**63), str(10**300), "0", "-0", "1.5", "1e3", "０", "١", "²"]),
)
words = st.one_of(
    ids,
    st.sampled_from(["day", "week", "month", "today", "2026-10-19", "2026-02-30", "99999-01-01", "5", "13"]),
    st.sampled_from(["<b>bold", "</i>", "&amp;", "<a href='x'>", "<script>", "@niftybot_test_bot", "`", "*"]),
    st.sampled_from([ADMIN, TRADER, VIEWER, STRANGER]).map(str),  # other users' ids
    st.text(min_size=1, max_size=30).filter(lambda t: t.strip() == t and " " not in t and t),
    st.text(alphabet="<>&\"'/\\", min_size=1, max_size=8),
    st.integers(min_value=300, max_value=3000).map(lambda n: "x" * n),  # oversized
)
mentions = st.sampled_from(["", "", "", "@niftybot_test_bot", "@some_other_bot"])


@st.composite
def command_texts(draw: Any) -> tuple[str, str]:
    name = draw(
        st.one_of(
            st.sampled_from(sorted(registered_commands())),
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12),
        )
    )
    args = draw(st.lists(words, max_size=4))
    text = f"/{name}{draw(mentions)}" + ("" if not args else " " + " ".join(args))
    return name, text[:4096]


@st.composite
def plain_texts(draw: Any) -> tuple[str, str]:
    text = draw(st.one_of(st.text(min_size=1, max_size=200), words))
    text = text.strip() or "x"
    return "", ("." + text if text.startswith("/") else text)[:4096]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def runner(request: Any, tmp_path_factory: Any) -> Any:
    if request.param == "postgresql" and postgres_problem():
        pytest.skip(postgres_problem())
    with BotRunner(tmp_path_factory.mktemp("fuzzbot"), backend=request.param) as r:
        r.prepare()
        yield r
        assert r.problems() == []


def allowed_changes(user: int, name: str, role_of: Any) -> set[str]:
    role = role_of(user)
    spec = help_view.command(name)
    if role is None or spec is None or not role.can(spec.role):
        return set()
    return COMMAND_WRITES.get(name, set())


def _check_command(runner: BotRunner, user: int, name: str, text: str) -> None:
    tally("bot: command or text")
    role_of = runner.bot.bc.roles.role_of
    before = snapshot(runner.engine)
    refusals_before = _refusals(runner, user)
    said = runner.send(user, text)
    after = snapshot(runner.engine)
    assert runner.problems() == [], (text, runner.problems())
    touched = changed(before, after)
    if "@some_other_bot" in text.split()[0]:
        assert not touched, (text, touched)
    else:
        assert touched <= allowed_changes(user, name, role_of), (user, text, touched)
    if role_of(user) is None:
        # One refusal ever, then silence.
        assert _refusals(runner, user) <= 1 and len(said.messages) <= (1 if refusals_before == 0 else 0)
    else:
        assert said.messages and all(m.plain.strip() or m.photo for m in said.messages), text


def _refusals(runner: BotRunner, user: int) -> int:
    return len(runner.bot.messages(user))


@FUZZ
@given(user=users, cmd=st.one_of(command_texts(), plain_texts()))
def test_any_command_or_text_gets_a_clear_answer_and_changes_only_what_it_may(runner, user, cmd):
    _check_command(runner, user, *cmd)


@pytest.mark.slow
@FUZZ_SLOW
@given(user=users, cmd=st.one_of(command_texts(), plain_texts()))
def test_any_command_or_text_gets_a_clear_answer_and_changes_only_what_it_may_full(runner, user, cmd):
    _check_command(runner, user, *cmd)


# ---- buttons ----------------------------------------------------------------------------------------
def valid_data() -> st.SearchStrategy[str]:
    id_actions = [
        a.value for a in CallbackAction if a.value in {"ap", "rj", "dt", "py", "cl", "cc", "cx", "pp"}
    ]
    return st.one_of(
        st.builds(lambda a, i: f"v1:{a}:{i}", st.sampled_from(id_actions), st.integers(1, 6)),
        st.builds(lambda a, i: f"v1:{a}:{i}", st.sampled_from(id_actions), st.integers(1, 2**53)),
        st.builds(
            lambda a, d: f"v1:{a}:{d:%Y%m%d}",
            st.sampled_from(["cr", "cg"]),
            st.dates(),
        ),
        st.sampled_from(["v1:rs", "v1:rc", "v1:rx", "v1:qh:0", "v1:qh:1"]),
        st.builds(
            lambda k, m: f"v1:st:{k.value}:{m.wire}",
            st.sampled_from(list(NotificationType)),
            st.sampled_from(list(NotifyMode)),
        ),
        st.builds(
            lambda v, p: f"v1:pg:{v.value}:{p}", st.sampled_from(list(PageView)), st.integers(0, 10000)
        ),
    )


def tampered(data: str, draw: Any) -> str:
    how = draw(st.sampled_from(["cut", "append", "swap", "unicode", "oversize", "version"]))
    if how == "cut":
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))] or ":"
    if how == "append":
        return data + draw(st.sampled_from([":1", ":", "::", ":x", " ", "\n", "0"]))
    if how == "swap":
        return data.replace(":", draw(st.sampled_from([";", "|", "", "::"])), 1)
    if how == "unicode":
        return data + draw(st.sampled_from(["é", "١", "０", "\u200b", "💥"]))
    if how == "oversize":
        return data + ":" + "9" * draw(st.integers(60, 300))
    return "v2" + data[2:]


@st.composite
def callback_data(draw: Any) -> str:
    kind = draw(st.sampled_from(["valid", "valid", "tampered", "random"]))
    if kind == "random":
        return draw(st.text(min_size=1, max_size=80)) or "x"
    data = draw(valid_data())
    return data if kind == "valid" else tampered(data, draw)


def button_role(data: str) -> Role:
    parts = data.split(":")
    return BUTTON_ROLE.get(parts[1], Role.VIEWER) if len(parts) > 1 else Role.VIEWER


def _check_button(runner: BotRunner, user: int, data: str | None, pick: int, chat_pick: int) -> None:
    tally("bot: button press")
    chats = [DESK_CHAT, ADMIN, TRADER, VIEWER]
    chat = chats[chat_pick % len(chats)]
    messages = [m for c in chats for m in runner.bot.messages(c)]
    if not messages:
        return
    message = messages[pick % len(messages)]
    if data is None:  # replay an old button from any message the bot sent
        old = [d for m in messages for d in m.button_data()]
        data = old[pick % len(old)] if old else "v1:rx"
    role = runner.bot.bc.roles.role_of(user)
    before = snapshot(runner.engine)
    said = runner.forge(user, chat, message, data)
    after = snapshot(runner.engine)
    assert runner.problems() == [], (data, runner.problems())
    touched = changed(before, after)
    parts = data.split(":")
    may = (
        BUTTON_WRITES.get(parts[1], set())
        if role is not None and role.can(button_role(data)) and parts[0] == "v1" and len(parts) > 1
        else set()
    )
    assert touched <= may, (user, data, touched)
    assert said.answer is not None
    if role is None:
        assert "not authorized" in said.answer.get("text", "").lower(), said.answer
        assert not said.messages
    elif not role.can(button_role(data)) and parts[0] == "v1":
        text = said.answer.get("text", "").lower()
        assert "can do that" in text or "no longer valid" in text, (data, said.answer)


buttons = st.one_of(callback_data(), st.none())


@FUZZ
@given(user=users, data=buttons, pick=st.integers(0, 10**6), chat_pick=st.integers(0, 3))
def test_any_button_press_is_answered_and_changes_only_what_it_may(runner, user, data, pick, chat_pick):
    _check_button(runner, user, data, pick, chat_pick)


@pytest.mark.slow
@FUZZ_SLOW
@given(user=users, data=buttons, pick=st.integers(0, 10**6), chat_pick=st.integers(0, 3))
def test_any_button_press_is_answered_and_changes_only_what_it_may_full(runner, user, data, pick, chat_pick):
    _check_button(runner, user, data, pick, chat_pick)


@pytest.mark.parametrize("data", ["v1:cr:{expiry}", "v1:rx", "v1:qh:1", "v1:pg:pe:0", "v1:cx:1"])
def test_a_button_replayed_on_a_photo_answers_with_a_new_message(runner, data):
    """Found by the fuzz: buttons that edit their message failed with 'There is no text in the message to
    edit' when the pressed message was a photo (a chart); they now send their answer as a new message."""
    said = runner.send(ADMIN, "/chain")
    chart = runner.forge(ADMIN, ADMIN, said.messages[-1], said.messages[-1].button_data()[-1])
    photos = [m for m in chart.messages if m.photo is not None]
    assert photos, (said.messages[-1].button_data(), [m.plain[:40] for m in chart.messages])
    snap = runner.bot.bc.app.market.latest
    expiry = snap.chain().expiry if snap is not None else None
    data = data.format(expiry=f"{expiry:%Y%m%d}" if expiry else "20261019")
    pressed = runner.forge(ADMIN, ADMIN, photos[-1], data)
    assert pressed.answer is not None
    assert pressed.messages, data  # the answer arrived as a new message
    assert runner.problems() == []
