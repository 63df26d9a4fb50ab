"""/backtest through the real bot and the Telegram emulator: summary, chart, record, refusals."""

from __future__ import annotations

from datetime import time

import pytest

from bot.handlers import backtest
from core.config.schema import parse_config
from core.replay.records import ReplayRecordStore
from tests.bot.harness import TRADER, VIEWER, DeskBot, at

pytestmark = [pytest.mark.e2e, pytest.mark.db]


@pytest.fixture
async def emu():
    from bot.emulator import DEFAULT_TOKEN, TelegramEmulator

    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(engine, emu, tmp_path, monkeypatch):
    monkeypatch.setattr(backtest, "SESSION_WINDOW", (time(10, 0), time(10, 20)))
    config = parse_config({"recording": {"replay_records": str(tmp_path / "replays")}})
    desk = await DeskBot(engine, emu, tmp_path, at=at(26, 12, 0), config=config).start()
    yield desk
    await desk.stop()


async def test_backtest_answers_with_the_summary_and_the_chart_and_keeps_the_record(bot, tmp_path):
    await bot.say(TRADER, "/backtest trend 2")
    await bot.emu.wait_for(lambda: any(m.photo for m in bot.messages(TRADER)), timeout=120)
    texts = [m.text or "" for m in bot.messages(TRADER)]
    assert any("Replaying <b>trend</b>" in t or "Replaying trend" in t for t in texts)
    summary = next(t for t in texts if "Backtest · trend" in t)
    assert "24 Nov" not in summary  # a holiday: the two days are 23 and 25 Nov
    assert "Mon 23 Nov – Wed 25 Nov · 2 day(s) · simulated market" in summary
    record = ReplayRecordStore(tmp_path / "replays").latest("trend")
    assert record is not None and record.days == 2 and record.source == "simulated"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("/backtest trend 21", "days must be a whole number from 1 to 20"),
        ("/backtest nope 5", "unknown algorithm"),
        ("/backtest trend", "give an algorithm"),
    ],
)
async def test_bad_arguments_get_the_usage_line(bot, text, problem):
    replies = await bot.say(TRADER, text)
    assert problem in (replies[-1].text or "")


async def test_viewers_may_not_run_a_backtest(bot):
    replies = await bot.say(VIEWER, "/backtest trend 2")
    assert "backtest" in (replies[-1].text or "").lower()
    assert not any("Backtest · trend" in (m.text or "") for m in bot.messages(VIEWER))
