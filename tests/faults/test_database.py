"""The database column of the fault matrix: a locked SQLite database, a vanished SQLite file and a
vanished PostgreSQL schema, under the real bot (tests/faults/harness.py).

While the database is down the bot keeps answering (/help as usual, commands that need the database
say "the database is unavailable", /health shows the database check failing), the admins and the
desk hear it ONCE (sent straight through the Bot API: the outbox lives in the database), the
scheduler runs nothing (no scan, approval or exit on a database that cannot record it), and when the
database is back there is one "database is back" note, /health is clean, and the positions,
suggestions and outbox are exactly as before (SQLite: ``PRAGMA integrity_check`` is ok).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sqlite3
import time
import warnings
from pathlib import Path

import pytest
from sqlalchemy import event, text

from core.persistence.db import SQLITE_BUSY_TIMEOUT_MS, make_engine, upgrade
from tests.bot.harness import ADMIN, DESK_CHAT, STRANGER, TRADER, VIEWER, at
from tests.conftest import _drop_postgres_schema, _fresh_postgres_schema, postgres_problem
from tests.faults.harness import FaultBot
from tests.faults.test_matrix import INJECTIONS, approve_button, state

pytestmark = [pytest.mark.e2e, pytest.mark.db]

DOWN, BACK, UNAVAILABLE = "Database unavailable", "Database is back", "database is unavailable"


class SqliteLocked:
    """Another process holds an exclusive lock on the file (e.g. a backup or a stuck writer)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None

    def on(self, engine) -> None:
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        self.conn.execute("BEGIN EXCLUSIVE")

    def off(self, engine) -> None:
        assert self.conn is not None
        self.conn.execute("ROLLBACK")
        self.conn.close()
        self.conn = None


class SqliteVanished:
    """The database file is gone (a volume unmounted, the file moved away); the app's connections are
    dropped with it. New connections find an empty file without the schema."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on(self, engine) -> None:
        engine.dispose()
        os.rename(self.path, self.path.with_suffix(".gone"))

    def off(self, engine) -> None:
        engine.dispose()
        if self.path.exists():
            self.path.unlink()  # the empty file the failed connections left
        os.rename(self.path.with_suffix(".gone"), self.path)


class PostgresVanished:
    """The app's schema disappears from under it (renamed away) and its connections are terminated."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def _admin(self, sql: str) -> None:
        from sqlalchemy import create_engine

        from core.persistence.db import normalise_url
        from tests.conftest import POSTGRES_URL

        admin = create_engine(normalise_url(POSTGRES_URL))
        with admin.begin() as conn:
            conn.execute(text(sql))
        admin.dispose()

    def on(self, engine) -> None:
        self._admin(f'ALTER SCHEMA "{self.schema}" RENAME TO "{self.schema}_gone"')
        # drop the app's own connections (only those: other tests share the server)
        with engine.connect() as conn:
            pids = [conn.execute(text("select pg_backend_pid()")).scalar()]
        for pid in pids:
            self._admin(f"select pg_terminate_backend({int(pid)})")

    def off(self, engine) -> None:
        self._admin(f'ALTER SCHEMA "{self.schema}_gone" RENAME TO "{self.schema}"')
        engine.dispose()  # the pool's dead connections go (pre-ping would replace them one by one)


@pytest.fixture(
    params=[
        "sqlite-locked",
        pytest.param("sqlite-vanished", marks=pytest.mark.slow),
        pytest.param("postgresql-vanished", marks=pytest.mark.slow),
    ]
)
def database(request, tmp_path):
    backend, fault = request.param.split("-")
    if backend == "sqlite":
        path = tmp_path / "desk.db"
        engine = make_engine(f"sqlite:///{path}")

        switch = SqliteLocked(path) if fault == "locked" else SqliteVanished(path)

        @event.listens_for(engine, "checkout")
        def short_busy_timeout(dbapi_conn, _record, _proxy):
            # Production waits SQLITE_BUSY_TIMEOUT_MS (5 s) for a lock before giving up; while the test
            # holds the lock, 0.5 s (the cell's commands wait it). Before and after, the production
            # wait, so the bot's own writers queued behind each other (Yahoo cache, desk) never fail.
            held = getattr(switch, "conn", None) is not None
            dbapi_conn.execute(f"PRAGMA busy_timeout={500 if held else SQLITE_BUSY_TIMEOUT_MS}")

        upgrade(engine)
        yield request.param, engine, switch
        engine.dispose()
        return
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    engine, schema = _fresh_postgres_schema()
    upgrade(engine)
    try:
        yield request.param, engine, PostgresVanished(schema)
    finally:
        engine.dispose()
        _drop_postgres_schema(schema)
        # the connections the test killed with pg_terminate_backend die here, not in the next test
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


