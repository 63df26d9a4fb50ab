"""YahooSource on recorded frames: cues, history, the database cache, error mapping and the breaker."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from yfinance.exceptions import YFDataException, YFRateLimitError

from core.clock import IST
from core.config.schema import BreakerConfig, EngineConfig, NiftyConfig, SourceLimits
from core.domain.market import DataStatus
from core.errors import (
    DataFetchError,
    DataValidationError,
    RateLimitedError,
    SourceUnavailableError,
)
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.ports import INDIA_VIX, NIFTY
from core.marketdata.simulator import SimulatedMarket
from core.marketdata.yahoo import GLOBAL_CUES, RecordedFetcher, YahooSource
from core.resilience.breaker import BreakerState
from core.resilience.guard import CallRecord, GuardRegistry

pytestmark = pytest.mark.db

DATA = Path(__file__).parents[2] / "data" / "yahoo"
CAL = default_calendar()
NOW = datetime(2026, 11, 25, 8, 45, tzinfo=IST)  # Wednesday before the open; 24 Nov was an NSE holiday
CUE_SYMBOLS = [
    "^GSPC", "^IXIC", "^DJI", "^N225", "^HSI", "ES=F", "NQ=F", "CL=F", "BZ=F", "INR=X", "^TNX", "DX-Y.NYB",
]  # fmt: skip


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def make_registry(
    sleeps: Sleeps | None = None, ticks: Ticks | None = None, *, threshold: int = 5, retries: int = 3
) -> GuardRegistry:
    cfg = EngineConfig(
        rate_limits={
            "yahoo": SourceLimits(rate_per_second=1000, burst=1000, timeout_seconds=5, max_retries=retries)
        },
        breaker=BreakerConfig(failure_threshold=threshold, recovery_seconds=60),
    )
    return GuardRegistry(cfg, sleep=sleeps or Sleeps(), monotonic=ticks or Ticks())


@pytest.fixture
def fetcher() -> RecordedFetcher:
    return RecordedFetcher(DATA)


def make_source(fetcher, engine, registry: GuardRegistry | None = None) -> YahooSource:
    return YahooSource(fetcher, engine, registry or make_registry(), calendar=CAL)


def closes(fetcher: RecordedFetcher, ticker: str) -> pd.Series:
    """The recorded closes by exchange-local date (NaN rows included)."""
    frame = fetcher.recording(ticker)
    return pd.Series(frame["Close"].to_numpy(), index=[d.date() for d in frame.index])


def by_symbol(cues) -> dict:
    return {c.symbol: c for c in cues}


# ---- global cues --------------------------------------------------------------------------------
async def test_every_cue_arrives_in_order_with_no_nan_anywhere(fetcher, engine):
    cues = await make_source(fetcher, engine).global_cues(NOW)
    assert [c.symbol for c in cues] == CUE_SYMBOLS == [t.symbol for t in GLOBAL_CUES]
    for cue in cues:
        for value in (cue.last, cue.change_pct):
            assert value is None or math.isfinite(value)
    known = [c for c in cues if c.symbol != "DX-Y.NYB"]
    assert all(c.as_of == date(2026, 11, 24) and c.last is not None for c in known)
    assert by_symbol(cues)["CL=F"].kind == "commodity" and by_symbol(cues)["^TNX"].kind == "rate"


async def test_change_is_against_the_previous_valid_close_skipping_nan_rows(fetcher, engine):
    cues = by_symbol(await make_source(fetcher, engine).global_cues(NOW))
    gspc = closes(fetcher, "^GSPC")
    assert math.isnan(gspc[date(2026, 11, 23)])  # the recorded NaN row between two valid closes
    expected = (gspc[date(2026, 11, 24)] / gspc[date(2026, 11, 20)] - 1) * 100
    assert cues["^GSPC"].last == gspc[date(2026, 11, 24)]
    assert cues["^GSPC"].change_pct == pytest.approx(expected, rel=1e-12)
    nikkei = closes(fetcher, "^N225")  # 23 Nov is a Japanese holiday: no row at all
    assert date(2026, 11, 23) not in nikkei.index
    assert cues["^N225"].change_pct == pytest.approx(
        (nikkei[date(2026, 11, 24)] / nikkei[date(2026, 11, 20)] - 1) * 100, rel=1e-12
    )


async def test_a_nan_latest_bar_leaves_the_last_valid_close(fetcher, engine):
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=IST)  # after Friday 27 Nov in New York
    brent = by_symbol(await make_source(fetcher, engine).global_cues(saturday))["BZ=F"]
    recorded = closes(fetcher, "BZ=F")
    assert math.isnan(recorded[date(2026, 11, 27)])
    assert brent.as_of == date(2026, 11, 25)  # 26 Nov was Thanksgiving, 27 Nov is NaN
    assert brent.last == recorded[date(2026, 11, 25)]
    assert brent.change_pct == pytest.approx(
        (recorded[date(2026, 11, 25)] / recorded[date(2026, 11, 24)] - 1) * 100, rel=1e-12
    )


async def test_an_empty_frame_gives_a_cue_of_nones_and_a_warning(fetcher, engine, caplog):
    with caplog.at_level(logging.WARNING, logger="core.marketdata.yahoo"):
        dxy = by_symbol(await make_source(fetcher, engine).global_cues(NOW))["DX-Y.NYB"]
    assert (dxy.last, dxy.change_pct, dxy.as_of) == (None, None, None)
    assert any("DX-Y.NYB" in r.getMessage() and "unknown" in r.getMessage() for r in caplog.records)


async def test_a_frame_whose_closes_are_all_nan_gives_a_cue_of_nones(fetcher, engine, caplog):
    frame = fetcher.recording("INR=X")
    frame[["Open", "High", "Low", "Close"]] = float("nan")
    fetcher.set_frame("INR=X", frame)
    with caplog.at_level(logging.WARNING, logger="core.marketdata.yahoo"):
        inr = by_symbol(await make_source(fetcher, engine).global_cues(NOW))["INR=X"]
    assert (inr.last, inr.change_pct, inr.as_of) == (None, None, None)
    assert any("every close is NaN" in r.getMessage() for r in caplog.records)


async def test_a_ticker_that_raises_does_not_take_the_others_down(fetcher, engine, caplog):
    fetcher.fail_next("^HSI", *[ConnectionError("connection reset by peer")] * 4)
    with caplog.at_level(logging.WARNING, logger="core.marketdata.yahoo"):
        cues = by_symbol(await make_source(fetcher, engine).global_cues(NOW))
    assert cues["^HSI"].last is None and cues["^HSI"].change_pct is None
    assert all(cues[s].last is not None for s in CUE_SYMBOLS if s not in ("^HSI", "DX-Y.NYB"))
    assert any("^HSI" in r.getMessage() and "could not be reached" in r.getMessage() for r in caplog.records)


async def test_when_every_ticker_fails_and_nothing_is_cached_the_cues_fail(fetcher, engine):
    for symbol in CUE_SYMBOLS:
        fetcher.fail_next(symbol, TimeoutError("read timed out"))
    source = make_source(fetcher, engine, make_registry(retries=0, threshold=100))
    with pytest.raises(DataFetchError, match="every Yahoo request failed") as err:
        await source.global_cues(NOW)
    assert err.value.transient


async def test_a_failed_refresh_serves_the_cached_cue(fetcher, engine):
    source = make_source(fetcher, engine)
    before = by_symbol(await source.global_cues(NOW))["^GSPC"]
    fetcher.fail_next("^GSPC", *[ConnectionError("down")] * 4)
    later = by_symbol(await source.global_cues(NOW + timedelta(days=1)))["^GSPC"]
    assert later == before  # as_of still says 24 Nov: the reader sees how old it is


# ---- the cache ----------------------------------------------------------------------------------
async def test_a_second_call_is_served_from_the_cache(fetcher, engine):
    source = make_source(fetcher, engine)
    first = await source.global_cues(NOW)
    history = await source.daily_history(NIFTY, NOW, 300)
    calls = len(fetcher.calls)
    assert calls == len(CUE_SYMBOLS) + 1
    assert await source.global_cues(NOW + timedelta(hours=1)) == first
    again = await source.daily_history(NIFTY, NOW + timedelta(hours=1), 300)
    pd.testing.assert_frame_equal(again, history)
    assert len(fetcher.calls) == calls


async def test_a_restart_on_the_same_database_does_not_refetch(fetcher, engine):
    first = await make_source(fetcher, engine).global_cues(NOW)
    history = await make_source(fetcher, engine).daily_history(INDIA_VIX, NOW, 250)
    restarted = RecordedFetcher(DATA)
    source = make_source(restarted, engine)  # a new process: new source, new fetcher, same database
    assert await source.global_cues(NOW) == first
    pd.testing.assert_frame_equal(await source.daily_history(INDIA_VIX, NOW, 250), history)
    assert restarted.calls == []


async def test_a_new_session_fetches_only_the_missing_days(fetcher, engine):
    source = make_source(fetcher, engine)
    await source.global_cues(NOW)
    await source.daily_history(NIFTY, NOW, 300)
    fetcher.calls.clear()
    thursday = NOW + timedelta(days=1)  # Wednesday 25 Nov has closed everywhere
    cues = by_symbol(await source.global_cues(thursday))
    history = await source.daily_history(NIFTY, thursday, 300)
    asked = {t: (start, end) for t, start, end in fetcher.calls}
    assert asked["^GSPC"] == (date(2026, 11, 25), date(2026, 11, 26))  # end is exclusive, as in yfinance
    assert asked["^NSEI"] == (date(2026, 11, 24), date(2026, 11, 26))  # from the day after the last bar
    assert cues["^GSPC"].as_of == date(2026, 11, 25)
    assert history.index[-1] == pd.Timestamp("2026-11-25") and len(history) == 300


async def test_a_missing_last_bar_is_asked_again_only_after_the_staleness_limit(fetcher, engine):
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=IST)  # the last US session is Friday 27 Nov
    source = make_source(fetcher, engine)
    await source.global_cues(saturday)
    fetcher.calls.clear()
    await source.global_cues(saturday + timedelta(hours=20))  # within global_seconds (24 h)
    assert fetcher.calls == []
    await source.global_cues(saturday + timedelta(hours=26))
    asked = {t: (start, end) for t, start, end in fetcher.calls}
    # complete tickers are left alone; BZ=F (NaN on the 27th) and DX-Y.NYB (no bars) are asked again
    assert set(asked) == {"BZ=F", "DX-Y.NYB"}
    assert asked["BZ=F"] == (date(2026, 11, 26), date(2026, 11, 28))


async def test_concurrent_requests_for_one_ticker_fetch_once(fetcher, engine):
    source = make_source(fetcher, engine)
    a, b = await asyncio.gather(source.daily_history(NIFTY, NOW, 100), source.daily_history(NIFTY, NOW, 100))
    pd.testing.assert_frame_equal(a, b)
    assert fetcher.calls_for("^NSEI") == 1


# ---- daily history ------------------------------------------------------------------------------
async def test_nifty_history_is_close_high_low_before_today_without_nan_rows(fetcher, engine):
    history = await make_source(fetcher, engine).daily_history(NIFTY, NOW, 300)
    assert list(history.columns) == ["close", "high", "low"]
    assert isinstance(history.index, pd.DatetimeIndex) and history.index.name == "date"
    assert history.index.tz is None and history.index.is_monotonic_increasing
    assert len(history) == 300 and history.index[-1] == pd.Timestamp("2026-11-23")
    assert pd.Timestamp("2026-11-10") not in history.index  # the NaN row Yahoo sent for the holiday
    assert pd.Timestamp("2026-11-18") not in history.index  # missing at Yahoo: left missing, not invented
    assert history.notna().all().all()
    recorded = closes(fetcher, "^NSEI")
    assert history.loc["2026-11-23", "close"] == recorded[date(2026, 11, 23)]


async def test_vix_history_is_close_only_and_skips_the_nan_close(fetcher, engine):
    history = await make_source(fetcher, engine).daily_history(INDIA_VIX, NOW, 252)
    assert list(history.columns) == ["close"] and len(history) == 252
    assert pd.Timestamp("2026-11-13") not in history.index
    assert history["close"].between(5, 40).all()


async def test_history_after_the_close_includes_nothing_from_today(fetcher, engine):
    evening = datetime(2026, 11, 25, 17, 0, tzinfo=IST)  # today's bar is final and gets cached...
    source = make_source(fetcher, engine)
    history = await source.daily_history(NIFTY, evening, 50)
    assert history.index[-1] == pd.Timestamp("2026-11-23")  # ...but the port returns bars before today
    assert fetcher.calls[-1][2] == date(2026, 11, 26)
    tomorrow = await source.daily_history(NIFTY, evening + timedelta(hours=16), 50)
    assert tomorrow.index[-1] == pd.Timestamp("2026-11-25") and fetcher.calls_for("^NSEI") == 1


async def test_history_of_another_symbol_is_refused(fetcher, engine):
    with pytest.raises(DataFetchError, match="NIFTY and India VIX only") as err:
        await make_source(fetcher, engine).daily_history("NIFTY BANK", NOW, 10)
    assert not err.value.transient


async def test_history_is_served_from_the_cache_when_yahoo_fails(fetcher, engine, caplog):
    source = make_source(fetcher, engine)
    cached = await source.daily_history(NIFTY, NOW, 100)
    fetcher.fail_next("^NSEI", *[ConnectionError("down")] * 4)
    with caplog.at_level(logging.WARNING, logger="core.marketdata.yahoo"):
        later = await source.daily_history(NIFTY, NOW + timedelta(days=1), 100)
    assert later.index[-1] == cached.index[-1]
    assert any("serving the cache" in r.getMessage() for r in caplog.records)


async def test_a_frame_in_an_unknown_shape_is_a_validation_error(fetcher, engine):
    frame = fetcher.recording("^NSEI").rename(columns={"Close": "Last"})
    fetcher.set_frame("^NSEI", frame)
    with pytest.raises(DataValidationError, match="no Close column"):
        await make_source(fetcher, engine).daily_history(NIFTY, NOW, 10)


# ---- errors, retries and the breaker -----------------------------------------------------------
async def test_a_rate_limit_is_retried_after_a_wait_and_then_succeeds(fetcher, engine):
    sleeps = Sleeps()
    registry = make_registry(sleeps)
    records: list[CallRecord] = []
    registry.add_call_observer(records.append)
    fetcher.fail_next("^NSEI", YFRateLimitError())
    history = await make_source(fetcher, engine, registry).daily_history(NIFTY, NOW, 20)
    assert len(history) == 20
    assert fetcher.calls_for("^NSEI") == 2 and len(sleeps.waits) == 1
    assert records[-1].ok and records[-1].attempts == 2 and records[-1].source == "yahoo"


async def test_a_persistent_rate_limit_becomes_rate_limited_error(fetcher, engine):
    fetcher.fail_next("^NSEI", *[YFRateLimitError()] * 4)
    with pytest.raises(RateLimitedError, match="rate-limiting") as err:
        await make_source(fetcher, engine, make_registry(retries=3)).daily_history(NIFTY, NOW, 20)
    assert err.value.source == "yahoo" and err.value.transient
    assert fetcher.calls_for("^NSEI") == 4


@pytest.mark.parametrize(
    ("error", "transient", "calls"),
    [
        (ConnectionError("reset"), True, 3),
        (OSError("network unreachable"), True, 3),
        (YFDataException("*** YAHOO! FINANCE IS CURRENTLY DOWN! ***"), True, 3),
        (KeyError("chart"), False, 1),
    ],
)
async def test_library_errors_map_to_typed_fetch_errors(fetcher, engine, error, transient, calls):
    fetcher.fail_next("^INDIAVIX", *[error] * 3)
    with pytest.raises(DataFetchError) as err:
        await make_source(fetcher, engine, make_registry(retries=2)).daily_history(INDIA_VIX, NOW, 20)
    assert err.value.transient is transient and err.value.source == "yahoo"
    assert fetcher.calls_for("^INDIAVIX") == calls


async def test_repeated_failures_open_the_breaker_and_recovery_closes_it(fetcher, engine):
    ticks = Ticks()
    registry = make_registry(ticks=ticks, threshold=2, retries=0)
    source = make_source(fetcher, engine, registry)
    fetcher.fail_next("^NSEI", ConnectionError("down"), ConnectionError("down"))
    for _ in range(2):
        with pytest.raises(DataFetchError, match="could not be reached"):
            await source.daily_history(NIFTY, NOW, 20)
    assert registry.breaker("yahoo").state is BreakerState.OPEN
    with pytest.raises(SourceUnavailableError, match="circuit breaker open"):
        await source.daily_history(NIFTY, NOW, 20)
    assert fetcher.calls_for("^NSEI") == 2  # refused without calling Yahoo
    ticks.t += 61  # past recovery_seconds: one trial call is let through
    assert len(await source.daily_history(NIFTY, NOW, 20)) == 20
    assert registry.breaker("yahoo").state is BreakerState.CLOSED


@pytest.mark.parametrize("method", ["index_quote", "expiries", "chain", "candles"])
async def test_quotes_chains_and_candles_are_not_yahoos_job(fetcher, engine, method):
    source = make_source(fetcher, engine)
    args = {
        "index_quote": (NIFTY, NOW),
        "expiries": (NOW,),
        "chain": (date(2026, 12, 1), 26000.0, 30, NOW),
        "candles": (NOW,),
    }[method]
    with pytest.raises(DataFetchError, match="Yahoo Finance does not provide") as err:
        await getattr(source, method)(*args)
    assert not err.value.transient
    assert fetcher.calls == []


async def test_refresh_warms_every_ticker_and_reports_failures(fetcher, engine):
    fetcher.fail_next("^TNX", *[ConnectionError("down")] * 4)
    source = make_source(fetcher, engine)
    report = await source.refresh(NOW)
    assert set(report) == {"^NSEI", "^INDIAVIX", *CUE_SYMBOLS}
    assert [t for t, err in report.items() if err] == ["^TNX"]
    calls = len(fetcher.calls)
    await source.daily_history(NIFTY, NOW, 300)
    await source.global_cues(NOW)
    assert len(fetcher.calls) == calls + 1  # only ^TNX is asked again


# ---- through the snapshot engine ----------------------------------------------------------------
class KiteStandIn(SimulatedMarket):
    """Quotes and chains from the simulator, daily history and cues from Yahoo (the MARKET_DATA=kite split)."""

    def __init__(self, yahoo: YahooSource) -> None:
        super().__init__(CAL, seed=7)
        self.yahoo = yahoo

    async def daily_history(self, symbol, now, days):
        return await self.yahoo.daily_history(symbol, now, days)

    async def global_cues(self, now):
        return await self.yahoo.global_cues(now)


async def test_the_snapshot_engine_takes_its_vol_picture_and_cues_from_yahoo(fetcher, engine):
    market = KiteStandIn(make_source(fetcher, engine))
    snap = await SnapshotEngine(market, CAL, NiftyConfig(), iv_history=market).build(
        datetime(2026, 11, 25, 11, 0, tzinfo=IST)
    )
    assert snap.parts["global"].status is DataStatus.FRESH
    assert [c.symbol for c in snap.global_cues] == CUE_SYMBOLS
    vol = snap.vol
    assert vol is not None and vol.known, vol
    assert vol.vix == pytest.approx(closes(fetcher, "^INDIAVIX")[date(2026, 11, 23)])
