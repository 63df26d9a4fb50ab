"""The NSE market calendar (seed: ``core/market_hours.py``).

Holidays, sessions and expiry rules are dated data in ``core/data/nse_calendar.yaml``. Any question
about a year with no holiday list raises :class:`CalendarCoverageError` (fail closed): the calendar never
assumes that every weekday is open. Times are IST (Asia/Kolkata); ``now`` arguments must be aware.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from core.clock import IST
from core.errors import CalendarCoverageError, ConfigError


class DayKind(StrEnum):
    TRADING_HOLIDAY = "trading_holiday"
    AD_HOC = "ad_hoc"
    SPECIAL_SESSION = "special_session"


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    kind: DayKind


@dataclass(frozen=True)
class Session:
    """One trading session (IST)."""

    day: date
    open: datetime
    close: datetime
    name: str = "normal"

    @property
    def special(self) -> bool:
        return self.name != "normal"


def _parse_time(text: str) -> time:
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


class NSECalendar:
    """NSE trading calendar built from versioned data."""

    def __init__(self, data: dict[str, Any]) -> None:
        try:
            self.version = str(data["version"])
            self._holidays: dict[date, Holiday] = {}
            self._specials: dict[date, Session] = {}
            self._years: set[int] = set()
            for year, spec in data["years"].items():
                self._years.add(int(year))
                for h in spec.get("holidays", []):
                    kind = DayKind(h.get("kind", "trading_holiday"))
                    self._holidays[h["date"]] = Holiday(h["date"], h["name"], kind)
                for s in spec.get("special_sessions", []):
                    d = s["date"]
                    self._specials[d] = Session(
                        d,
                        datetime.combine(d, _parse_time(s["open"]), IST),
                        datetime.combine(d, _parse_time(s["close"]), IST),
                        s["name"],
                    )
            rules = sorted(data["sessions"], key=lambda r: r["from"])
            self._session_from = [r["from"] for r in rules]
            self._session_rules = [
                (_parse_time(r["open"]), _parse_time(r["close"]), _parse_time(r["pre_open"])) for r in rules
            ]
            expiry = sorted(data["expiry_weekday"], key=lambda r: r["from"])
            self._expiry_from = [r["from"] for r in expiry]
            self._expiry_weekday = [int(r["weekday"]) for r in expiry]
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"The NSE calendar data is malformed: {exc}") from exc

    # ---- coverage -------------------------------------------------------------------------
    @property
    def years(self) -> frozenset[int]:
        return frozenset(self._years)

    def covers(self, d: date) -> bool:
        return d.year in self._years

    def _require(self, d: date) -> None:
        if d.year not in self._years:
            raise CalendarCoverageError(d.year)

    def coverage_gap(self, start: date, days: int) -> list[int]:
        """Years in ``[start, start + days]`` that have no holiday list (for the health check)."""
        years = {(start + timedelta(days=i)).year for i in range(days + 1)}
        return sorted(y for y in years if y not in self._years)

    # ---- days -----------------------------------------------------------------------------
    def holiday(self, d: date) -> Holiday | None:
        self._require(d)
        return self._holidays.get(d)

    def holidays(self, year: int) -> list[Holiday]:
        self._require(date(year, 1, 1))
        return sorted((h for h in self._holidays.values() if h.day.year == year), key=lambda h: h.day)

    def is_nse_holiday(self, d: date) -> bool:
        """True on a listed weekday trading holiday (weekends are not 'holidays')."""
        return self.holiday(d) is not None

    def is_trading_day(self, d: date) -> bool:
        """A normal full session day: a weekday that is not a trading holiday."""
        self._require(d)
        return d.weekday() < 5 and d not in self._holidays

    def next_trading_day(self, d: date) -> date:
        """The first trading day strictly after ``d``."""
        nxt = d + timedelta(days=1)
        while not self.is_trading_day(nxt):
            nxt += timedelta(days=1)
        return nxt

    def previous_trading_day(self, d: date) -> date:
        prev = d - timedelta(days=1)
        while not self.is_trading_day(prev):
            prev -= timedelta(days=1)
        return prev

    def trading_days_between(self, start: date, end: date) -> list[date]:
        """Trading days in the closed range ``[start, end]``."""
        out: list[date] = []
        d = start
        while d <= end:
            if self.is_trading_day(d):
                out.append(d)
            d += timedelta(days=1)
        return out

    def count_trading_days(self, start: date, end: date) -> int:
        return len(self.trading_days_between(start, end))

    # ---- sessions -------------------------------------------------------------------------
    def _rule(self, d: date) -> tuple[time, time, time]:
        i = bisect.bisect_right(self._session_from, d) - 1
        return self._session_rules[max(i, 0)]

    def session(self, d: date) -> Session | None:
        """The F&O session on ``d`` (a special session on a holiday or weekend), or None."""
        special = self._specials.get(d)
        if special is not None:
            return special
        if not self.is_trading_day(d):
            return None
        open_t, close_t, _ = self._rule(d)
        return Session(d, datetime.combine(d, open_t, IST), datetime.combine(d, close_t, IST))

    def fo_close_time(self, d: date) -> time:
        """F&O close on a normal day: 15:30 before 3 Aug 2026, 15:40 from then."""
        return self._rule(d)[1]

    def is_market_open(self, now: datetime) -> bool:
        """True while a (normal or special) F&O session is on at the aware moment ``now``."""
        if now.tzinfo is None:
            raise ValueError("is_market_open needs an aware datetime")
        local = now.astimezone(IST)
        s = self.session(local.date())
        return s is not None and s.open <= local < s.close

    def next_session_open(self, now: datetime) -> datetime:
        """The next normal session's open at or after ``now``."""
        local = now.astimezone(IST)
        d = local.date()
        if self.is_trading_day(d):
            s = self.session(d)
            if s is not None and local < s.open:
                return s.open
        nxt = self.next_trading_day(d)
        s = self.session(nxt)
        assert s is not None
        return s.open

    # ---- expiries -------------------------------------------------------------------------
    def expiry_weekday(self, d: date) -> int:
        i = bisect.bisect_right(self._expiry_from, d) - 1
        return self._expiry_weekday[max(i, 0)]

    def _adjust_back(self, d: date) -> date:
        while not self.is_trading_day(d):
            d -= timedelta(days=1)
        return d

    def weekly_expiry_for_week(self, d: date) -> date:
        """The NIFTY weekly expiry of the Monday-to-Sunday week holding ``d`` (moved back on a holiday)."""
        monday = d - timedelta(days=d.weekday())
        wd = self.expiry_weekday(monday + timedelta(days=3))
        return self._adjust_back(monday + timedelta(days=wd))

    def next_weekly_expiry(self, d: date) -> date:
        """The first weekly expiry on or after ``d``."""
        e = self.weekly_expiry_for_week(d)
        if e < d:
            e = self.weekly_expiry_for_week(d + timedelta(days=7 - d.weekday()))
        return e

    def weekly_expiries(self, d: date, count: int) -> list[date]:
        out: list[date] = []
        cursor = d
        while len(out) < count:
            e = self.next_weekly_expiry(cursor)
            out.append(e)
            cursor = e + timedelta(days=1)
        return out

    def monthly_expiry(self, year: int, month: int) -> date:
        """Last expiry weekday of the month, moved back to a trading day on a holiday."""
        first_next = date(year + (month == 12), month % 12 + 1, 1)
        last = first_next - timedelta(days=1)
        wd = self.expiry_weekday(last)
        while last.weekday() != wd:
            last -= timedelta(days=1)
        return self._adjust_back(last)

    def next_monthly_expiry(self, d: date) -> date:
        e = self.monthly_expiry(d.year, d.month)
        if e < d:
            ny, nm = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
            e = self.monthly_expiry(ny, nm)
        return e

    def is_expiry_day(self, d: date) -> bool:
        return self.is_trading_day(d) and self.weekly_expiry_for_week(d) == d


def load_calendar(path: Path | None = None) -> NSECalendar:
    """Load the calendar from ``path`` or the packaged data."""
    if path is None:
        text = resources.files("core.data").joinpath("nse_calendar.yaml").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return NSECalendar(yaml.safe_load(text))


@functools.cache
def default_calendar() -> NSECalendar:
    return load_calendar()


# ---- seed API (module-level helpers on the packaged calendar) ---------------------------------
def is_nse_holiday(d: date) -> bool:
    return default_calendar().is_nse_holiday(d)


def is_trading_day(d: date) -> bool:
    return default_calendar().is_trading_day(d)


def next_trading_day(d: date) -> date:
    return default_calendar().next_trading_day(d)


def is_market_open(now: datetime) -> bool:
    return default_calendar().is_market_open(now)
