from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from core.clock import IST
from core.persistence.db import (
    MIGRATIONS,
    current_revisions,
    downgrade,
    head_revisions,
    is_up_to_date,
    make_engine,
    session_factory,
    transaction,
    upgrade,
)
from core.persistence.models import AppMeta, Base

pytestmark = pytest.mark.db


def _all_revisions():
    script = ScriptDirectory(str(MIGRATIONS))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_migrations_produce_exactly_the_models_schema(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert is_up_to_date(engine)


@pytest.mark.parametrize("start", _all_revisions())
def test_upgrade_from_every_earlier_revision(empty_engine, start):
    upgrade(empty_engine, start)
    assert current_revisions(empty_engine) == {start}
    upgrade(empty_engine)
    assert current_revisions(empty_engine) == head_revisions()


def test_downgrade_to_base_and_back(engine):
    downgrade(engine, "base")
    assert current_revisions(engine) == set()
    upgrade(engine)
    assert is_up_to_date(engine)


def test_datetimes_come_back_aware_in_utc(engine):
    factory = session_factory(engine)
    at = datetime(2026, 11, 25, 9, 15, tzinfo=IST)
    with transaction(factory) as s:
        s.add(AppMeta(key="k", value="v", updated_at=at))
    with factory() as s:
        row = s.get(AppMeta, "k")
        assert row.updated_at == at
        assert row.updated_at.tzinfo is not None
        assert row.updated_at.utcoffset() == UTC.utcoffset(None)


def test_naive_datetimes_are_refused(engine):
    from sqlalchemy.exc import StatementError

    factory = session_factory(engine)
    with pytest.raises(StatementError, match="naive"), transaction(factory) as s:
        s.add(AppMeta(key="n", value="v", updated_at=datetime(2026, 1, 1)))


def test_sqlite_is_hardened(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    with eng.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
