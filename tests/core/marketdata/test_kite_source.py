"""KiteSource with the real kiteconnect client against the fake Kite server: quotes, chains, history."""

from __future__ import annotations

import asyncio
import itertools
import math
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from core.analytics.validation import validate_option_chain
from core.clock import IST, FixedClock
from core.config.schema import NiftyConfig
from core.domain.market import CHAIN_INPUT_COLUMNS, DataStatus, OptionContract
from core.errors import AuthenticationError, DataFetchError, DataValidationError
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.kite_instruments import NiftyContracts
from core.marketdata.ports import INDIA_VIX, NIFTY
from tests.fakes.kite_server import (
    FakeKiteMarket,
    kite_registry,
    kite_source,
    running,
    sqlite_sessions,
)

CAL = default_calendar()
NOW = datetime(2026, 11, 18, 11, 0, 30, tzinfo=IST)  # a Wednesday session
DEC29 = date(2026, 12, 29)  # the December monthly


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def market(clock):
    return FakeKiteMarket(CAL, clock)


@pytest.fixture
def server(market):
    with running(market) as srv:
        yield srv


@pytest.fixture
def sessions(tmp_path):
    with sqlite_sessions(tmp_path / "kite.db") as factory:
        yield factory


@pytest.fixture
def fast(server, sessions):
    """A source whose quote guard is not held to 1 request/s (for tests not about spacing)."""
    return kite_source(server, sessions, kite_registry(quote_rate=100))


async def test_three_expiries_of_61_strikes_are_366_options_in_one_quote_call(server, sessions, market):
    src = kite_source(server, sessions, kite_registry())
    expiries = (await src.expiries(NOW))[:3]
    spot = market.index_quote("NSE:NIFTY 50")["last_price"]
    frames = await src.chains(expiries, spot, 30, NOW)
    assert len(server.calls("quote")) == 1
    assert [len(frames[e]) for e in expiries] == [122, 122, 122]
    asked = server.calls("quote")[-1].params["i"]
    assert len(asked) == 366 and len(set(asked)) == 366
    for e, frame in frames.items():
        assert tuple(frame.columns) == CHAIN_INPUT_COLUMNS
        assert (frame["expiry"] == e).all()
        result = validate_option_chain(frame, now=NOW)
        assert result.valid, result.errors
        strikes = np.sort(frame["strike"].unique())
        assert len(strikes) == 61 and set(np.diff(strikes)) == {50.0}
        assert strikes[30] == round(spot / 50) * 50  # the listed strike nearest the centre is the middle


async def test_1452_options_take_three_quote_calls_at_least_a_second_apart(server, sessions):
    src = kite_source(server, sessions, kite_registry())  # Kite's real quote limit: 1 request/s
    expiries = await src.expiries(NOW)
    assert len(expiries) == 6
    frames = await src.chains(expiries, 23700.0, 60, NOW)
    assert sum(len(f) for f in frames.values()) == 1452
    calls = server.calls("quote")
    assert [len(c.params["i"]) for c in calls] == [500, 500, 452]
    gaps = [b.at - a.at for a, b in itertools.pairwise(calls)]
    assert min(gaps) >= 0.9, gaps


async def test_chain_rows_carry_what_kite_sent(fast, server, market):
    expiry = date(2026, 12, 1)
    frame = await fast.chain(expiry, 23700.0, 70, NOW)
    contracts = market.by_symbol()
    empty_bid = 0
    for row in frame.itertuples():
        sent = market.option_quote(contracts[row.tradingsymbol])
        buy, sell = sent["depth"]["buy"][0], sent["depth"]["sell"][0]
        assert row.instrument_token == sent["instrument_token"]
        if buy["price"] == 0:
            empty_bid += 1
            assert math.isnan(row.bid) and row.bid_qty == 0
        else:
            assert row.bid == buy["price"] and row.bid_qty == buy["quantity"]
        assert row.ask == sell["price"] and row.ask_qty == sell["quantity"]
        assert row.ltp == sent["last_price"] and row.oi == sent["oi"] and row.volume == sent["volume"]
        assert row.quote_time == datetime(2026, 11, 18, 11, 0, 30, tzinfo=IST)
        assert row.quote_time.tzinfo is not None
        assert row.lot_size == 65
    assert empty_bid > 0  # far strikes with no buyer become NaN, not 0


