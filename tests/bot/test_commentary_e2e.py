"""Claude commentary in the real bot: the brief and suggestions carry it when the (fake) Messages API
answers, and the labelled automatic text, on time, when it fails or invents a number."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator
from core.commentary.usage import SqlUsageStore
from tests.bot.harness import DeskBot, at
from tests.fakes.anthropic_server import FakeAnthropic

pytestmark = [pytest.mark.e2e, pytest.mark.db]

CALM = "Global cues are mixed and volatility is elevated; the desk expects a range-bound open."
WHY = "The structure sells premium away from the money while the trend is flat."


@pytest.fixture
async def emu():
    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def claude():
    fake = FakeAnthropic(default_text=CALM)
    url = await fake.start()
    yield fake, url
    await fake.close()


def briefs(bot: DeskBot) -> list:
    return [m for m in bot.messages() if "Pre-market brief" in m.plain]


async def test_the_brief_carries_claude_when_it_answers_and_the_automatic_text_when_not(
    engine, emu, claude, tmp_path
):
    fake, url = claude
    settings = {"anthropic_api_key": SecretStr("sk-ant-test-key-0123456789"), "anthropic_base_url": url}
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 8, 44, month=10), settings=settings).start()
    try:
        bot.advance(minutes=1)
        fake.reply(CALM)
        await bot.tick()
        first = briefs(bot)[-1].plain
        assert "Commentary by Claude" in first and CALM in first
        sent = fake.requests[-1]
        assert sent.model == bot.config.llm.model
        assert any(block.get("cache_control") for block in sent.system)

        # Next morning Claude invents a number: the brief goes out with the automatic text instead.
        bot.clock.set(at(15, 8, 45, month=10))
        fake.reply("NIFTY will surely close at 31,337 today.")
        await bot.tick()
        second = briefs(bot)[-1].plain
        assert "31,337" not in second and "Automatic summary" in second

        # And the day after, the service is down (5xx on every try): still on time, still labelled.
        bot.clock.set(at(16, 8, 45, month=10))
        for _ in range(6):
            fake.error(500, "api_error", "boom")
        await bot.tick()
        third = briefs(bot)[-1].plain
        assert "Automatic summary" in third
        totals = SqlUsageStore(engine).totals(at(14, 8, 45, month=10).date())
        assert totals.requests >= 1 and totals.input_tokens > 0
        emu.assert_no_violations()
    finally:
        await bot.stop()


async def test_suggestions_carry_claudes_rationale(engine, emu, claude, tmp_path):
    fake, url = claude
    fake.default_text = WHY
    settings = {"anthropic_api_key": SecretStr("sk-ant-test-key-0123456789"), "anthropic_base_url": url}
    bot = await DeskBot(engine, emu, tmp_path, at=at(14, 13, 0, month=10), settings=settings).start()
    try:
        await bot.tick()
        pushed = [m for m in bot.messages() if any(d.startswith("v1:ap:") for d in m.button_data())]
        assert pushed and WHY in pushed[0].plain
    finally:
        await bot.stop()
