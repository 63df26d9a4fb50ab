"""A counter of the write transactions this process commits through an engine.

Read views shared at the same desk state (``bot/views.py``) need to know, on every command, whether the
desk changed since a view was made. Asking the database (``ReportService.version``: one query over seven
tables) cost about a fifth of a text command's CPU under load (docs/benchmarks.md, "Load"). Every change
this process makes goes through its engine, so the engine's events can count them instead, for free:

- ``after_cursor_execute``: an INSERT, UPDATE or DELETE marks the connection as having written;
- ``commit``: a marked connection is about to commit: the counter moves;
- pool ``checkin``: a marked connection comes back after its commit (or rollback): the counter moves
  again and the mark is cleared.

The second move matters when a write commits in a worker thread while the event loop reads: a view made
between the first move and the end of the commit (from the data before it) is keyed on a value that is
then already gone. Writes rolled back move the counter too (a harmless extra miss). Changes made by
another process are not seen here; ``ReportService.version`` probes the database for those.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

_MARK = "niftybot_wrote"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "MERGE")


def _is_write(statement: str, context: Any) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    # text() and driver-level SQL carry no flags: look at the verb.
    return statement.lstrip()[:7].upper().startswith(_WRITES)


class WriteCounter:
    """``value`` changes whenever a transaction that wrote is committed through ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self._counter = itertools.count(1)  # next() is atomic under the GIL: safe from worker threads
        self._value = 0
        self.engine = engine
        event.listen(engine, "after_cursor_execute", self._executed)
        event.listen(engine, "commit", self._committing)
        event.listen(engine, "checkin", self._checked_in)

    @property
    def value(self) -> int:
        return self._value

    def _bump(self) -> None:
        self._value = next(self._counter)

    def _executed(
        self, conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if _is_write(statement, context):
            conn.info[_MARK] = True

    def _committing(self, conn: Connection) -> None:
        if conn.info.get(_MARK):
            self._bump()

    def _checked_in(self, dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_MARK, False):
            self._bump()

    def close(self) -> None:
        """Stop counting (the listeners leave the engine)."""
        for name, fn in (
            ("after_cursor_execute", self._executed),
            ("commit", self._committing),
            ("checkin", self._checked_in),
        ):
            if event.contains(self.engine, name, fn):
                event.remove(self.engine, name, fn)