async def test_lot_size_comes_from_the_dump_per_contract(clock, sessions):
    market = FakeKiteMarket(CAL, clock, lot_sizes={DEC29: 75})  # a lot-size change in flight
    with running(market) as srv:
        src = kite_source(srv, sessions, kite_registry(quote_rate=100))
        frames = await src.chains([date(2026, 12, 1), DEC29], 23700.0, 5, NOW)
    assert set(frames[date(2026, 12, 1)]["lot_size"]) == {65}
    assert set(frames[DEC29]["lot_size"]) == {75}


async def test_contracts_are_found_by_expiry_strike_and_type_in_the_dump(fast, market):
    book = await fast.contracts(NOW)
    c = book.lookup(DEC29, 23700.0, "CE")
    assert c is not None and c.tradingsymbol == "NIFTY26DEC23700CE"
    assert c.instrument_token == market.by_symbol()["NIFTY26DEC23700CE"].token
    assert book.lookup(date(2026, 12, 1), 23700.0, "PE").tradingsymbol == "NIFTY26D0123700PE"
    assert book.lookup(DEC29, 23725.0, "CE") is None


def test_the_window_is_counted_in_listed_strikes_around_the_nearest_one():
    e = date(2026, 12, 1)
    listed = [23400.0, 23500.0, 23550.0, 23600.0, 23650.0, 23700.0, 23800.0, 24000.0]
    book = NiftyContracts(
        date(2026, 11, 18),
        NOW,
        [
            OptionContract(f"S{k:g}{t}", i, e, k, t, 65)
            for i, (k, t) in enumerate(itertools.product(listed, ("CE", "PE")))
        ],
    )
    assert book.window(e, 23640.0, 2) == [23550.0, 23600.0, 23650.0, 23700.0, 23800.0]
    assert book.window(e, 23625.0, 1) == [23550.0, 23600.0, 23650.0]  # a tie goes to the lower strike
    assert book.window(e, 23410.0, 2) == [23400.0, 23500.0, 23550.0]  # clipped at the edge
    assert book.window(e, 99999.0, 1) == [23800.0, 24000.0]
    assert book.window(date(2026, 12, 8), 23600.0, 3) == []
    assert len(book.chain_contracts(e, 23640.0, 2)) == 10


async def test_index_quotes_share_one_call_and_are_aware(fast, server, market):
    nifty, vix = await asyncio.gather(fast.index_quote(NIFTY, NOW), fast.index_quote(INDIA_VIX, NOW))
    assert len(server.calls("quote")) == 1
    sent = market.index_quote("NSE:NIFTY 50")
    assert nifty.last == sent["last_price"] and nifty.prev_close == sent["ohlc"]["close"]
    assert nifty.timestamp == datetime(2026, 11, 18, 11, 0, tzinfo=IST)
    assert vix.symbol == INDIA_VIX and 5 < vix.last < 60
    with pytest.raises(DataFetchError, match="BANKNIFTY") as err:
        await fast.index_quote("BANKNIFTY", NOW)
    assert not err.value.transient


async def test_expiries_drop_todays_after_the_fo_close(sessions):
    expiry_day = FixedClock(datetime(2026, 12, 1, 15, 39, tzinfo=IST))
    with running(FakeKiteMarket(CAL, expiry_day)) as srv:
        src = kite_source(srv, sessions, kite_registry())
        assert (await src.expiries(expiry_day.now()))[0] == date(2026, 12, 1)
        assert (await src.expiries(datetime(2026, 12, 1, 15, 41, tzinfo=IST)))[0] == date(2026, 12, 8)


