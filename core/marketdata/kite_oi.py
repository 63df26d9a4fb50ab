"""Previous-close open interest for ``oi_change`` (Kite's quote has no previous-close OI).

What is implemented, and why it is exact rather than approximate:

* A quote taken while no session is running (after the close, before the next open, on a holiday)
  carries the FINAL open interest of the last completed session. Every chain quoted then is recorded
  in ``kite_oi_closes`` as that session's closing OI (the bot's end-of-day snapshot does this).
* During session ``D`` (and after its close), ``oi_change = oi - closing OI of the trading day before D``.
* A contract with no recorded close (the bot did not quote it after that close, or it was listed
  today) gets ``oi_change = 0``; this is logged once per session day with the count.

Special (Muhurat) sessions are not treated separately: the baseline is the previous normal trading day.
OI is in units of the underlying, as Kite reports it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import IST
from core.market_hours import NSECalendar
from core.persistence.db import transaction
from core.persistence.models.kite import KiteOiClose

log = logging.getLogger(__name__)
KEEP_DAYS = 14
_CHUNK = 500


@dataclass(frozen=True)
class OiDays:
    """Which session a quote at some moment belongs to, and which close is its baseline."""

    session_day: date  # the session whose OI the quote shows
    baseline_day: date  # the trading day before it: oi_change is measured from its close
    final: bool  # True when no session is running: the quote's OI is ``session_day``'s close


def oi_days(now: datetime, calendar: NSECalendar) -> OiDays:
    """The :class:`OiDays` for a quote taken at the aware moment ``now``."""
    local = now.astimezone(IST)
    d = local.date()
    session = calendar.session(d) if calendar.is_trading_day(d) else None
    if session is not None and local >= session.open:
        return OiDays(d, calendar.previous_trading_day(d), final=local >= session.close)
    day = calendar.previous_trading_day(d)
    return OiDays(day, calendar.previous_trading_day(day), final=True)


class OiCloseRepository:
    """Closing OI per option and session day (table ``kite_oi_closes``)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def closes(self, session_day: date) -> dict[int, int]:
        """``{instrument_token: closing OI}`` recorded for ``session_day``."""
        with self._sessions() as s:
            rows = s.execute(
                select(KiteOiClose.instrument_token, KiteOiClose.oi).where(
                    KiteOiClose.session_day == session_day
                )
            ).all()
        return {int(token): int(oi) for token, oi in rows}

    def record(self, session_day: date, ois: Mapping[int, int], at: datetime) -> None:
        """Store (replace) closing OI for ``session_day``; rows older than KEEP_DAYS are dropped."""
        tokens = list(ois)
        with transaction(self._sessions) as s:
            s.execute(delete(KiteOiClose).where(KiteOiClose.session_day < session_day - timedelta(KEEP_DAYS)))
            for i in range(0, len(tokens), _CHUNK):
                chunk = tokens[i : i + _CHUNK]
                s.execute(
                    delete(KiteOiClose).where(
                        KiteOiClose.session_day == session_day, KiteOiClose.instrument_token.in_(chunk)
                    )
                )
                s.execute(
                    insert(KiteOiClose),
                    [
                        {"session_day": session_day, "instrument_token": t, "oi": ois[t], "recorded_at": at}
                        for t in chunk
                    ],
                )


class OiBaseline:
    """The previous close's OI for a chain quoted at ``now``; records this close when no session runs.

    Synchronous (database work): call it in a worker thread. Remembers the baseline day it last read.
    """

    def __init__(self, sessions: sessionmaker[Session], calendar: NSECalendar) -> None:
        self._repo = OiCloseRepository(sessions)
        self._calendar = calendar
        self._cached: tuple[date, dict[int, int]] | None = None
        self._warned: set[date] = set()

    def for_quotes(self, now: datetime, ois: Mapping[int, int]) -> dict[int, int]:
        """``{instrument_token: previous closing OI}`` for the options quoted with ``ois`` at ``now``."""
        days = oi_days(now, self._calendar)
        if days.final and ois:
            self._repo.record(days.session_day, ois, now)
        if self._cached is None or self._cached[0] != days.baseline_day:
            self._cached = (days.baseline_day, self._repo.closes(days.baseline_day))
        base = self._cached[1]
        missing = sum(1 for token in ois if token not in base)
        if missing and days.baseline_day not in self._warned:
            self._warned.add(days.baseline_day)
            log.info(
                "no closing OI recorded for %d of %d options on %s; their oi_change is 0 "
                "(the close is recorded by any chain quoted after a session ends)",
                missing,
                len(ois),
                days.baseline_day,
            )
        return base
