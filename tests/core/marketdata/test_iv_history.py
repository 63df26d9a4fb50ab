"""IV history: bounds, database-enforced 5-minute de-duplication, daily closes, proxies from India VIX."""

from __future__ import annotations

import math
import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from core.clock import IST
from core.config.schema import NiftyConfig
from core.errors import DataValidationError
from core.market_hours import default_calendar
from core.marketdata.engine import IVHistoryProvider, SnapshotEngine
from core.marketdata.iv_history import (
    BUCKET,
    IVHistoryStore,
    RecordOutcome,
    bucket_of,
)
from core.marketdata.simulator import SimulatedMarket
from core.persistence.models.iv_history import IVSnapshotRow

CAL = default_calendar()


def at(day: int, hh: int, mm: int, ss: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hh, mm, ss, tzinfo=IST)


def row_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(IVSnapshotRow.__table__)).scalar_one()


# ---- bucket assignment (pure) -------------------------------------------------------------------
aware_moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@pytest.mark.property
@given(aware_moments, st.sampled_from([UTC, IST, timezone(timedelta(hours=-5))]))
def test_a_bucket_is_the_five_minute_slot_that_contains_the_moment(moment, tz):
    local = moment.astimezone(tz)
    b = bucket_of(local)
    assert b == bucket_of(moment)  # the same instant in any zone is the same slot
    start = datetime(1970, 1, 1, tzinfo=UTC) + b * BUCKET
    assert start <= moment < start + BUCKET


@pytest.mark.property
@given(aware_moments, st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=20)))
def test_buckets_are_monotone_and_moments_in_one_slot_are_under_five_minutes_apart(moment, step):
    later = moment + step
    assert bucket_of(later) >= bucket_of(moment)
    if bucket_of(later) == bucket_of(moment):
        assert step < BUCKET


def test_ist_slots_start_on_the_five_minutes():
    assert bucket_of(at(25, 9, 19, 59)) == bucket_of(at(25, 9, 15))
    assert bucket_of(at(25, 9, 20)) == bucket_of(at(25, 9, 15)) + 1


def test_bucket_of_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="aware"):
        bucket_of(datetime(2026, 11, 25, 9, 15))


# ---- recording --------------------------------------------------------------------------------


@pytest.mark.db
def test_a_snapshot_comes_back_with_its_values_and_an_aware_time(engine):
    store = IVHistoryStore(engine)
    taken = at(25, 10, 2, 30)
    assert (
        store.record(taken, 13.8, india_vix=12.4, spot=25980.5, expiry=date(2026, 12, 1))
        is RecordOutcome.STORED
    )
    [snap] = store.snapshots(at(25, 0, 0), at(26, 0, 0))
    assert snap.taken_at == taken and snap.taken_at.tzinfo is not None
    assert (snap.atm_iv_pct, snap.india_vix, snap.spot, snap.expiry) == (
        13.8,
        12.4,
        25980.5,
        date(2026, 12, 1),
    )
    assert snap.atm_iv == pytest.approx(0.138) and not snap.is_proxy
    assert snap.day == date(2026, 11, 25)


@pytest.mark.db
@pytest.mark.parametrize("bad", [None, float("nan"), float("inf"), 0.0, 0.49, 200.01, -5.0, 1400.0])
def test_iv_outside_half_to_two_hundred_percent_is_refused(engine, bad):
    store = IVHistoryStore(engine)
    with pytest.raises(DataValidationError, match="ATM IV not stored"):
        store.record(at(25, 10, 0), bad)
    assert row_count(engine) == 0


@pytest.mark.db
@pytest.mark.parametrize("edge", [0.5, 200.0])
def test_the_bounds_themselves_are_accepted(engine, edge):
    assert IVHistoryStore(engine).record(at(25, 10, 0), edge) is RecordOutcome.STORED


@pytest.mark.db
def test_a_naive_timestamp_is_refused(engine):
    with pytest.raises(DataValidationError, match="timezone-aware"):
        IVHistoryStore(engine).record(datetime(2026, 11, 25, 10, 0), 14.0)


@pytest.mark.db
@pytest.mark.parametrize(("field", "value"), [("india_vix", float("nan")), ("spot", -1.0), ("spot", 0.0)])
def test_a_broken_vix_or_spot_is_refused_not_stored_as_nan(engine, field, value):
    with pytest.raises(DataValidationError, match=field.replace("india_vix", "India VIX")):
        IVHistoryStore(engine).record(at(25, 10, 0), 14.0, **{field: value})


