from __future__ import annotations

from typing import Any

import pytest

from core.persistence.db import make_engine, upgrade


@pytest.fixture
async def emu():
    from bot.emulator import DEFAULT_TOKEN, TelegramEmulator

    async with TelegramEmulator(DEFAULT_TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def claude():
    from tests.fakes.anthropic_server import FakeAnthropic

    fake = FakeAnthropic(default_text="NIFTY 50 is calm this morning.")
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def sqlite_engine(tmp_path: Any):
    """A migrated SQLite file (the dependency cells; the database cells run on both backends)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()
