from datetime import UTC, date, datetime, time, timedelta

import pytest
import yaml

from core.clock import IST
from core.errors import CalendarCoverageError
from core.market_hours import (
    NSECalendar,
    default_calendar,
    is_market_open,
    is_nse_holiday,
    is_trading_day,
    next_trading_day,
)

HOLIDAYS_2025 = [
    "2025-02-26",
    "2025-03-14",
    "2025-03-31",
    "2025-04-10",
    "2025-04-14",
    "2025-04-18",
    "2025-05-01",
    "2025-08-15",
    "2025-08-27",
    "2025-10-02",
    "2025-10-21",
    "2025-10-22",
    "2025-11-05",
    "2025-12-25",
]
HOLIDAYS_2026 = [
    "2026-01-15",
    "2026-01-26",
    "2026-03-03",
    "2026-03-26",
    "2026-03-31",
    "2026-04-03",
    "2026-04-14",
    "2026-05-01",
    "2026-05-28",
    "2026-06-26",
    "2026-09-14",
    "2026-10-02",
    "2026-10-20",
    "2026-11-10",
    "2026-11-24",
    "2026-12-25",
]
ALL_HOLIDAYS = [date.fromisoformat(d) for d in HOLIDAYS_2025 + HOLIDAYS_2026]


@pytest.mark.parametrize("day", ALL_HOLIDAYS, ids=str)
def test_every_listed_holiday_is_closed(day):
    assert is_nse_holiday(day)
    assert not is_trading_day(day)
    assert next_trading_day(day) > day
    assert is_trading_day(next_trading_day(day))
    assert not is_market_open(datetime.combine(day, time(11, 0), IST))


def test_holiday_counts_match_the_published_lists():
    cal = default_calendar()
    assert [h.day for h in cal.holidays(2025)] == [date.fromisoformat(d) for d in HOLIDAYS_2025]
    assert [h.day for h in cal.holidays(2026)] == [date.fromisoformat(d) for d in HOLIDAYS_2026]


def test_ad_hoc_closure_of_15_jan_2026_is_marked_ad_hoc():
    h = default_calendar().holiday(date(2026, 1, 15))
    assert h is not None
    assert h.kind.value == "ad_hoc"


def test_settlement_only_holiday_is_a_trading_day():
    assert is_trading_day(date(2025, 9, 8))


def test_weekend_is_not_a_holiday_but_not_a_trading_day():
    assert not is_nse_holiday(date(2026, 11, 28))
    assert not is_trading_day(date(2026, 11, 28))


def test_next_trading_day_skips_weekend_and_holiday():
    # Fri 20 Nov 2026 -> Mon 23 Nov; Mon 23 Nov -> Wed 25 Nov (24 Nov is Guru Nanak Jayanti)
    assert next_trading_day(date(2026, 11, 20)) == date(2026, 11, 23)
    assert next_trading_day(date(2026, 11, 23)) == date(2026, 11, 25)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (datetime(2026, 11, 25, 9, 14, 59, tzinfo=IST), False),
        (datetime(2026, 11, 25, 9, 15, tzinfo=IST), True),
        (datetime(2026, 11, 25, 15, 35, tzinfo=IST), True),  # after 3 Aug 2026 the F&O close is 15:40
        (datetime(2026, 11, 25, 15, 40, tzinfo=IST), False),
        (datetime(2026, 7, 29, 15, 35, tzinfo=IST), False),  # before 3 Aug 2026 it was 15:30
        (datetime(2026, 7, 29, 15, 29, tzinfo=IST), True),
        (datetime(2026, 11, 25, 4, 0, tzinfo=IST).astimezone(IST), False),
    ],
)
def test_is_market_open_uses_the_dated_close(moment, open_):
    assert is_market_open(moment) is open_


def test_is_market_open_accepts_utc_times():

    assert is_market_open(datetime(2026, 11, 25, 4, 0, tzinfo=UTC))  # 09:30 IST


def test_is_market_open_rejects_naive_times():
    with pytest.raises(ValueError, match="aware"):
        is_market_open(datetime(2026, 11, 25, 10, 0))