@pytest.mark.db
def test_the_database_itself_refuses_an_out_of_bounds_iv(engine):
    row = {"bucket": 1, "taken_at": at(25, 10, 0), "day": date(2026, 11, 25), "atm_iv_pct": 250.0}
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(IVSnapshotRow.__table__).values(is_proxy=False, **row))


# ---- de-duplication ---------------------------------------------------------------------------
@pytest.mark.db
def test_a_second_snapshot_in_the_same_five_minutes_is_a_duplicate_and_the_first_is_kept(engine):
    store = IVHistoryStore(engine)
    assert store.record(at(25, 10, 0, 5), 14.0) is RecordOutcome.STORED
    assert store.record(at(25, 10, 4, 59), 15.0) is RecordOutcome.DUPLICATE
    assert store.record(at(25, 10, 5), 16.0) is RecordOutcome.STORED
    assert [s.atm_iv_pct for s in store.snapshots(at(25, 0, 0), at(26, 0, 0))] == [14.0, 16.0]


@pytest.mark.db
def test_the_database_enforces_one_row_per_slot(engine):
    row = {"taken_at": at(25, 10, 0), "day": date(2026, 11, 25), "atm_iv_pct": 14.0, "is_proxy": False}
    with engine.begin() as conn:
        conn.execute(insert(IVSnapshotRow.__table__).values(bucket=bucket_of(at(25, 10, 0)), **row))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(IVSnapshotRow.__table__).values(bucket=bucket_of(at(25, 10, 3)), **row))


