"""Before/after snapshots of the tables a bad input must not change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, MetaData, select

GUARDED = (
    "suggestions",
    "positions",
    "position_legs",
    "risk_state",
    "equity_points",
    "trade_decisions",
    "archived_trades",
    "chat_prefs",
    "kite_sessions",
)


_REFLECTED: dict[tuple[int, tuple[str, ...]], MetaData] = {}


def snapshot(engine: Engine, tables: tuple[str, ...] = GUARDED) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables`` (sorted), so two snapshots compare equal only if nothing changed."""
    meta = _REFLECTED.get((id(engine), tables))
    if meta is None:
        meta = _REFLECTED[(id(engine), tables)] = MetaData()
        meta.reflect(engine, only=list(tables))
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name in tables:
            rows = conn.execute(select(meta.tables[name])).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def changed(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> set[str]:
    return {name for name in before if before[name] != after.get(name)}