async def test_database_cell(database, emu, claude, tmp_path):
    cell, engine, switch = database
    started = time.perf_counter()
    bot = await FaultBot(engine, emu, tmp_path, at=at(18, 10, 0), claude=claude).start()
    try:
        await bot.tick()
        pushed = [m for m in bot.messages(DESK_CHAT) if approve_button(m)]
        assert pushed
        await bot.press(TRADER, pushed[0], approve_button(pushed[0]))
        await bot.deliver()
        before = state(bot)
        assert len(before.positions) == 1

        # ---- the database goes away ----------------------------------------------------------------
        switch.on(engine)
        for minute in (1, 2, 3):
            bot.clock.set(at(18, 10, minute))
            assert await bot.tick() == [], "nothing runs without the database"
        help_ = (await bot.say(VIEWER, "/help"))[0].plain
        assert "/positions" in help_
        positions = (await bot.say(TRADER, "/positions", wait=15))[0].plain
        if cell == "sqlite-locked":  # WAL: a held write lock blocks writers, not readers
            assert f"#{before.positions[0][0]}" in positions, positions
        else:
            assert UNAVAILABLE in positions, positions
        scan = (await bot.say(TRADER, "/scan", wait=15))[0].plain  # a scan must write its suggestions
        assert UNAVAILABLE in scan, scan
        if len(pushed) > 1:  # an Approve press is answered, and opens nothing (checked below)
            answer = await bot.press(TRADER, pushed[1], approve_button(pushed[1]))
            assert answer is not None
        emu.user_sends(STRANGER, STRANGER, "/positions")  # strangers learn nothing about the outage
        await asyncio.sleep(1.0)
        assert not bot.texts(STRANGER, UNAVAILABLE)
        health = (await bot.say(ADMIN, "/health", wait=20))[0].plain
        assert health.startswith("⛔"), health
        assert any(ln.startswith("⛔ database") for ln in health.splitlines()), health
        for chat in (ADMIN, DESK_CHAT):
            assert len(bot.texts(chat, DOWN)) == 1, (chat, bot.texts(chat, DOWN))
        assert not bot.texts(ADMIN, "Error in"), "no error alert per failed command"

        injected = bot.bc.db_watch.failures
        assert injected >= 3

        # ---- it comes back ---------------------------------------------------------------------------
        switch.off(engine)
        bot.clock.set(at(18, 10, 5))
        ran = await bot.tick()
        assert "monitor" in ran
        await bot.deliver()
        for chat in (ADMIN, DESK_CHAT):
            assert len(bot.texts(chat, BACK)) == 1
            assert len(bot.texts(chat, DOWN)) == 1
        health = (await bot.say(ADMIN, "/health"))[0].plain
        assert any(ln.startswith("✅ database") for ln in health.splitlines()), health
        positions = (await bot.say(TRADER, "/positions"))[0].plain
        assert f"#{before.positions[0][0]}" in positions

        # ---- nothing lost ----------------------------------------------------------------------------
        after = state(bot)
        assert after.positions == before.positions
        assert set(before.suggestions) <= set(after.suggestions)
        for key, status in before.outbox.items():
            assert after.outbox.get(key) == status, key
        assert all(v == "sent" for v in after.outbox.values())
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        emu.assert_no_violations()
        INJECTIONS.append(
            {"dep": "database", "fault": cell, "injected": injected, "seconds": time.perf_counter() - started}
        )
    finally:
        with contextlib.suppress(Exception):
            switch.off(engine)
        await bot.stop()
