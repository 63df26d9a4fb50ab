"""The write counter (core/persistence/writes.py) and the desk version built on it
(ReportService.version): this process's writes show at once, another process's within the probe."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.config.schema import NiftyConfig
from core.persistence.db import make_engine, session_factory, transaction
from core.persistence.models.desk import TradeDecisionRow
from core.persistence.writes import WriteCounter
from core.services.reports import ReportService
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.db
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def decision(action: str = "pause") -> TradeDecisionRow:
    return TradeDecisionRow(at=NOW, action=action, details={})


def twin(engine: Engine) -> Engine:
    """Another engine on the same database: what another process (the CLI) would use."""
    if engine.dialect.name == "sqlite":
        return make_engine(str(engine.url))
    with engine.connect() as conn:
        schema = conn.exec_driver_sql("SHOW search_path").scalar_one()
    return make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})


def test_a_committed_write_moves_the_counter_and_a_read_does_not(engine):
    writes = WriteCounter(engine)
    factory = session_factory(engine)
    start = writes.value
    with transaction(factory) as s:  # a read-only unit of work still commits
        s.execute(select(func.count(TradeDecisionRow.id))).one()
    with transaction(factory, write=False) as s:
        s.execute(select(TradeDecisionRow)).all()
    assert writes.value == start
    with transaction(factory) as s:
        s.add(decision())
    moved = writes.value
    assert moved != start
    with transaction(factory) as s:  # the mark was cleared: the next read-only commit moves nothing
        s.execute(select(func.count(TradeDecisionRow.id))).one()
    assert writes.value == moved


def test_plain_sql_writes_and_writes_in_worker_threads_count(engine):
    writes = WriteCounter(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        s.add(decision())
    before = writes.value
    with engine.begin() as conn:
        conn.execute(text("UPDATE trade_decisions SET reason = 'x'"))
    after_text = writes.value
    assert after_text != before

    def write() -> None:
        with transaction(factory) as s:
            s.add(decision("resume"))

    asyncio.run(asyncio.to_thread(write))
    assert writes.value != after_text


def test_writes_through_another_engine_are_not_seen_and_closing_stops_counting(engine):
    writes = WriteCounter(engine)
    other = twin(engine)
    try:
        start = writes.value
        with transaction(session_factory(other)) as s:
            s.add(decision())
        assert writes.value == start  # another process: ReportService.version probes for these
        writes.close()
        with transaction(session_factory(engine)) as s:
            s.add(decision())
        assert writes.value == start
    finally:
        other.dispose()


class Monotonic:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_the_desk_version_shows_this_process_at_once_and_another_within_the_probe(engine):
    mono = Monotonic()
    factory = session_factory(engine)
    reports = ReportService(
        factory=factory,
        config=NiftyConfig(),
        clock=FixedClock(NOW),
        writes=WriteCounter(engine),
        probe_seconds=1.0,
        monotonic=mono,
    )
    first = reports.version()
    assert reports.version() == first  # nothing changed: the same key, no query needed
    with transaction(factory) as s:
        s.add(decision())
    mine = reports.version()
    assert mine != first  # this process's write: at once

    other = twin(engine)
    try:
        with transaction(session_factory(other)) as s:
            s.add(decision())
        mono.t += 0.5
        assert reports.version() == mine  # within the probe interval the database is not asked
        mono.t += 0.5
        theirs = reports.version()
        assert theirs != mine  # probed: another process's write shows
        assert theirs[1:] == reports.desk_signature()
    finally:
        other.dispose()


def test_without_a_counter_the_version_is_the_database_signature(engine):
    factory = session_factory(engine)
    reports = ReportService(factory=factory, config=NiftyConfig(), clock=FixedClock(NOW))
    first = reports.version()
    with transaction(factory) as s:
        s.add(decision())
    assert reports.version() != first
    assert reports.version() == reports.desk_signature()