def race(stores: list[IVHistoryStore], moment: datetime) -> list[RecordOutcome]:
    """Both stores record into ``moment``'s slot at the same instant (a barrier releases them)."""
    barrier = threading.Barrier(len(stores))
    outcomes: list[RecordOutcome] = []
    errors: list[BaseException] = []

    def insert_one(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(stores[i].record(moment + timedelta(seconds=i), 14.0 + i))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=insert_one, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    return outcomes


@pytest.mark.db
def test_two_concurrent_inserts_in_one_slot_leave_one_row(engine):
    stores = [IVHistoryStore(engine), IVHistoryStore(engine)]
    for minute in (0, 5, 10, 15):
        outcomes = race(stores, at(25, 11, minute))
        assert sorted(outcomes) == sorted([RecordOutcome.STORED, RecordOutcome.DUPLICATE])
    assert row_count(engine) == 4


# ---- daily closes and the decimal series --------------------------------------------------------
@pytest.fixture
def filled(engine) -> IVHistoryStore:
    store = IVHistoryStore(engine)
    store.record(at(20, 9, 20), 13.0)
    store.record(at(20, 15, 25), 13.5)  # Friday's close
    store.record(at(23, 9, 20), 14.0)
    store.record(at(23, 15, 35), 14.4)  # Monday's close (15:40 session)
    # 23:45 UTC on the 24th is 05:15 IST on the 25th: it belongs to the 25th
    store.record(datetime(2026, 11, 24, 23, 45, tzinfo=UTC), 15.0)
    store.record(at(25, 10, 0), 15.2)  # today in the tests below
    return store


@pytest.mark.db
def test_the_daily_close_is_the_last_snapshot_of_each_ist_day(filled):
    closes = filled.daily_closes(date(2026, 11, 1), date(2026, 11, 30))
    assert [(c.day, c.atm_iv_pct) for c in closes] == [
        (date(2026, 11, 20), 13.5),
        (date(2026, 11, 23), 14.4),
        (date(2026, 11, 25), 15.2),
    ]


@pytest.mark.db
def test_iv_history_is_decimal_closes_before_today_indexed_by_date(filled):
    series = filled.iv_history(at(25, 11, 0))
    assert list(series.index) == [pd.Timestamp("2026-11-20"), pd.Timestamp("2026-11-23")]
    assert series.index.name == "date" and series.dtype == float
    assert series.to_list() == pytest.approx([0.135, 0.144])
    assert filled.iv_history(at(25, 11, 0), days=1).to_list() == pytest.approx([0.144])


@pytest.mark.db
def test_no_history_is_an_empty_series_not_a_neutral_value(engine):
    series = IVHistoryStore(engine).iv_history(at(25, 11, 0))
    assert series.empty and series.dtype == float


@pytest.mark.db
def test_range_queries_are_half_open(filled):
    got = filled.snapshots(at(23, 9, 20), at(23, 15, 35))
    assert [s.atm_iv_pct for s in got] == [14.0]


# ---- proxies from India VIX ---------------------------------------------------------------------
def vix_closes(values: dict[str, float]) -> pd.DataFrame:
    index = pd.DatetimeIndex([pd.Timestamp(d) for d in values], name="date")
    return pd.DataFrame({"close": list(values.values())}, index=index)


@pytest.mark.db
def test_backfill_adds_flagged_proxies_only_for_days_without_snapshots(filled):
    report = filled.backfill_from_vix(
        vix_closes(
            {
                "2026-11-18": 12.1,
                "2026-11-19": float("nan"),  # refused, not stored
                "2026-11-20": 12.9,  # has real snapshots: left alone
                "2026-11-21": 250.0,  # out of bounds: refused
            }
        )
    )
    assert (report.inserted, report.existing, len(report.refused)) == (1, 1, 2)
    closes = filled.daily_closes(date(2026, 11, 18), date(2026, 11, 20))
    assert [(c.day, c.atm_iv_pct, c.is_proxy) for c in closes] == [
        (date(2026, 11, 18), 12.1, True),
        (date(2026, 11, 20), 13.5, False),
    ]
    [proxy] = closes[:1]
    assert proxy.taken_at == at(18, 15, 30) and proxy.india_vix == 12.1
    assert filled.iv_history(at(25, 11, 0)).to_list() == pytest.approx([0.121, 0.135, 0.144])
    assert filled.iv_history(at(25, 11, 0), include_proxy=False).to_list() == pytest.approx([0.135, 0.144])


@pytest.mark.db
def test_backfill_twice_inserts_nothing_new(engine):
    store = IVHistoryStore(engine)
    data = vix_closes({"2026-11-18": 12.1, "2026-11-19": 12.6})
    assert store.backfill_from_vix(data).inserted == 2
    again = store.backfill_from_vix(data)
    assert (again.inserted, again.existing) == (0, 2)
    assert row_count(engine) == 2


@pytest.mark.db
def test_a_real_snapshot_outranks_a_proxy_and_replaces_it_in_its_slot(engine):
    store = IVHistoryStore(engine)
    store.backfill_from_vix(vix_closes({"2026-11-18": 12.1, "2026-11-19": 12.6}))
    assert store.record(at(18, 11, 0), 11.5) is RecordOutcome.STORED  # earlier than the 15:30 proxy
    assert store.record(at(19, 15, 31), 12.2) is RecordOutcome.REPLACED_PROXY
    closes = store.daily_closes(date(2026, 11, 18), date(2026, 11, 19))
    assert [(c.atm_iv_pct, c.is_proxy) for c in closes] == [(11.5, False), (12.2, False)]
    assert row_count(engine) == 3  # the 18th keeps its proxy row; the 19th's was replaced


@pytest.mark.db
async def test_backfill_from_a_source_uses_its_india_vix_history(engine):
    market = SimulatedMarket(CAL, seed=7)
    store = IVHistoryStore(engine)
    now = at(25, 9, 0)
    report = await store.backfill(market, now, days=120)
    vix = await market.daily_history("INDIA VIX", now, 120)
    assert report.inserted == 120
    history = store.iv_history(now, days=120)
    assert history.to_numpy() == pytest.approx(vix["close"].to_numpy() / 100.0)
    assert all(math.isfinite(x) for x in history)


@pytest.mark.db
async def test_the_store_feeds_the_snapshot_engine_iv_percentile(engine):
    market = SimulatedMarket(CAL, seed=7)
    store: IVHistoryProvider = IVHistoryStore(engine)
    now = at(25, 11, 0)
    empty = await SnapshotEngine(market, CAL, NiftyConfig(), iv_history=store).build(now)
    assert empty.vol is not None and empty.vol.iv_percentile is None  # unknown, never 50.0
    await IVHistoryStore(engine).backfill(market, now, days=252)
    full = await SnapshotEngine(market, CAL, NiftyConfig(), iv_history=store).build(now)
    assert full.vol is not None and full.vol.iv_percentile is not None
    assert 0.0 <= full.vol.iv_percentile <= 100.0
