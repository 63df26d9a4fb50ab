"""NIFTY option contracts from Kite's instruments dump, cached in the database once per day.

Zerodha regenerates the dump every morning and asks clients to download it once a day, ideally around
08:30 IST. The rule implemented: the cache is keyed by the IST date of ``now``; a dump downloaded on
that date at or after 08:30 IST serves the rest of the day (a restart reads it from the database); one
downloaded before 08:30 serves only until 08:30, then the dump is fetched again; the next day always
downloads again. Only the latest day's rows are kept.

Contracts are found by ``(expiry, strike, option_type)``; tradingsymbols are never built by hand.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import IST
from core.domain.market import OptionContract, OptionType
from core.marketdata.kite_errors import malformed
from core.persistence.db import transaction
from core.persistence.models.kite import KiteInstrument, KiteInstrumentDump

log = logging.getLogger(__name__)

DUMP_READY = time(8, 30)  # IST: Zerodha's dump for the day is ready by then


def dump_day(now: datetime) -> date:
    """The IST day whose dump serves ``now``."""
    return now.astimezone(IST).date()


def cache_is_fresh(day: date, fetched_at: datetime, now: datetime) -> bool:
    """True when a dump for ``day`` downloaded at ``fetched_at`` may serve ``now`` (rule above)."""
    if day != dump_day(now):
        return False
    ready = datetime.combine(day, DUMP_READY, IST)
    return fetched_at >= ready or now < ready


class NiftyContracts:
    """The NIFTY option contracts of one dump, looked up by expiry, strike and type."""

    def __init__(self, day: date, fetched_at: datetime, contracts: list[OptionContract]) -> None:
        self.day = day
        self.fetched_at = fetched_at
        self.contracts = tuple(contracts)
        self._by_key: dict[tuple[date, float, str], OptionContract] = {}
        strikes: dict[date, set[float]] = defaultdict(set)
        for c in contracts:
            self._by_key[(c.expiry, float(c.strike), c.option_type)] = c
            strikes[c.expiry].add(float(c.strike))
        self._strikes = {e: sorted(s) for e, s in strikes.items()}

    def __len__(self) -> int:
        return len(self.contracts)

    def expiries(self, on_or_after: date | None = None) -> list[date]:
        """Listed expiries, nearest first (from ``on_or_after`` when given)."""
        return sorted(e for e in self._strikes if on_or_after is None or e >= on_or_after)

    def strikes(self, expiry: date) -> list[float]:
        return list(self._strikes.get(expiry, []))

    def lookup(self, expiry: date, strike: float, option_type: OptionType) -> OptionContract | None:
        return self._by_key.get((expiry, float(strike), option_type))

    def window(self, expiry: date, center: float, window: int) -> list[float]:
        """The listed strike nearest ``center`` and ``window`` listed strikes each side of it."""
        listed = self._strikes.get(expiry, [])
        if not listed or window < 0:
            return []
        i = bisect.bisect_left(listed, center)
        if i == len(listed) or (i > 0 and center - listed[i - 1] <= listed[i] - center):
            i -= 1
        return listed[max(i - window, 0) : i + window + 1]

    def chain_contracts(self, expiry: date, center: float, window: int) -> list[OptionContract]:
        """CE and PE contracts of :meth:`window`'s strikes (a side missing from the dump is skipped)."""
        out: list[OptionContract] = []
        kinds: tuple[OptionType, OptionType] = ("CE", "PE")
        for strike in self.window(expiry, center, window):
            for kind in kinds:
                c = self.lookup(expiry, strike, kind)
                if c is not None:
                    out.append(c)
        return out


class KiteInstrumentsRepository:
    """The database cache of the daily dump (tables ``kite_instrument_dumps``, ``kite_instruments``)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def load(self, day: date) -> NiftyContracts | None:
        """The cached contracts for ``day``, or None when that day was never downloaded."""
        with self._sessions() as s:
            dump = s.get(KiteInstrumentDump, day)
            if dump is None:
                return None
            t = KiteInstrument
            rows = s.execute(
                select(
                    t.tradingsymbol, t.instrument_token, t.expiry, t.strike, t.option_type, t.lot_size,
                    t.tick_size, t.exchange,
                ).where(t.day == day)
            ).all()  # fmt: skip
            contracts = [
                OptionContract(
                    tradingsymbol=sym,
                    instrument_token=int(token),
                    expiry=expiry,
                    strike=float(strike),
                    option_type="CE" if kind == "CE" else "PE",
                    lot_size=int(lot),
                    tick_size=float(tick),
                    exchange=exchange,
                )
                for sym, token, expiry, strike, kind, lot, tick, exchange in rows
            ]
            return NiftyContracts(day, dump.fetched_at, contracts)

    def save(self, day: date, fetched_at: datetime, contracts: list[OptionContract]) -> NiftyContracts:
        """Replace the cache with ``contracts`` for ``day`` (older days are dropped)."""
        with transaction(self._sessions) as s:
            s.execute(delete(KiteInstrument))
            s.execute(delete(KiteInstrumentDump))
            s.add(KiteInstrumentDump(day=day, fetched_at=fetched_at, contracts=len(contracts)))
            s.flush()
            if contracts:
                s.execute(
                    insert(KiteInstrument),
                    [
                        {
                            "day": day,
                            "instrument_token": c.instrument_token,
                            "tradingsymbol": c.tradingsymbol,
                            "expiry": c.expiry,
                            "strike": Decimal(str(c.strike)),
                            "option_type": c.option_type,
                            "lot_size": c.lot_size,
                            "tick_size": Decimal(str(c.tick_size)),
                            "exchange": c.exchange,
                        }
                        for c in contracts
                    ],
                )
        return NiftyContracts(day, fetched_at, contracts)


class InstrumentsCache:
    """Contracts for ``now``: from memory, else the database, else ``download()`` (then stored).

    Concurrent callers share one download (an asyncio lock); database work runs in worker threads.
    """

    def __init__(
        self, repository: KiteInstrumentsRepository, download: Callable[[], Awaitable[list[OptionContract]]]
    ) -> None:
        self._repo = repository
        self._download = download
        self._held: NiftyContracts | None = None
        self._lock = asyncio.Lock()

    def _fresh(self, now: datetime) -> NiftyContracts | None:
        held = self._held
        return held if held is not None and cache_is_fresh(held.day, held.fetched_at, now) else None

    async def get(self, now: datetime) -> NiftyContracts:
        held = self._fresh(now)
        if held is not None:
            return held
        async with self._lock:
            held = self._fresh(now)
            if held is not None:
                return held
            day = dump_day(now)
            cached = await asyncio.to_thread(self._repo.load, day)
            if cached is None or not cache_is_fresh(cached.day, cached.fetched_at, now):
                rows = await self._download()
                if not rows:
                    raise malformed("NFO instruments dump", "it lists no NIFTY options")
                cached = await asyncio.to_thread(self._repo.save, day, now, rows)
                log.info("Kite instruments for %s: %d NIFTY option contracts downloaded", day, len(rows))
            self._held = cached
            return cached
