import subprocess
import sys

import pytest

from bot.cli import main


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("db", "config", "calendar", "demo"):
        assert command in out


def test_invalid_config_file_gives_one_paragraph_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("paper_trading:\n  max_drawdown_pct: 3\n")
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "config", "check", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "paper_trading.max_drawdown_pct" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_calendar_command_prints_the_next_expiry(capsys):
    assert main(["calendar", "2026-03-27"]) == 0
    out = capsys.readouterr().out
    assert "next weekly expiry: Mon 30 Mar 2026" in out


def test_db_upgrade_creates_the_schema(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0


def test_login_stores_the_days_kite_session_without_printing_the_token(tmp_path, monkeypatch, capsys, caplog):
    from datetime import datetime

    from core.clock import IST, FixedClock
    from core.market_hours import default_calendar
    from core.marketdata.kite_session import KiteSessionStore
    from core.persistence.db import make_engine, session_factory
    from tests.fakes.kite_server import FakeKiteMarket, running

    market = FakeKiteMarket(default_calendar(), FixedClock(datetime(2026, 11, 18, 8, 5, tzinfo=IST)))
    with running(market, api_key="kiteapikey1234", api_secret="kiteapisecret5678", access_token="tok") as srv:
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'login.db'}")
        monkeypatch.setenv("KITE_API_KEY", "kiteapikey1234")
        monkeypatch.setenv("KITE_API_SECRET", "kiteapisecret5678")
        monkeypatch.setenv("KITE_API_ROOT", srv.url)
        request_token = srv.issue_request_token()
        assert (
            main(["login", f"https://example.invalid/cb?status=success&request_token={request_token}"]) == 0
        )
        (access,) = set(srv.access_tokens) - {"tok"}  # the token the login created
    out = capsys.readouterr().out
    assert "Kite session stored for" in out
    assert access not in out and access not in caplog.text
    # Stored for the day of the (fake) login: 06:00 IST on the next day is when it lapses.
    store = KiteSessionStore(session_factory(make_engine(f"sqlite:///{tmp_path / 'login.db'}")))
    stored = store.current_session(datetime(2026, 11, 18, 9, 0, tzinfo=IST))
    assert stored is not None and stored.user_id == "ZX4821"
    assert stored.access_token.get_secret_value() == access
    assert store.current_session(datetime(2026, 11, 19, 6, 0, tzinfo=IST)) is None


def test_snapshot_works_with_no_credentials_and_reports_freshness(tmp_path, monkeypatch, capsys):
    import json

    monkeypatch.chdir(tmp_path)
    assert main(["snapshot", "--at", "2026-11-25T11:00:00+05:30"]) == 0
    text = capsys.readouterr().out
    assert "Market snapshot Wed 25 Nov 2026 11:00 IST" in text and "Freshness: spot fresh" in text
    assert main(["snapshot", "--json", "--at", "2026-11-25T11:00:00+05:30"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parts"]["chain"]["status"] == "fresh" and data["parts"]["chain"]["source"] == "simulator"
    assert len(data["chains"]) == 3 and data["vol"]["regime"] != "unknown"


def test_scan_prints_suggestions_with_their_gates(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'scan.db'}")
    monkeypatch.setenv("SIM_START", "2026-10-14T13:00:00+05:30")
    assert main(["scan"]) == 0
    out = capsys.readouterr().out
    assert "(dry run)" in out and "[pass] market_open" in out and "Iron condor" in out


def test_the_docker_health_check_loads_no_analytics_chart_or_telegram_libraries(tmp_path):
    """`niftybot doctor --quick` runs every minute in the container (HEALTHCHECK): it must not import
    pandas, scipy, matplotlib, PTB or the vendor SDKs it does not use (it took 1.5 CPU-seconds a run
    when the command modules imported them at the top; about 0.5 s since)."""
    import json
    import os

    probe = (
        "import json, sys\n"
        "from bot.cli import main\n"
        "rc = main(['doctor', '--quick'])\n"
        "heavy = ('pandas', 'scipy', 'matplotlib', 'telegram', 'anthropic', 'kiteconnect', 'yfinance',"
        " 'pyarrow', 'numpy')\n"
        "print(json.dumps({'rc': rc, 'loaded': [m for m in heavy if m in sys.modules]}))\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'health.db'}",
        "LOG_DIR": str(tmp_path / "logs"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, env=env, cwd=tmp_path
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["rc"] in (0, 1)  # healthy or a named fatal check (an unmigrated database)
    assert result["loaded"] == []
