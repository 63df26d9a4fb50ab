"""``niftybot demo`` end to end: the terminal chat, the emulator, the real bot and the simulator."""

from __future__ import annotations

import io
from datetime import datetime

from bot.demo_cmd import DEMO_USER, demo_config, demo_start, run_demo
from core.clock import IST
from core.config.schema import NiftyConfig
from core.config.settings import MarketDataSource, Settings
from core.market_hours import default_calendar


def test_the_demo_starts_before_the_brief_on_a_covered_trading_day():
    cal = default_calendar()
    assert demo_start(cal, datetime(2026, 11, 24).date()) == datetime(
        2026, 11, 25, 8, 44, tzinfo=IST
    )  # holiday
    late = demo_start(cal, datetime(2031, 1, 1).date())  # no holiday list for 2031: the last covered day
    assert late.year == max(cal.years) and cal.is_trading_day(late.date())


def test_demo_suggestions_live_long_enough_for_a_person():
    assert demo_config(NiftyConfig()).paper_trading.suggestion_ttl_minutes >= 120


async def test_a_scripted_demo_goes_from_a_suggestion_to_an_open_position(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'demo.db'}",
        market_data=MarketDataSource.SIMULATED,
        telegram_admin_ids=[DEMO_USER],
        telegram_trader_ids=[DEMO_USER],
        telegram_chat_id=DEMO_USER,
        log_dir=tmp_path / "logs",
    )
    # 13:00 on 14 Oct 2026 the simulator's market suits the range seller; a slow clock keeps it there.
    start = datetime(2026, 10, 14, 12, 59, 50, tzinfo=IST)
    script = io.StringIO("/brief\n/suggest\n1\n/positions\n/pnl\nquit\n")
    out = io.StringIO()
    await run_demo(
        settings,
        demo_config(NiftyConfig()),
        start,
        1.0,
        lines=script,
        out=out,
        files_dir=tmp_path / "out",
        reply_timeout=8.0,
    )
    text = out.getvalue()
    assert "Pre-market brief" in text
    assert "Suggestion #" in text and "[1]" in text
    assert "Approved" in text and "position #1 opened" in text
    assert "Open positions (1)" in text
    assert "P&L today" in text
