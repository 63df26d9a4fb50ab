"""Secrets never appear in chat messages, logs, exports, /health, doctor output or error reports.

The bot runs with distinctive test secrets (bot token, Kite key/secret/access token, Anthropic key,
webhook secret, a database password in the URL) and logging set up as ``niftybot run`` does it (JSON
files in LOG_DIR, DEBUG). The scenario drives every command as every role, a Claude outage whose error
text echoes the API key, and an unhandled exception whose message carries every secret (the error
handler logs the traceback and alerts the admins). Then every output is scanned: each message, caption,
button and callback answer the bot sent, every request it made to the Bot API, the log files, the
state export, and every row of the database (events, outbox, audit). The session-wide scan
(``secret_scan.py``) additionally checks every test's captured output for the same secrets.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import MetaData, select

from bot.cli import main
from core.logging_config import setup_logging
from core.paper.state_io import export_state
from tests.bot.harness import bot_settings
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fuzz.botrunner import ADMIN, DESK_CHAT, STRANGER, TRADER, VIEWER, BotRunner
from tests.security.secret_scan import SCANNED
from tests.security.secrets import (
    ANTHROPIC_API_KEY,
    BOT_TOKEN,
    DB_PASSWORD,
    KITE_ACCESS_TOKEN,
    KITE_API_KEY,
    KITE_API_SECRET,
    TEST_SECRETS,
    WEBHOOK_SECRET,
    found_in,
    secret_env,
)

pytestmark = [pytest.mark.e2e]

COMMANDS = [
    "/start",
    "/help",
    "/whoami",
    "/settings",
    "/health",
    "/brief",
    "/ask what is the expected move?",
    "/login",
    f"/login {KITE_ACCESS_TOKEN[:6]}",
    "/drawdown",
    "/pnl",
    "/positions",
    "/pending",
    "/audit 20",
    "/history",
    "/vol",
    "/chain",
]
TOKEN_PART = BOT_TOKEN.split(":", 1)[1]  # the token's secret half: scanned for, never injected alone


def secret_settings(tmp: Any, anthropic_url: str) -> dict[str, Any]:
    return {
        "kite_api_key": SecretStr(KITE_API_KEY),
        "kite_api_secret": SecretStr(KITE_API_SECRET),
        "kite_access_token": SecretStr(KITE_ACCESS_TOKEN),
        "anthropic_api_key": SecretStr(ANTHROPIC_API_KEY),
        "anthropic_base_url": anthropic_url,
        "telegram_webhook_secret": SecretStr(WEBHOOK_SECRET),
        "database_url": f"postgresql+psycopg://niftybot:{DB_PASSWORD}@127.0.0.1:1/niftybot",
        "log_dir": tmp / "logs",
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: Any) -> Any:
    tmp = tmp_path_factory.mktemp("secrets")
    fake = FakeAnthropic()
    echo = f"invalid x-api-key: {ANTHROPIC_API_KEY}"

    async def prelude() -> dict[str, Any]:
        url = await fake.start()
        for _ in range(6):  # a Claude outage whose error text echoes the key
            fake.error(401, "authentication_error", echo)
        return secret_settings(tmp, url)

    # Logging exactly as `niftybot run` sets it up, with the secrets the settings declare.
    declared = bot_settings(
        "http://127.0.0.1:1/bot", tmp, telegram_bot_token=SecretStr(BOT_TOKEN), **secret_settings(tmp, "x")
    )
    with (
        product_logging(declared.log_dir, declared.secret_values()),
        BotRunner(tmp, token=BOT_TOKEN, prelude=prelude) as runner,
    ):
        runner.prepare()
        yield runner, tmp, fake
        runner.run(fake.close())


@contextlib.contextmanager
def product_logging(log_dir: Any, secrets: list[str]) -> Iterator[None]:
    """Logging exactly as ``niftybot run`` sets it up (JSON files in LOG_DIR), at DEBUG, then undone."""
    root = logging.getLogger()
    level = root.level
    setup_logging(log_dir, level="DEBUG", secrets=secrets, console=False)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if getattr(handler, "_niftybot", False):
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


def _check(where: str, text: str) -> None:
    SCANNED[where] += 1
    leaked = found_in(text)
    assert not leaked, f"{where} shows {leaked}"


def test_no_secret_in_any_output_of_a_session_with_errors(world):
    runner, tmp, _fake = world
    for user in (ADMIN, TRADER, VIEWER, STRANGER):
        for text in COMMANDS:
            runner.send(user, text) if user != STRANGER or text == "/start" else None
    # Buttons: a viewer refused, a trader deciding, details and payoff charts.
    pushed = [m for m in runner.bot.messages(DESK_CHAT) if m.button_data()]
    for m in pushed[-3:]:
        for data in m.button_data():
            for user in (VIEWER, TRADER):
                runner.press(user, m, data)
    # An unhandled exception whose text carries every secret: logged with its traceback, alerted.
    desk = runner.bot.bc.app.desk
    original = desk.risk

    def leaky_risk() -> Any:
        raise RuntimeError("boom while talking to " + " ".join(set(TEST_SECRETS.values()) - {TOKEN_PART}))

    desk.risk = leaky_risk
    runner.bot.bc.views.clear()  # else the shared /drawdown view (bot/views.py) answers without it
    try:
        said = runner.send(ADMIN, "/drawdown")
    finally:
        desk.risk = original
    assert any("went wrong" in m.plain for m in said.messages)
    runner.run(runner.bot.deliver())
    export = tmp / "export.json"
    export_state(runner.bot.bc.app.factory, "1000000", export, runner.bot.clock.now())

    # Every message, caption and button the bot sent, every callback answer, every Bot API request.
    for chat in list(runner.emu.conv.chats):
        for m in runner.emu.messages(chat):
            _check("chat messages", json.dumps(m.to_api(), ensure_ascii=False))
    for record in runner.emu.answered_callbacks:
        _check("callback answers", json.dumps(record.answer, ensure_ascii=False))
    for request in runner.emu.requests:
        _check("Bot API requests", repr(request))
    # The log files, the export, every database row (events, outbox, audit, ...).
    logs = sorted((tmp / "logs").glob("*.log*"))
    assert logs and any("boom while talking" in p.read_text() for p in logs), logs
    for path in logs:
        _check("log files", path.read_text("utf-8"))
    _check("state export", export.read_text("utf-8"))
    meta = MetaData()
    meta.reflect(runner.engine)
    with runner.engine.connect() as conn:
        for table in meta.sorted_tables:
            _check("database tables", repr(conn.execute(select(table)).all()))
    errors = [m for m in runner.bot.messages(ADMIN) if "error" in m.plain.lower()]
    assert errors, "the admins were alerted about the error"


def test_doctor_and_a_refused_start_show_no_secret(tmp_path, monkeypatch, capsys):
    for key, value in secret_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:1/bot")
    assert main(["doctor", "--quick", "--bot"]) == 1  # the database is unreachable
    out = capsys.readouterr()
    assert "database" in out.out + out.err
    _check("doctor output", out.out + out.err)
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://niftybot:{DB_PASSWORD}@127.0.0.1:notaport/x")
    main(["doctor", "--quick", "--bot"])
    out = capsys.readouterr()
    _check("doctor output", out.out + out.err)
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://niftybot:{DB_PASSWORD}@127.0.0.1:1/niftybot")
    assert main(["run"]) == 1
    out = capsys.readouterr()
    assert "cannot start" in out.err
    _check("run start-up refusal", out.out + out.err)
    for path in (tmp_path / "logs").glob("*.log*"):
        _check("log files", path.read_text("utf-8"))


def test_every_declared_secret_is_redacted_from_logs(tmp_path):
    """The database password is a secret too: it is registered for redaction like the SecretStr ones."""
    s = bot_settings(
        "http://127.0.0.1:1/bot",
        tmp_path,
        telegram_bot_token=SecretStr(BOT_TOKEN),
        **secret_settings(tmp_path, "x"),
    )
    assert set(TEST_SECRETS.values()) - {TOKEN_PART} <= set(s.secret_values())


def test_the_kite_login_in_the_chat_leaks_nothing(tmp_path):
    """/login with MARKET_DATA=kite against the fake Kite server: the pasted request token is exchanged,
    the pasted message deleted, and neither the API secret, the request token nor the issued access
    token appears in any message, request or log. The API key is Kite's public client id and must be in
    the login link (admins only); it appears there and nowhere else."""
    from core.clock import FixedClock
    from core.market_hours import default_calendar
    from tests.fakes.kite_server import FakeKiteMarket, FakeKiteServer
    from tests.fuzz.botrunner import START

    market = FakeKiteMarket(default_calendar(), FixedClock(START))
    server = FakeKiteServer(
        market, api_key=KITE_API_KEY, api_secret=KITE_API_SECRET, access_token=KITE_ACCESS_TOKEN
    ).start()
    extra = {
        "market_data": "kite",
        "kite_api_key": SecretStr(KITE_API_KEY),
        "kite_api_secret": SecretStr(KITE_API_SECRET),
        "kite_api_root": server.url,
        "log_dir": tmp_path / "logs",
    }
    declared = bot_settings(
        "http://127.0.0.1:1/bot", tmp_path, telegram_bot_token=SecretStr(BOT_TOKEN), **extra
    )
    try:
        with (
            product_logging(declared.log_dir, declared.secret_values()),
            BotRunner(tmp_path, token=BOT_TOKEN, settings=extra) as runner,
        ):
            steps = runner.send(ADMIN, "/login")
            assert "Kite login" in steps.messages[-1].plain
            request_token = server.issue_request_token()
            done = runner.send(
                ADMIN, f"https://127.0.0.1/redirect?action=login&status=success&request_token={request_token}"
            )
            assert "session stored" in done.messages[-1].plain, done.messages[-1].plain
            issued = server.access_tokens - {KITE_ACCESS_TOKEN}
            assert issued
            pasted = [
                m for m in runner.emu.messages(ADMIN, include_users=True) if request_token in (m.text or "")
            ]
            assert not pasted, "the pasted one-time link was deleted from the chat"
            failed = runner.send(ADMIN, f"/login {request_token}")  # replayed: refused, nothing shown
            assert "Login failed" in failed.messages[-1].plain
            hidden = {
                "request token": request_token,
                **{f"access token {i}": t for i, t in enumerate(issued)},
            }
            for chat in list(runner.emu.conv.chats):
                for m in runner.emu.messages(chat):
                    text = json.dumps(m.to_api(), ensure_ascii=False)
                    if m is steps.messages[-1]:
                        text = text.replace(f"api_key={KITE_API_KEY}", "api_key=(the public client id)")
                    _check("chat messages", text)
                    assert not [n for n, v in hidden.items() if v in text], text
            for request in runner.emu.requests:
                text = repr(request)
                if "Kite login" in text:
                    text = text.replace(f"api_key={KITE_API_KEY}", "api_key=(the public client id)")
                _check("Bot API requests", text)
                assert not [n for n, v in hidden.items() if v in text]
            logs = sorted((tmp_path / "logs").glob("*.log*"))
            assert logs
            for path in logs:
                text = path.read_text("utf-8")
                _check("log files", text)
                assert not [n for n, v in hidden.items() if v in text]
            assert runner.problems() == []
    finally:
        server.stop()