async def test_minute_candles_are_aware_ist_and_leave_out_the_forming_bar(fast, server):
    frame = await fast.candles(NOW)
    assert str(frame.index.tz) == "Asia/Kolkata"
    assert frame.index[0] == pd.Timestamp("2026-11-18 09:15", tz=IST)
    assert frame.index[-1] == pd.Timestamp("2026-11-18 10:59", tz=IST)  # 11:00 is still forming
    assert len(frame) == 105 and list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert (frame["high"] >= frame["low"]).all()
    call = server.calls("historical")[-1]
    assert call.path == "/instruments/historical/256265/minute"
    assert call.params["from"] == ["2026-11-18 09:15:00"] and call.params["to"] == ["2026-11-18 11:00:30"]


async def test_no_candles_before_the_open_or_on_a_holiday(fast, server):
    assert (await fast.candles(datetime(2026, 11, 18, 9, 0, tzinfo=IST))).empty
    assert (await fast.candles(datetime(2026, 11, 24, 11, 0, tzinfo=IST))).empty  # Guru Nanak Jayanti
    assert server.calls("historical") == []


async def test_daily_history_ends_the_day_before_and_is_indexed_by_date(fast, server):
    nifty = await fast.daily_history(NIFTY, NOW, 300)
    vix = await fast.daily_history(INDIA_VIX, NOW, 300)
    assert len(nifty) == 300 and list(nifty.columns) == ["close", "high", "low"]
    assert nifty.index[-1] == pd.Timestamp("2026-11-17") and nifty.index.tz is None
    assert nifty.index.is_monotonic_increasing and not nifty.index.has_duplicates
    assert (nifty["high"] >= nifty["close"]).all() and (nifty["low"] <= nifty["close"]).all()
    assert len(vix) == 300 and vix["close"].between(5, 80).all()
    assert [c.path for c in server.calls("historical")] == [
        "/instruments/historical/256265/day",
        "/instruments/historical/264969/day",
    ]


async def test_a_long_daily_history_is_split_into_spans_kite_accepts(fast, server):
    frame = await fast.daily_history(NIFTY, NOW, 1500)  # ~2,130 calendar days: two requests
    calls = server.calls("historical")
    assert len(calls) == 2
    spans = [
        (datetime.fromisoformat(c.params["to"][0]) - datetime.fromisoformat(c.params["from"][0])).days
        for c in calls
    ]
    assert max(spans) < 2000
    assert not frame.index.has_duplicates and frame.index[-1] == pd.Timestamp("2026-11-17")


async def test_global_cues_are_not_kites_job(fast, server):
    with pytest.raises(DataFetchError, match="Yahoo") as err:
        await fast.global_cues(NOW)
    assert not err.value.transient and server.requests == []


async def test_last_prices_come_from_quote_ltp_a_thousand_at_a_time(fast, server, market):
    keys = [f"NFO:{c.symbol}" for c in market.contracts()[:1001]]
    prices = await fast.last_prices(keys)
    assert len(prices) == 1001
    assert [len(c.params["i"]) for c in server.calls("ltp")] == [1000, 1]
    first = market.option_quote(market.contracts()[0])
    assert prices[keys[0]] == first["last_price"]


async def test_a_bad_chain_request_is_refused_before_any_call(fast, server):
    with pytest.raises(DataValidationError, match="finite positive centre"):
        await fast.chain(date(2026, 12, 1), float("nan"), 10, NOW)
    assert server.calls("quote") == []


async def test_a_naive_now_is_refused(fast, server):
    naive = datetime(2026, 11, 18, 11, 0)
    for call in (fast.expiries(naive), fast.candles(naive), fast.index_quote(NIFTY, naive)):
        with pytest.raises(ValueError, match="aware"):
            await call
    assert server.requests == []


