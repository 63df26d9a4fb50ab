"""The pure parts of the Yahoo source: settled sessions, the refetch plan, cues and bar normalisation."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.clock import IST
from core.errors import DataValidationError
from core.market_hours import default_calendar
from core.marketdata.yahoo import (
    GLOBAL_CUES,
    INDIAVIX,
    NSEI,
    Coverage,
    FetchPlan,
    cue_from_bars,
    last_settled_session,
    merge_coverage,
    plan_fetch,
    to_daily_bars,
)

CAL = default_calendar()
GSPC = next(t for t in GLOBAL_CUES if t.symbol == "^GSPC")
NIKKEI = next(t for t in GLOBAL_CUES if t.symbol == "^N225")
WEEKDAYS = lambda d: d.weekday() < 5  # noqa: E731 - a predicate as data
NOW = datetime(2026, 11, 25, 8, 45, tzinfo=IST)
DAY = timedelta(days=1)
MAX_AGE = timedelta(hours=24)


# ---- settled sessions ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "now", "expected"),
    [
        (NSEI, datetime(2026, 11, 25, 8, 45, tzinfo=IST), date(2026, 11, 23)),  # 24 Nov: NSE holiday
        (NSEI, datetime(2026, 11, 25, 16, 29, tzinfo=IST), date(2026, 11, 23)),  # 15:40 close, not settled
        (NSEI, datetime(2026, 11, 25, 16, 30, tzinfo=IST), date(2026, 11, 25)),
        (INDIAVIX, datetime(2026, 11, 30, 9, 0, tzinfo=IST), date(2026, 11, 27)),  # Monday: Friday's
        (GSPC, datetime(2026, 11, 25, 8, 45, tzinfo=IST), date(2026, 11, 24)),  # 22:15 in New York
        (GSPC, datetime(2026, 11, 24, 21, 0, tzinfo=UTC), date(2026, 11, 23)),  # 16:00 ET: not settled
        (NIKKEI, datetime(2026, 11, 25, 8, 45, tzinfo=IST), date(2026, 11, 24)),  # 12:15 in Tokyo
    ],
)
def test_the_last_settled_session_is_in_the_tickers_own_zone_and_calendar(spec, now, expected):
    is_session = CAL.is_trading_day if spec.nse else WEEKDAYS
    assert last_settled_session(spec, now, is_session) == expected


def test_a_calendar_with_no_sessions_is_an_error_not_a_hang():
    with pytest.raises(DataValidationError, match="No S&P 500 session"):
        last_settled_session(GSPC, NOW, lambda d: False)


# ---- the refetch plan ---------------------------------------------------------------------------
def cov(start: str, through: str, last: str | None, fetched: datetime = NOW) -> Coverage:
    return Coverage(
        date.fromisoformat(start),
        date.fromisoformat(through),
        fetched,
        date.fromisoformat(last) if last else None,
    )


@pytest.mark.parametrize(
    ("coverage", "wanted", "last", "now", "plan"),
    [
        (None, "2026-11-10", "2026-11-24", NOW, ("2026-11-10", "2026-11-24")),
        (cov("2026-11-10", "2026-11-24", "2026-11-24"), "2026-11-11", "2026-11-24", NOW, None),
        # a new session: only the days after the last bar
        (
            cov("2026-11-10", "2026-11-24", "2026-11-24"),
            "2026-11-11",
            "2026-11-25",
            NOW,
            ("2026-11-25", "2026-11-25"),
        ),
        # history must reach further back: only the days before the coverage
        (
            cov("2026-11-10", "2026-11-24", "2026-11-24"),
            "2026-10-01",
            "2026-11-24",
            NOW,
            ("2026-10-01", "2026-11-09"),
        ),
        # both at once: one request for the whole range
        (
            cov("2026-11-10", "2026-11-24", "2026-11-24"),
            "2026-10-01",
            "2026-11-25",
            NOW,
            ("2026-10-01", "2026-11-25"),
        ),
        # no bar on the last session (holiday or gap): fresh until the fetch is a day old
        (
            cov("2026-11-10", "2026-11-24", "2026-11-20"),
            "2026-11-10",
            "2026-11-24",
            NOW + timedelta(hours=23),
            None,
        ),
        (
            cov("2026-11-10", "2026-11-24", "2026-11-20"),
            "2026-11-10",
            "2026-11-24",
            NOW + timedelta(hours=25),
            ("2026-11-21", "2026-11-24"),
        ),
        # nothing ever came back: the whole wanted range again, once a day
        (
            cov("2026-11-10", "2026-11-24", None),
            "2026-11-12",
            "2026-11-24",
            NOW + timedelta(hours=25),
            ("2026-11-12", "2026-11-24"),
        ),
    ],
)
def test_the_plan_fetches_only_what_is_missing(coverage, wanted, last, now, plan):
    got = plan_fetch(coverage, date.fromisoformat(wanted), date.fromisoformat(last), now, MAX_AGE)
    assert got == (None if plan is None else FetchPlan(*map(date.fromisoformat, plan)))


def test_coverage_merges_when_ranges_touch_and_restarts_after_a_gap():
    old = cov("2026-11-10", "2026-11-24", "2026-11-24")
    assert merge_coverage(old, FetchPlan(date(2026, 11, 25), date(2026, 11, 26))) == (
        date(2026, 11, 10),
        date(2026, 11, 26),
    )
    assert merge_coverage(old, FetchPlan(date(2026, 10, 1), date(2026, 11, 9))) == (
        date(2026, 10, 1),
        date(2026, 11, 24),
    )
    assert merge_coverage(old, FetchPlan(date(2026, 12, 10), date(2026, 12, 11))) == (
        date(2026, 12, 10),
        date(2026, 12, 11),
    )


days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def situations(draw):
    start = draw(days)
    through = start + timedelta(days=draw(st.integers(0, 400)))
    last_bar = draw(st.none() | st.dates(min_value=start, max_value=through))
    fetched = NOW + timedelta(hours=draw(st.integers(-48, 0)))
    coverage = draw(st.none() | st.just(Coverage(start, through, fetched, last_bar)))
    last = draw(days)
    wanted = last - timedelta(days=draw(st.integers(0, 500)))
    return coverage, wanted, last


@pytest.mark.property
@given(situations())
def test_after_the_planned_fetch_the_wanted_range_is_covered(situation):
    coverage, wanted, last = situation
    plan = plan_fetch(coverage, wanted, last, NOW, MAX_AGE)
    if plan is None:
        assert coverage is not None
        assert coverage.covered_from <= wanted and coverage.covered_through >= last
        has_last = coverage.last_bar is not None and coverage.last_bar >= last
        assert has_last or NOW - coverage.fetched_at <= MAX_AGE
        return
    assert wanted <= plan.start <= plan.end <= last  # never asks outside the wanted range
    if coverage is not None and coverage.last_bar is not None and coverage.covered_from <= wanted:
        assert plan.start > coverage.last_bar  # never asks again for days already cached
    new_from, new_through = merge_coverage(coverage, plan)
    assert new_from <= wanted and new_through >= last


# ---- cues ---------------------------------------------------------------------------------------
def bars_of(values: list[float]) -> pd.DataFrame:
    index = pd.DatetimeIndex(pd.date_range("2026-11-02", periods=len(values), freq="B"), name="date")
    return pd.DataFrame({"close": np.array(values, dtype=float)}, index=index)


closes = st.lists(st.floats(min_value=0.01, max_value=1e6) | st.just(float("nan")), min_size=0, max_size=12)


@pytest.mark.property
@given(closes)
def test_a_cue_has_the_sign_of_the_move_between_the_last_two_valid_closes(values):
    cue = cue_from_bars(GSPC, bars_of(values))
    valid = [(i, v) for i, v in enumerate(values) if not math.isnan(v)]
    for x in (cue.last, cue.change_pct):
        assert x is None or math.isfinite(x)
    if not valid:
        assert (cue.last, cue.change_pct, cue.as_of) == (None, None, None)
        return
    (i_last, last), prev = valid[-1], valid[-2][1] if len(valid) > 1 else None
    assert cue.last == last
    assert cue.as_of == bars_of(values).index[i_last].date()
    if prev is None:
        assert cue.change_pct is None
    else:
        assert cue.change_pct is not None
        assert np.sign(cue.change_pct) == np.sign(last - prev) or abs(cue.change_pct) < 1e-9


def test_a_non_positive_previous_close_gives_no_change():
    cue = cue_from_bars(GSPC, bars_of([-37.63, 10.01]))  # WTI, April 2020
    assert cue.last == 10.01 and cue.change_pct is None


# ---- normalising yfinance frames -----------------------------------------------------------------
def yf_frame(tz: str | None, dates: list[str], close: list[float]) -> pd.DataFrame:
    index = pd.to_datetime(pd.Index(dates))
    index = index.tz_localize(tz) if tz else index
    n = len(dates)
    return pd.DataFrame(
        {"Open": close, "High": close, "Low": close, "Close": close, "Volume": np.zeros(n, dtype=np.int64)},
        index=pd.DatetimeIndex(index, name="Date"),
    )


def test_bars_are_dated_in_the_exchanges_zone_and_drop_nan_closes():
    frame = yf_frame("America/New_York", ["2026-11-20", "2026-11-23", "2026-11-24"], [1.0, np.nan, 3.0])
    bars = to_daily_bars(frame, GSPC)
    assert list(bars.index) == [pd.Timestamp("2026-11-20"), pd.Timestamp("2026-11-24")]
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]


def test_a_download_frame_with_multiindex_columns_is_cut_to_the_ticker():
    one = yf_frame(None, ["2026-11-20", "2026-11-23"], [1.0, 2.0])
    other = yf_frame(None, ["2026-11-20", "2026-11-23"], [7.0, 8.0])
    both = pd.concat({"^GSPC": one, "^DJI": other}, axis=1, names=["Ticker", "Price"])
    both.columns = both.columns.swaplevel(0, 1)  # yf.download's default (Price, Ticker) layout
    assert to_daily_bars(both, GSPC)["close"].to_list() == [1.0, 2.0]


def test_a_frame_without_a_close_column_is_refused():
    frame = yf_frame(None, ["2026-11-20"], [1.0]).drop(columns="Close")
    with pytest.raises(DataValidationError, match="no Close column"):
        to_daily_bars(frame, GSPC)


def test_duplicate_dates_keep_the_last_row():
    frame = yf_frame("Asia/Kolkata", ["2026-11-20", "2026-11-20"], [1.0, 2.0])
    assert to_daily_bars(frame, NSEI)["close"].to_list() == [2.0]


@pytest.mark.property
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=20))
def test_normalised_bars_never_hold_a_non_finite_close(values):
    dates = [str(d.date()) for d in pd.date_range("2026-01-01", periods=len(values))]
    bars = to_daily_bars(yf_frame("Asia/Tokyo", dates, values), NIKKEI)
    assert np.isfinite(bars["close"].to_numpy()).all()
    assume(len(bars) > 0)
    assert bars.index.is_monotonic_increasing and not bars.index.has_duplicates
