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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures for docs/reliability.md: cells run, failed requests injected, time per cell."""
    from tests.faults.test_matrix import INJECTIONS

    if not INJECTIONS:
        return
    deps = sorted({c["dep"] for c in INJECTIONS})
    tr = terminalreporter
    tr.section("fault matrix")
    for dep in deps:
        cells = [c for c in INJECTIONS if c["dep"] == dep]
        row = ", ".join(f"{c['fault']}={c['injected']}" for c in cells)
        tr.write_line(f"{dep:<9} {len(cells)} cells, {sum(c['injected'] for c in cells)} injected: {row}")
    total = sum(c["injected"] for c in INJECTIONS)
    seconds = sum(c["seconds"] for c in INJECTIONS)
    tr.write_line(f"total: {len(INJECTIONS)} cells passed, {total} failed requests injected, {seconds:.0f} s")