async def test_an_expiry_kite_does_not_list_gives_an_empty_frame(fast):
    frame = await fast.chain(date(2026, 12, 2), 23700.0, 10, NOW)
    assert frame.empty and tuple(frame.columns) == CHAIN_INPUT_COLUMNS


async def test_without_an_access_token_nothing_is_sent(server, sessions):
    src = kite_source(server, sessions, kite_registry(), access_token="")
    with pytest.raises(AuthenticationError, match="/login"):
        await src.index_quote(NIFTY, NOW)
    assert server.requests == []


async def test_the_snapshot_engine_builds_a_snapshot_from_kite(fast, server):
    snap = await SnapshotEngine(fast, CAL, NiftyConfig()).build(NOW)
    for part in ("spot", "vix", "chain", "candles"):
        assert snap.parts[part].status is DataStatus.FRESH, (part, snap.parts[part])
    assert snap.parts["global"].status is DataStatus.FAILED and "Yahoo" in snap.parts["global"].error
    # two weeklies and the nearest monthly, which is the 23 Nov weekly itself (24 Nov is a holiday)
    assert [c.expiry for c in snap.chains] == [date(2026, 11, 23), date(2026, 12, 1)]
    near = snap.chain()
    assert near.analytics is not None and near.analytics.atm_iv is not None
    assert near.frame["iv"].notna().mean() > 0.8
    assert snap.technicals is not None
    assert len(server.calls("instruments")) == 1  # concurrent callers share one download
    assert len(server.calls("quote")) == 2  # both indices in one call, then every expiry in one batch


def test_the_fake_dump_lists_current_nifty_contracts(market):
    contracts = market.contracts(date(2026, 11, 18))
    expiries = sorted({c.expiry for c in contracts})
    assert expiries == [date(2026, 11, 23), *(date(2026, 12, 1) + timedelta(weeks=w) for w in range(5))]
    assert all(e.weekday() == 1 for e in expiries[1:])  # Tuesdays; 24 Nov is a holiday, so the 23rd
    assert {c.lot_size for c in contracts} == {65}
    assert all(c.strike % 50 == 0 for c in contracts)


def _keys(value, prefix=""):
    """Every key path of a JSON value (list items share one path)."""
    if isinstance(value, dict):
        return {p for k, v in value.items() for p in {f"{prefix}{k}", *_keys(v, f"{prefix}{k}.")}}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return _keys(value[0], f"{prefix}[].")
    return set()


def test_the_fake_serves_the_shapes_of_zerodhas_mocks(server, market):
    from kiteconnect import KiteConnect

    from tests.fakes.kite_server import load

    kite = KiteConnect(server.api_key, access_token=next(iter(server.access_tokens)), root=server.url)
    option = f"NFO:{market.contracts()[0].symbol}"
    served = {
        "quote_option.json": kite.quote([option])[option],
        "quote_index.json": kite.quote(["NSE:NIFTY 50"])["NSE:NIFTY 50"],
        "ltp.json": kite.ltp([option])[option],
        "ohlc.json": kite.ohlc([option])[option],
    }
    for name, entry in served.items():
        template = next(iter(load(name)["data"].values()))
        assert _keys(entry) == _keys(template), name
    assert _keys(kite.profile()) == _keys(load("profile.json")["data"])
    candle = kite.historical_data(256265, "2026-11-18 09:15:00", "2026-11-18 09:20:00", "minute")[0]
    assert set(candle) == {"date", "open", "high", "low", "close", "volume"}
    assert len(load("historical_minute.json")["data"]["candles"][0]) == 6
    day = kite.historical_data(256265, "2026-11-10 00:00:00", "2026-11-17 23:59:59", "day")[-1]
    assert set(day) == set(candle) and len(load("historical_day.json")["data"]["candles"][0]) == 6
    assert day["date"] == datetime(2026, 11, 17, tzinfo=IST) and day["high"] >= day["close"] >= day["low"]
