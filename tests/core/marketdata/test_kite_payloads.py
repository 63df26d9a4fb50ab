"""Kite payloads are checked at the edge: NaN, negative and missing values never reach the frames."""

from __future__ import annotations

import copy
import math
from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from core.clock import IST
from core.domain.market import CHAIN_INPUT_COLUMNS, OptionContract
from core.errors import DataFetchError
from core.marketdata.kite_payloads import candles_frame, chain_frame, index_quotes, option_quotes
from core.marketdata.ports import INDIA_VIX, NIFTY
from tests.fakes.kite_server import load

ENTRY = next(iter(load("quote_option.json")["data"].values()))
KEY = "NFO:NIFTY26D0123700CE"
CONTRACT = OptionContract("NIFTY26D0123700CE", 10624258, date(2026, 12, 1), 23700.0, "CE", 65)


def entry(**changes):
    e = copy.deepcopy(ENTRY)
    e["timestamp"] = datetime(2026, 11, 18, 11, 0)  # what the client hands over: naive IST
    e.update(changes)
    return e


def test_a_quote_becomes_one_row_with_the_best_levels_and_an_aware_time():
    frame = chain_frame([CONTRACT], option_quotes({KEY: entry()}), {10624258: 4_000_000})
    assert tuple(frame.columns) == CHAIN_INPUT_COLUMNS
    row = frame.iloc[0]
    assert (row.bid, row.bid_qty, row.ask, row.ask_qty) == (278.85, 650, 281.25, 1495)
    assert row.ltp == 280.55 and row.oi == 4364620 and row.oi_change == 364620 and row.volume == 11401138
    assert row.quote_time == datetime(2026, 11, 18, 11, 0, tzinfo=IST)


def test_empty_or_zero_sides_and_an_untraded_option_are_nan_not_zero():
    no_bid = {"buy": [], "sell": [{"price": 0, "quantity": 0, "orders": 0}]}
    frame = chain_frame([CONTRACT], option_quotes({KEY: entry(depth=no_bid, last_price=0)}), {})
    row = frame.iloc[0]
    assert math.isnan(row.bid) and math.isnan(row.ask) and math.isnan(row.ltp)
    assert row.bid_qty == 0 and row.ask_qty == 0
    assert row.oi_change == 0  # no recorded close for it


@pytest.mark.parametrize(
    "bad",
    [
        {"last_price": float("nan")},
        {"last_price": -1.0},
        {"oi": float("inf")},
        {"timestamp": None},
        {"depth": {"buy": [{"price": -0.05, "quantity": 65}], "sell": []}},
    ],
)
def test_nan_negative_or_missing_values_are_refused(bad):
    with pytest.raises(ValidationError):
        option_quotes({KEY: entry(**bad)})


def test_contracts_kite_did_not_quote_are_left_out():
    other = OptionContract("NIFTY26D0123700PE", 10624514, date(2026, 12, 1), 23700.0, "PE", 65)
    frame = chain_frame([CONTRACT, other], option_quotes({KEY: entry()}), {})
    assert list(frame["tradingsymbol"]) == ["NIFTY26D0123700CE"]
    assert chain_frame([other], {}, {}).empty


def test_index_quotes_take_the_previous_close_from_ohlc():
    data = copy.deepcopy(load("quote_index.json")["data"])
    for e in data.values():
        e["timestamp"] = datetime(2026, 11, 18, 11, 0)
    quotes = index_quotes(data)
    assert quotes[NIFTY].last == 23723.59 and quotes[NIFTY].prev_close == 23945.4
    assert quotes[INDIA_VIX].timestamp.tzinfo is not None
    del data["NSE:INDIA VIX"]
    with pytest.raises(DataFetchError, match="no entry for NSE:INDIA VIX"):
        index_quotes(data)


def test_candles_are_ist_and_bad_candles_are_refused():
    plus_0530 = timezone(timedelta(hours=5, minutes=30))
    rec = {"date": datetime(2026, 11, 18, 9, 15, tzinfo=plus_0530), "open": 1.0, "high": 2.0, "low": 0.5}
    frame = candles_frame([{**rec, "close": 1.5, "volume": 0}], "candles")
    assert str(frame.index.tz) == "Asia/Kolkata" and frame.index[0].hour == 9
    for bad in ({**rec, "close": float("nan"), "volume": 0}, {**rec, "close": 0.0, "volume": 0}, rec):
        with pytest.raises(DataFetchError, match="malformed candles") as err:
            candles_frame([bad], "candles")
        assert not err.value.transient
    assert candles_frame([], "candles").empty
