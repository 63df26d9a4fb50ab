"""Write the synthetic Yahoo recordings in this directory (run once; the CSVs are committed).

The machine that built niftybot cannot reach Yahoo, so these frames are SYNTHETIC: seeded random walks
at realistic November-2026 levels, laid out exactly as ``yfinance`` 1.7 returns
``Ticker(t).history(start=..., end=..., interval="1d", auto_adjust=True, actions=False, keepna=True)``
(see README.md). Prices go through float32 as Yahoo's JSON does (25910.05 arrives as 25910.05078125).

Deliberate quirks, each used by a test:

- ^NSEI: a NaN row on the 10 Nov 2026 holiday (Yahoo emits such rows) and no row at all for
  18 Nov 2026, a trading day (a gap in Yahoo's data).
- ^INDIAVIX: a NaN close on 13 Nov 2026.
- ^GSPC: a NaN row on 23 Nov 2026 between two valid closes.
- ^N225: no rows on Japanese holidays (23 Nov 2026, Labour Thanksgiving Day).
- BZ=F: NaN on its latest day, 27 Nov 2026.
- DX-Y.NYB: empty, in the shape of ``yfinance.utils.empty_df()``.

Run: ``.venv/bin/python tests/data/yahoo/synthesize.py``
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from core.market_hours import default_calendar

HERE = Path(__file__).parent
NSE_START, GLOBAL_START, END = date(2025, 6, 2), date(2026, 10, 1), date(2026, 11, 27)
US_HOLIDAYS = {date(2026, 11, 26)}  # Thanksgiving
JP_HOLIDAYS = {date(2026, 11, 3), date(2026, 11, 23)}
HK_HOLIDAYS = {date(2026, 10, 1), date(2026, 10, 19)}

# ticker: (file stem, exchange time zone, last level, daily vol, volume scale, holidays)
SPECS: dict[str, tuple[str, str, float, float, int, set[date]]] = {
    "^NSEI": ("NSEI", "Asia/Kolkata", 25960.0, 0.008, 280_000, set()),
    "^INDIAVIX": ("INDIAVIX", "Asia/Kolkata", 12.1, 0.025, 0, set()),
    "^GSPC": ("GSPC", "America/New_York", 6890.0, 0.009, 4_200_000_000, US_HOLIDAYS),
    "^IXIC": ("IXIC", "America/New_York", 23480.0, 0.012, 7_900_000_000, US_HOLIDAYS),
    "^DJI": ("DJI", "America/New_York", 47950.0, 0.008, 520_000_000, US_HOLIDAYS),
    "^N225": ("N225", "Asia/Tokyo", 49800.0, 0.012, 140_000_000, JP_HOLIDAYS),
    "^HSI": ("HSI", "Asia/Hong_Kong", 25900.0, 0.013, 3_100_000_000, HK_HOLIDAYS),
    "ES=F": ("ES_F", "America/New_York", 6925.0, 0.009, 1_300_000, US_HOLIDAYS),
    "NQ=F": ("NQ_F", "America/New_York", 25780.0, 0.012, 520_000, US_HOLIDAYS),
    "CL=F": ("CL_F", "America/New_York", 59.8, 0.02, 310_000, US_HOLIDAYS),
    "BZ=F": ("BZ_F", "America/New_York", 63.7, 0.018, 42_000, US_HOLIDAYS),
    "INR=X": ("INR_X", "Europe/London", 89.45, 0.002, 0, set()),
    "^TNX": ("TNX", "America/New_York", 4.112, 0.015, 0, US_HOLIDAYS),
}


def _rng(ticker: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.blake2b(ticker.encode(), digest_size=8).digest()))


def _days(ticker: str, holidays: set[date]) -> list[date]:
    if ticker in ("^NSEI", "^INDIAVIX"):
        return default_calendar().trading_days_between(NSE_START, END)
    out, d = [], GLOBAL_START
    while d <= END:
        if d.weekday() < 5 and d not in holidays:
            out.append(d)
        d += timedelta(days=1)
    return out


def _f32(x: np.ndarray) -> np.ndarray:
    """Round to 2 (or 3) decimals and pass through float32, as Yahoo's chart JSON does."""
    return np.round(x, 3).astype(np.float32).astype(np.float64)


def frame(ticker: str) -> pd.DataFrame:
    _stem, tz, level, vol, volume_scale, holidays = SPECS[ticker]
    days = _days(ticker, holidays)
    rng = _rng(ticker)
    rets = rng.normal(0.0002, vol, len(days))
    close = level * np.exp(np.cumsum(rets) - np.cumsum(rets)[-1])  # ends at the last level
    gap = rng.normal(0, vol / 3, len(days))
    open_ = np.concatenate([[close[0]], close[:-1]]) * np.exp(gap)
    span = np.abs(rng.normal(vol * 0.8, vol / 4, len(days)))
    high = np.maximum(open_, close) * (1 + span / 2)
    low = np.minimum(open_, close) * (1 - span / 2)
    volume = (rng.uniform(0.6, 1.4, len(days)) * volume_scale).astype(np.int64)
    index = pd.to_datetime(pd.Index(days)).tz_localize(tz)
    index.name = "Date"
    df = pd.DataFrame(
        {"Open": _f32(open_), "High": _f32(high), "Low": _f32(low), "Close": _f32(close), "Volume": volume},
        index=index,
    )
    nan_days: list[date] = []
    if ticker == "^NSEI":
        df = df.drop(index=df.index[df.index.date == date(2026, 11, 18)])
        holiday_row = pd.DataFrame(
            {c: [np.nan] for c in ("Open", "High", "Low", "Close")} | {"Volume": [0]},
            index=pd.DatetimeIndex([pd.Timestamp("2026-11-10", tz=tz)], name="Date"),
        )
        df = pd.concat([df, holiday_row]).sort_index()
    if ticker == "^INDIAVIX":
        nan_days = [date(2026, 11, 13)]
    if ticker == "^GSPC":
        nan_days = [date(2026, 11, 23)]
    if ticker == "BZ=F":
        nan_days = [date(2026, 11, 27)]
    for d in nan_days:
        mask = df.index.date == d
        df.loc[mask, ["Open", "High", "Low", "Close"]] = np.nan
        df.loc[mask, "Volume"] = 0
    df["Volume"] = df["Volume"].astype(np.int64)
    df.index.name = "Date"
    return df


def main() -> None:
    manifest: dict[str, object] = {
        "shape": "yfinance 1.7 Ticker.history(interval='1d', auto_adjust=True, actions=False, keepna=True)",
        "provenance": "synthetic (tests/data/yahoo/synthesize.py); no Yahoo data",
        "tickers": {},
    }
    tickers: dict[str, dict[str, str]] = {}
    for ticker, (stem, tz, *_rest) in SPECS.items():
        frame(ticker).to_csv(HERE / f"{stem}.csv")
        tickers[ticker] = {"file": f"{stem}.csv", "tz": tz}
    empty = pd.DataFrame(columns=["Open", "High", "Low", "Close", "Adj Close", "Volume"])
    empty.index.name = "Date"
    empty.to_csv(HERE / "DX-Y_NYB.csv")
    tickers["DX-Y.NYB"] = {"file": "DX-Y_NYB.csv", "tz": "America/New_York"}
    manifest["tickers"] = tickers
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
