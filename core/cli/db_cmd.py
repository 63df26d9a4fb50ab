"""``niftybot db upgrade|current``: manage the schema."""

from __future__ import annotations

import argparse

from core.config.settings import load_settings
from core.persistence.db import current_revisions, head_revisions, make_engine, upgrade


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("db", help="database schema (Alembic migrations)")
    dsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dsub.add_parser("upgrade", help="apply all migrations (also done at start-up)")
    up.set_defaults(handler=_upgrade)
    cur = dsub.add_parser("current", help="show the schema revision and the latest one")
    cur.set_defaults(handler=_current)


def _upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    before = current_revisions(engine)
    upgrade(engine)
    after = current_revisions(engine)
    print(f"database {engine.url.render_as_string(hide_password=True)}")
    print(f"schema {','.join(sorted(before)) or 'empty'} -> {','.join(sorted(after))}")
    return 0


def _current(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    cur, heads = current_revisions(engine), head_revisions()
    print(f"current: {','.join(sorted(cur)) or 'empty'}  latest: {','.join(sorted(heads))}")
    return 0 if cur == heads else 1