def test_muhurat_sessions_are_special_sessions():
    cal = default_calendar()
    s = cal.session(date(2026, 11, 8))  # a Sunday
    assert s is not None
    assert s.special
    assert cal.is_market_open(s.open + timedelta(minutes=5))
    assert not cal.is_trading_day(date(2026, 11, 8))
    s25 = cal.session(date(2025, 10, 21))  # on a holiday
    assert s25 is not None
    assert s25.special
    assert cal.is_nse_holiday(date(2025, 10, 21))


def test_fo_close_is_1530_before_and_1540_from_3_aug_2026():
    cal = default_calendar()
    assert cal.fo_close_time(date(2026, 7, 31)) == time(15, 30)
    assert cal.fo_close_time(date(2026, 8, 3)) == time(15, 40)


@pytest.mark.parametrize(
    ("in_week", "expiry"),
    [
        (date(2026, 3, 30), date(2026, 3, 30)),  # Tue 31 Mar 2026 is a holiday -> Monday
        (date(2026, 4, 2), date(2026, 3, 30)),
        (date(2026, 11, 23), date(2026, 11, 23)),  # Tue 24 Nov 2026 holiday -> Mon 23 Nov
        (date(2026, 11, 25), date(2026, 11, 23)),
        (date(2026, 12, 1), date(2026, 12, 1)),
        (date(2025, 8, 25), date(2025, 8, 28)),  # Thursday expiry before Sep 2025
        (date(2025, 9, 1), date(2025, 9, 2)),  # Tuesday from 1 Sep 2025
        (date(2025, 10, 2), date(2025, 9, 30)),
    ],
)
def test_weekly_expiry_for_week(in_week, expiry):
    assert default_calendar().weekly_expiry_for_week(in_week) == expiry


def test_next_weekly_expiry_rolls_to_next_week_after_expiry():
    cal = default_calendar()
    assert cal.next_weekly_expiry(date(2026, 11, 25)) == date(2026, 12, 1)
    assert cal.next_weekly_expiry(date(2026, 12, 1)) == date(2026, 12, 1)
    assert cal.weekly_expiries(date(2026, 11, 25), 3) == [
        date(2026, 12, 1),
        date(2026, 12, 8),
        date(2026, 12, 15),
    ]


@pytest.mark.parametrize(
    ("year", "month", "expiry"),
    [
        (2026, 3, date(2026, 3, 30)),  # last Tuesday 31 Mar is a holiday
        (2026, 11, date(2026, 11, 23)),  # last Tuesday 24 Nov is a holiday
        (2026, 12, date(2026, 12, 29)),
        (2026, 1, date(2026, 1, 27)),
        (2025, 7, date(2025, 7, 31)),  # Thursday era
        (2025, 9, date(2025, 9, 30)),
    ],
)
def test_monthly_expiry(year, month, expiry):
    assert default_calendar().monthly_expiry(year, month) == expiry


def test_a_year_without_a_holiday_list_fails_closed():
    with pytest.raises(CalendarCoverageError, match="2027"):
        is_trading_day(date(2027, 1, 4))
    with pytest.raises(CalendarCoverageError):
        next_trading_day(date(2026, 12, 31))
    assert default_calendar().coverage_gap(date(2026, 12, 15), 30) == [2027]


def test_trading_days_between_counts_both_ends():
    cal = default_calendar()
    days = cal.trading_days_between(date(2026, 11, 20), date(2026, 11, 25))
    assert days == [date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 25)]


def test_malformed_calendar_data_is_a_config_error():
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="malformed"):
        NSECalendar(yaml.safe_load("version: 1\nyears: {}\n"))


@pytest.mark.parametrize("year", [2025, 2026])
def test_trading_days_match_exchange_calendars_xbom(year):
    xc = pytest.importorskip("exchange_calendars")
    xbom = xc.get_calendar("XBOM", start=f"{year}-01-01", end=f"{year}-12-31")
    theirs = {d.date() for d in xbom.sessions_in_range(f"{year}-01-01", f"{year}-12-31")}
    cal = default_calendar()
    ours = set(cal.trading_days_between(date(year, 1, 1), date(year, 12, 31)))
    # XBOM lists Muhurat and the Saturday budget session as sessions; those are special sessions here.
    specials = {d for d in theirs - ours if cal.session(d) is not None and cal.session(d).special}
    assert ours == theirs - specials
