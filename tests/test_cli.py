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
