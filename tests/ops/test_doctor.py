"""``niftybot doctor``: passes on a configured install; on a broken one exits 1 and names each failing check.

The checks run in-process through the real argument parser with a pinned clock (the seam in
``core.cli.doctor_cmd.doctor``), so "today" never depends on when the suite runs.
"""

from __future__ import annotations

import shutil
import socket
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text

from bot.cli import main
from core.cli import build_parser
from core.cli.doctor_cmd import doctor
from core.clock import IST, FixedClock

REPO = Path(__file__).resolve().parents[2]
TODAY = FixedClock(datetime(2026, 11, 25, 10, 0, tzinfo=IST))  # a Wednesday the packaged calendar covers


def run_doctor(*argv: str, clock: FixedClock = TODAY, calendar=None) -> tuple[int, list[str]]:
    from bot import demo_cmd, run_cmd

    lines: list[str] = []
    args = build_parser([run_cmd, demo_cmd]).parse_args(["doctor", *argv])
    rc = doctor(args, clock=clock, calendar=calendar, out=lines.append)
    return rc, lines


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def url_of(engine: Engine) -> str:
    """A URL the doctor can open for the fixture's database (PostgreSQL: its private schema)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("select current_schema()")).scalar_one()
        url += ("&" if "?" in url else "?") + "options=" + quote(f"-csearch_path={schema}")
    return url


@pytest.fixture
def configured(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configured install: a migrated SQLite database, Telegram and Anthropic settings, a log dir."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{clean_env / 'data' / 'niftybot.db'}")
    monkeypatch.setenv("LOG_DIR", str(clean_env / "data" / "logs"))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:configured-token")
    monkeypatch.setenv("TELEGRAM_CHAT_ID", "-1001234")
    monkeypatch.setenv("TELEGRAM_ADMIN_IDS", "11,12")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-configured")
    assert main(["db", "upgrade"]) == 0
    return clean_env


def test_a_configured_install_is_healthy(configured):
    rc, lines = run_doctor("--bot")
    assert rc == 0, lines
    assert lines[-1] == "healthy"
    names = [line.split("] ", 1)[1].split(":")[0] for line in lines[:-1]]
    assert names == ["config", "database", "telegram", "anthropic", "calendar", "logs", "disk"]
    assert all(line.startswith("[ok  ]") for line in lines[:-1])


def test_the_quick_check_without_the_bot_settings_passes_degraded_on_warnings(configured, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    rc, lines = run_doctor("--quick")
    assert rc == 0, lines
    assert lines[-1] == "degraded"
    assert "[WARN] anthropic: no ANTHROPIC_API_KEY: commentary uses the automatic writer" in lines
    assert not any(line.split("] ")[1].startswith("telegram") for line in lines[:-1])


def test_a_missing_token_fails_with_bot(configured, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    rc, lines = run_doctor("--bot")
    assert rc == 1
    assert "[FAIL] telegram: TELEGRAM_BOT_TOKEN is not set" in lines
    assert lines[-1] == "fatal: telegram"


def test_an_unreachable_database_fails_naming_the_database(configured, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://niftybot@127.0.0.1:{closed_port()}/niftybot")
    started = datetime.now()
    rc, lines = run_doctor("--quick")
    assert rc == 1
    assert lines[-1] == "fatal: database"
    line = next(x for x in lines if "database" in x)
    assert line.startswith("[FAIL] database: unreachable (OperationalError")
    assert (datetime.now() - started).total_seconds() < 10  # refused at once, not a hang


def test_a_database_that_cannot_even_be_opened_is_a_named_failure_not_a_traceback(configured, monkeypatch):
    blocker = configured / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{blocker / 'sub' / 'niftybot.db'}")
    rc, lines = run_doctor("--quick")
    assert rc == 1
    assert lines[-1] == "fatal: database"
    assert any(x.startswith("[FAIL] database: cannot open (") for x in lines)


def test_a_database_without_the_schema_says_how_to_fix_it(configured, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{configured / 'empty.db'}")
    rc, lines = run_doctor("--quick")
    assert rc == 1
    assert any("schema at empty" in x and "niftybot db upgrade" in x for x in lines)


def test_an_invalid_config_file_fails_naming_the_file_and_the_field(configured, monkeypatch):
    bad = configured / "niftybot.yaml"
    bad.write_text("paper_trading:\n  max_drawdown_pct: 3\n")
    monkeypatch.setenv("NIFTYBOT_CONFIG", str(bad))
    rc, lines = run_doctor("--quick")
    assert rc == 1
    assert lines[-1] == "fatal: config"
    line = next(x for x in lines if x.startswith("[FAIL] config:"))
    assert str(bad) in line and "paper_trading.max_drawdown_pct" in line


def test_no_holiday_list_for_the_current_year_is_fatal(configured):
    january = FixedClock(datetime(2027, 1, 5, 9, 0, tzinfo=IST))
    rc, lines = run_doctor("--quick", clock=january)
    assert rc == 1
    assert "[FAIL] calendar: no NSE holiday list for 2027: trading days unknown" in lines
    assert lines[-1] == "fatal: calendar"


def test_next_years_list_missing_in_december_is_a_warning_only(configured):
    rc, lines = run_doctor("--quick", clock=FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=IST)))
    assert rc == 0
    assert "[WARN] calendar: the 2027 holiday list is not loaded yet" in lines
    rc, lines = run_doctor("--quick", clock=FixedClock(datetime(2026, 12, 10, 9, 0, tzinfo=IST)))
    assert rc == 0
    assert "[WARN] calendar: no holiday list for 2027 (needed within 30 days)" in lines
    rc, lines = run_doctor("--quick", clock=FixedClock(datetime(2026, 11, 30, 9, 0, tzinfo=IST)))
    assert rc == 0 and lines[-1] == "healthy"


def test_an_injected_calendar_is_the_one_checked(configured):
    from importlib import resources

    import yaml

    from core.market_hours import NSECalendar

    data = yaml.safe_load(resources.files("core.data").joinpath("nse_calendar.yaml").read_text("utf-8"))
    del data["years"][2026]
    rc, lines = run_doctor("--quick", calendar=NSECalendar(data))
    assert rc == 1
    assert "[FAIL] calendar: no NSE holiday list for 2026: trading days unknown" in lines


def test_an_unwritable_log_dir_fails_naming_the_logs(configured, monkeypatch):
    blocker = configured / "logs-is-a-file"
    blocker.write_text("x")
    monkeypatch.setenv("LOG_DIR", str(blocker / "logs"))
    rc, lines = run_doctor("--quick")
    assert rc == 1
    assert lines[-1] == "fatal: logs"
    assert any(x.startswith(f"[FAIL] logs: {blocker / 'logs'} is not writable") for x in lines)


def test_every_failing_check_is_named_at_once(configured, monkeypatch):
    bad = configured / "bad.yaml"
    bad.write_text("alerts: [1, 2]\n")
    blocker = configured / "file"
    blocker.write_text("x")
    monkeypatch.setenv("NIFTYBOT_CONFIG", str(bad))
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://niftybot@127.0.0.1:{closed_port()}/niftybot")
    monkeypatch.setenv("LOG_DIR", str(blocker / "logs"))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    rc, lines = run_doctor("--bot", clock=FixedClock(datetime(2027, 3, 1, 9, 0, tzinfo=IST)))
    assert rc == 1
    assert lines[-1] == "fatal: config, database, telegram, calendar, logs"


def test_secrets_never_appear_in_the_output(configured, monkeypatch):
    monkeypatch.setenv("KITE_API_KEY", "kite-key-do-not-print")
    monkeypatch.setenv("KITE_API_SECRET", "kite-secret-do-not-print")
    monkeypatch.setenv("MARKET_DATA", "kite")
    rc, lines = run_doctor("--bot")
    joined = "\n".join(lines)
    for secret in ("123456:configured-token", "sk-ant-configured", "kite-key-do-not-print", "kite-secret"):
        assert secret not in joined
    # Without --quick the Kite session is checked: none stored and no KITE_ACCESS_TOKEN is a warning.
    assert "[WARN] kite token: no valid Kite session for today: /login in the chat or niftybot login" in lines
    assert rc == 0


def test_an_env_file_copied_from_the_example_is_accepted(clean_env):
    """``cp .env.example .env`` is the documented first step: its blank values mean "default"."""
    shutil.copy(REPO / ".env.example", clean_env / ".env")
    assert main(["db", "upgrade"]) == 0
    rc, lines = run_doctor("--quick")
    assert rc == 0, lines
    assert (clean_env / "data" / "niftybot.db").exists()  # DATABASE_URL from the file was used
    assert "[ok  ] logs: data/logs writable" in lines


@pytest.mark.db
def test_doctor_passes_on_a_migrated_database_of_either_backend(clean_env, engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    monkeypatch.setenv("LOG_DIR", str(clean_env / "logs"))
    rc, lines = run_doctor("--quick")
    assert rc == 0, lines
    assert any(x.startswith("[ok  ] database: reachable, schema ") for x in lines)


@pytest.mark.db
def test_doctor_fails_on_an_empty_database_of_either_backend(clean_env, empty_engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url_of(empty_engine))
    monkeypatch.setenv("LOG_DIR", str(clean_env / "logs"))
    rc, lines = run_doctor("--quick")
    assert rc == 1
    assert lines[-1] == "fatal: database"


def test_the_database_password_never_appears_in_the_output(configured, monkeypatch):
    monkeypatch.setenv(
        "DATABASE_URL", f"postgresql+psycopg://niftybot:hunter2-pw@127.0.0.1:{closed_port()}/niftybot"
    )
    rc, lines = run_doctor("--quick")
    assert rc == 1
    assert "hunter2-pw" not in "\n".join(lines)


@pytest.mark.parametrize("broken", ["database", "logs"])
def test_run_refuses_to_start_with_one_line_instead_of_a_traceback(configured, monkeypatch, capsys, broken):
    """``niftybot run`` checks the log directory and the database before it sets up logging and migrates
    (both would otherwise fail with a traceback, and Docker would restart into the same traceback)."""
    if broken == "database":
        monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://niftybot@127.0.0.1:{closed_port()}/x")
    else:
        blocker = configured / "file"
        blocker.write_text("x")
        monkeypatch.setenv("LOG_DIR", str(blocker / "logs"))
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"niftybot: cannot start: {broken}: ")
    assert err.count("\n") == 1 and "Traceback" not in err
