"""The recorded frames are in yfinance's exact shape, and RecordedFetcher serves them as yfinance would.

The last test runs yfinance's own ``Ticker.history`` parser, offline: a ``requests.Session`` subclass
answers Yahoo's chart API from the same recorded bars (no socket is opened), and the frame yfinance
builds must equal what ``RecordedFetcher`` serves. If a yfinance upgrade changes its output shape,
this is the test that says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pytest
import requests
import yfinance
import yfinance.utils
from yfinance.exceptions import YFPricesMissingError

from core.marketdata.yahoo import (
    ALL_TICKERS,
    RecordedFetcher,
    empty_yfinance_frame,
    record_recordings,
    yfinance_shape_problems,
)

DATA = Path(__file__).parents[2] / "data" / "yahoo"
ZONES = {t.symbol: t.tz for t in ALL_TICKERS}
MANIFEST = json.loads((DATA / "manifest.json").read_text())


def test_every_ticker_the_source_uses_is_recorded_with_its_exchange_zone():
    assert {t: e["tz"] for t, e in MANIFEST["tickers"].items()} == ZONES


@pytest.mark.parametrize("ticker", sorted(ZONES))
def test_every_recording_has_yfinances_shape(ticker):
    frame = RecordedFetcher(DATA).recording(ticker)
    assert yfinance_shape_problems(frame, ZONES[ticker]) == []


def test_the_empty_frame_is_yfinances_own():
    pd.testing.assert_frame_equal(empty_yfinance_frame(), yfinance.utils.empty_df())


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda f: f.tz_localize(None), "zone"),
        (lambda f: f.astype({"Volume": "float64"}), "Volume is float64"),
        (lambda f: f[["Close", "Open", "High", "Low", "Volume"]], "columns"),
        (lambda f: f.iloc[::-1], "increasing"),
        (lambda f: f.set_axis(f.index + pd.Timedelta(hours=9, minutes=15)), "midnight"),
    ],
)
def test_the_shape_check_notices_a_different_shape(damage, problem):
    frame = damage(RecordedFetcher(DATA).recording("^NSEI"))
    assert any(problem in p for p in yfinance_shape_problems(frame, "Asia/Kolkata"))


def test_a_range_is_start_inclusive_end_exclusive_in_exchange_dates():
    fetcher = RecordedFetcher(DATA)
    frame = fetcher.history("^GSPC", date(2026, 11, 20), date(2026, 11, 24))
    assert [d.date() for d in frame.index] == [date(2026, 11, 20), date(2026, 11, 23)]
    assert fetcher.calls == [("^GSPC", date(2026, 11, 20), date(2026, 11, 24))]


def test_a_range_without_bars_and_an_unknown_ticker_give_the_empty_frame():
    fetcher = RecordedFetcher(DATA)
    for ticker, start, end in [("^GSPC", date(2026, 11, 28), date(2026, 11, 30)), ("^NOPE", date(2026, 1, 1), date(2026, 2, 1))]:  # fmt: skip
        pd.testing.assert_frame_equal(fetcher.history(ticker, start, end), empty_yfinance_frame())


def test_served_frames_are_copies():
    fetcher = RecordedFetcher(DATA)
    frame = fetcher.history("^NSEI", date(2026, 11, 1), date(2026, 11, 24))
    frame.loc[:, "Close"] = -1.0
    again = fetcher.history("^NSEI", date(2026, 11, 1), date(2026, 11, 24))
    assert (again["Close"].dropna() > 0).all()


def test_queued_failures_are_raised_once_each():
    fetcher = RecordedFetcher(DATA)
    fetcher.fail_next("^DJI", TimeoutError("slow"))
    with pytest.raises(TimeoutError):
        fetcher.history("^DJI", date(2026, 11, 1), date(2026, 11, 24))
    assert not fetcher.history("^DJI", date(2026, 11, 1), date(2026, 11, 24)).empty
    assert fetcher.calls_for("^DJI") == 2


# ---- yfinance's own parser on the recorded bars -------------------------------------------------
def _chart(recorded: pd.DataFrame, symbol: str, tz: str, period1: int, period2: int) -> dict[str, Any]:
    """Yahoo's v8 chart answer for the recorded bars in [period1, period2) (Unix seconds).

    Yahoo stamps a daily bar at its session's opening instant; 09:30 local stands in for that.
    """
    if recorded.empty:
        return {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found"}}}
    stamps = recorded.index + pd.Timedelta(hours=9, minutes=30)
    seconds = np.asarray(
        (stamps.tz_convert("UTC").tz_localize(None) - pd.Timestamp(0)) // pd.Timedelta(seconds=1)
    )
    keep = (seconds >= period1) & (seconds < period2)
    rows, seconds = recorded[keep], seconds[keep]
    if rows.empty:
        return {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found"}}}

    def column(name: str) -> list[float | None]:
        return [float(x) if np.isfinite(x) else None for x in rows[name]]

    offset = int(pd.Timestamp(rows.index[-1]).utcoffset().total_seconds())
    period = {"timezone": "X", "start": 0, "end": 0, "gmtoffset": offset}
    meta = {
        "currency": "USD", "symbol": symbol, "exchangeName": "X", "instrumentType": "INDEX",
        "firstTradeDate": 0, "regularMarketTime": int(seconds[-1]), "gmtoffset": offset, "timezone": "X",
        "exchangeTimezoneName": tz, "regularMarketPrice": 1.0, "chartPreviousClose": 1.0, "priceHint": 2,
        "currentTradingPeriod": {"pre": period, "regular": period, "post": period},
        "dataGranularity": "1d", "range": "", "validRanges": ["1d", "5d", "1mo", "1y", "max"],
    }  # fmt: skip
    quote = {c.lower(): column(c) for c in ("Open", "High", "Low", "Close")}
    quote["volume"] = [int(v) for v in rows["Volume"]]
    result = {
        "meta": meta,
        "timestamp": [int(s) for s in seconds],
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": column("Close")}]},
    }
    return {"chart": {"result": [result], "error": None}}


class RecordedYahoo(requests.Session):
    """A requests session that answers Yahoo from the recordings; it never opens a socket."""

    def __init__(self, fetcher: RecordedFetcher) -> None:
        super().__init__()
        self.fetcher = fetcher

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        url = url.decode() if isinstance(url, bytes) else url
        params = kwargs.get("params") or {}
        response = requests.Response()
        response.status_code, response.url = 200, url
        response.headers["Content-Type"] = "application/json"
        if "/v8/finance/chart/" in url:
            symbol = unquote(url.rsplit("/", 1)[1])
            recorded = self.fetcher.recording(symbol)
            tz = ZONES[symbol]
            if "range" in params:  # yfinance asking for the ticker's time zone only
                recorded = self.fetcher.recording("^GSPC") if recorded.empty else recorded
                body = _chart(recorded, symbol, tz, 0, 2**40)
            else:
                body = _chart(recorded, symbol, tz, int(params["period1"]), int(params["period2"]))
            response._content = json.dumps(body).encode()
        else:  # cookie and crumb endpoints
            response._content = b"crumb"
        return response


@pytest.fixture(scope="module")
def offline_yahoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedYahoo]:
    yfinance.set_tz_cache_location(str(tmp_path_factory.mktemp("yfinance-cache")))
    hidden = yfinance.config.debug.hide_exceptions
    yfinance.config.debug.hide_exceptions = False
    try:
        yield RecordedYahoo(RecordedFetcher(DATA))
    finally:
        yfinance.config.debug.hide_exceptions = hidden


@pytest.mark.parametrize("ticker", sorted(ZONES))
def test_yfinance_builds_the_same_frame_from_the_same_bars(offline_yahoo, ticker):
    start, end = date(2026, 10, 1), date(2026, 11, 28)
    expected = offline_yahoo.fetcher.history(ticker, start, end)

    def history() -> pd.DataFrame:
        return yfinance.Ticker(ticker, session=offline_yahoo).history(
            start=start.isoformat(), end=end.isoformat(), interval="1d",
            auto_adjust=True, actions=False, keepna=True,
        )  # fmt: skip

    if expected.empty:  # Yahoo says "no data": yfinance raises, YFinanceFetcher turns that into empty_df()
        with pytest.raises(YFPricesMissingError):
            history()
        return
    pd.testing.assert_frame_equal(history(), expected, check_freq=False)


def test_recording_writes_files_that_read_back_identically(tmp_path):
    source = RecordedFetcher(DATA)  # stands in for YFinanceFetcher: same protocol, no network
    problems = record_recordings(source, tmp_path, date(2026, 10, 1), date(2026, 11, 28), provenance="test")
    assert problems == {t: [] for t in ZONES}
    again = RecordedFetcher(tmp_path)
    for ticker in ZONES:
        pd.testing.assert_frame_equal(
            again.recording(ticker), source.history(ticker, date(2026, 10, 1), date(2026, 11, 28))
        )
