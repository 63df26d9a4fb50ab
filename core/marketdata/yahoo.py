"""Yahoo Finance (seed: ``sources/vix.py``, ``sources/global_markets.py``, ``sources/crude_oil.py``).

Yahoo gives the daily history of NIFTY (^NSEI) and India VIX (^INDIAVIX) and the overnight global
cues; quotes, chains and candles come from Kite or the simulator. The layers, outside in:

- ``YahooFetcher``: the seam. ``YFinanceFetcher`` calls yfinance (no base-URL setting, never run in
  tests); ``RecordedFetcher`` serves recorded frames in yfinance's exact shape, counts calls and can be
  told to fail.
- ``YahooBarCache``: daily bars and fetch coverage in the database, so restarts and repeated briefs
  do not refetch.
- ``YahooSource``: the ``MarketDataSource`` methods Yahoo can serve. Every fetch goes through
  ``registry.guard("yahoo", "yahoo")`` (breaker, ~5 calls/min limit, timeout, retries).

Freshness rule (per ticker). ``last_session`` is the latest day whose bar is final at ``now``: a
session day (NSE calendar for ^NSEI/^INDIAVIX, Monday-Friday elsewhere) whose ``settled_at`` time in
the ticker's exchange zone has passed. The cached data is fresh when the coverage already asked of
Yahoo spans ``[wanted_from, last_session]`` AND either the cache holds a bar for ``last_session`` or
the last fetch is younger than ``EngineConfig.staleness.global_seconds`` (a holiday or a Yahoo gap is
asked again at most that often). Otherwise ONE request fetches only what is missing: the days before
the coverage when history must reach further back, else the days after the last cached bar. The
request ends at ``last_session``, so an unfinished bar is never cached. When a fetch fails, the cached
bars are served and the failure is logged.

Error mapping: ``YFRateLimitError`` → ``RateLimitedError``; network errors (``OSError``, which covers
requests' and curl_cffi's exceptions) and "Yahoo is down" → transient ``DataFetchError``; a frame in an
unexpected shape → ``DataValidationError``; anything else → non-transient ``DataFetchError``. Empty
frames and NaN rows are normal: they are data ("nothing for that day"), not errors.

Units: prices in the instrument's quote units (index points, USD per barrel, INR per USD, yield in
percent for ^TNX); ``change_pct`` in percent; bar dates are exchange-local dates.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol, cast
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from yfinance.exceptions import YFDataException, YFException, YFRateLimitError

from core.analytics.validation import validate_yfinance_data
from core.domain.market import GlobalCue, IndexQuote
from core.errors import (
    CalendarCoverageError,
    ConfigError,
    DataFetchError,
    DataValidationError,
    NiftyBaseError,
    RateLimitedError,
)
from core.market_hours import NSECalendar
from core.marketdata.ports import INDIA_VIX, NIFTY
from core.persistence.db import session_factory, transaction
from core.persistence.models.yahoo import YahooDailyBar, YahooFetch
from core.resilience.guard import GuardRegistry

log = logging.getLogger(__name__)

SOURCE = "yahoo"
ONE_DAY = timedelta(days=1)
CUE_LOOKBACK = timedelta(days=14)  # a cue uses closes from the 14 days before its last session
YF_COLUMNS = ("Open", "High", "Low", "Close", "Volume")
BAR_COLUMNS = ("open", "high", "low", "close", "volume")

CueKind = Literal["index", "future", "commodity", "fx", "rate"]


# ---- tickers --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class YahooTicker:
    """A Yahoo ticker and when its daily bar is final.

    ``tz`` is the zone Yahoo dates the ticker's bars in (its exchange); ``settled_at`` is the local
    time after which the day's bar is final (the close plus a margin for late prints).
    """

    symbol: str
    name: str
    kind: CueKind
    tz: str
    settled_at: time
    nse: bool = False  # sessions follow the NSE calendar

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


_NY = "America/New_York"
NSEI = YahooTicker("^NSEI", "NIFTY 50", "index", "Asia/Kolkata", time(16, 30), nse=True)
INDIAVIX = YahooTicker("^INDIAVIX", "India VIX", "index", "Asia/Kolkata", time(16, 30), nse=True)
GLOBAL_CUES: tuple[YahooTicker, ...] = (
    YahooTicker("^GSPC", "S&P 500", "index", _NY, time(17, 0)),
    YahooTicker("^IXIC", "Nasdaq", "index", _NY, time(17, 0)),
    YahooTicker("^DJI", "Dow Jones", "index", _NY, time(17, 0)),
    YahooTicker("^N225", "Nikkei 225", "index", "Asia/Tokyo", time(16, 30)),
    YahooTicker("^HSI", "Hang Seng", "index", "Asia/Hong_Kong", time(17, 0)),
    YahooTicker("ES=F", "S&P 500 futures", "future", _NY, time(18, 0)),
    YahooTicker("NQ=F", "Nasdaq futures", "future", _NY, time(18, 0)),
    YahooTicker("CL=F", "WTI crude", "commodity", _NY, time(18, 0)),
    YahooTicker("BZ=F", "Brent crude", "commodity", _NY, time(18, 0)),
    YahooTicker("INR=X", "USD/INR", "fx", "Europe/London", time(23, 30)),
    YahooTicker("^TNX", "US 10Y yield", "rate", _NY, time(17, 0)),
    YahooTicker("DX-Y.NYB", "US dollar index", "fx", _NY, time(18, 0)),
)
ALL_TICKERS: tuple[YahooTicker, ...] = (NSEI, INDIAVIX, *GLOBAL_CUES)
_HISTORY = {NIFTY: NSEI, INDIA_VIX: INDIAVIX, NSEI.symbol: NSEI, INDIAVIX.symbol: INDIAVIX}


# ---- the fetcher seam ----------------------------------------------------------------------------
class YahooFetcher(Protocol):
    """Daily bars of one ticker exactly as yfinance returns them. Blocking: the source runs it in a thread.

    ``history(ticker, start, end)`` returns the bars dated ``start <= day < end`` (END EXCLUSIVE, as in
    yfinance) in the shape of ``yfinance.Ticker(ticker).history(start, end, interval="1d",
    auto_adjust=True, actions=False, keepna=True)``: columns Open, High, Low, Close (float64) and
    Volume (int64, 0 on NaN rows); a DatetimeIndex named ``Date`` at midnight in the exchange's zone;
    NaN rows kept. With no bars it returns ``yfinance.utils.empty_df()`` (see
    :func:`empty_yfinance_frame`). It raises ``YFRateLimitError`` on HTTP 429 and lets network errors
    (``OSError`` subclasses) through.
    """

    def history(self, ticker: str, start: date, end: date) -> pd.DataFrame: ...


def empty_yfinance_frame() -> pd.DataFrame:
    """What yfinance returns when Yahoo has no bars (``yfinance.utils.empty_df()``, same shape)."""
    frame = pd.DataFrame(
        index=[], data={c: np.nan for c in ("Open", "High", "Low", "Close", "Adj Close", "Volume")}
    )
    frame.index.name = "Date"
    return frame


def yfinance_shape_problems(frame: pd.DataFrame, tz: str) -> list[str]:
    """How ``frame`` differs from the shape documented on :class:`YahooFetcher` (empty when it matches).

    Used by the tests on every recording, and worth running on a fresh real recording.
    """
    if frame.empty:
        expected = empty_yfinance_frame()
        same = list(frame.columns) == list(expected.columns) and frame.index.name == "Date"
        return [] if same else [f"empty frame has columns {list(frame.columns)}, index {frame.index.name!r}"]
    problems: list[str] = []
    if tuple(frame.columns) != YF_COLUMNS:
        problems.append(f"columns {list(frame.columns)} are not {list(YF_COLUMNS)}")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.name != "Date":
        problems.append(f"index is {type(index).__name__} {index.name!r}, not a DatetimeIndex 'Date'")
    else:
        if str(index.tz) != tz:
            problems.append(f"index zone {index.tz} is not {tz}")
        if (
            index.tz is not None
            and not (index.tz_localize(None) == index.tz_localize(None).normalize()).all()
        ):
            problems.append("bars are not stamped at local midnight")
        if not index.is_monotonic_increasing or index.has_duplicates:
            problems.append("dates are not strictly increasing")
    for column in ("Open", "High", "Low", "Close"):
        if column in frame and frame[column].dtype != np.float64:
            problems.append(f"{column} is {frame[column].dtype}, not float64")
    if "Volume" in frame and frame["Volume"].dtype != np.int64:
        problems.append(f"Volume is {frame['Volume'].dtype}, not int64")
    return problems


class YFinanceFetcher:
    """The real fetcher: ``yfinance.Ticker.history``. Reaches Yahoo over the internet; never used in tests.

    yfinance turns network errors into empty frames unless ``yf.config.debug.hide_exceptions`` is
    False; this sets it (a process-wide yfinance setting, the way yfinance documents it) so outages
    reach the guard as errors. "No price data" answers become :func:`empty_yfinance_frame`.
    """

    def __init__(self, timeout_seconds: float = 10.0) -> None:
        import yfinance

        yfinance.config.debug.hide_exceptions = False
        self._yf = yfinance
        self.timeout_seconds = timeout_seconds

    def history(self, ticker: str, start: date, end: date) -> pd.DataFrame:
        from yfinance.exceptions import YFTickerMissingError

        try:
            frame = self._yf.Ticker(ticker).history(
                start=start.isoformat(),
                end=end.isoformat(),
                interval="1d",
                auto_adjust=True,
                actions=False,
                keepna=True,
                timeout=self.timeout_seconds,
            )
        except YFTickerMissingError:  # Yahoo answered: no bars for this ticker and range
            return empty_yfinance_frame()
        return cast(pd.DataFrame, frame)


def read_recording(path: Path, tz: str) -> pd.DataFrame:
    """A frame written by ``DataFrame.to_csv`` from a yfinance frame, back in yfinance's shape."""
    raw = pd.read_csv(path)
    if raw.empty:
        frame = empty_yfinance_frame()
        return frame[[c for c in raw.columns if c != "Date"]]
    index = pd.DatetimeIndex(pd.to_datetime(raw.pop("Date"), utc=True)).tz_convert(tz)
    index.name = "Date"
    dtypes = {c: ("int64" if c == "Volume" else "float64") for c in raw.columns}
    frame = raw.astype(dtypes)
    frame.index = index
    return frame


def _cached_recording(path: Path, tz: str) -> pd.DataFrame:
    """``read_recording`` memoised on the file's identity and modification time (tests build many)."""
    stat = path.stat()
    return _read_recording_once(str(path.resolve()), stat.st_mtime_ns, tz)


@functools.lru_cache(maxsize=64)
def _read_recording_once(path: str, _mtime_ns: int, tz: str) -> pd.DataFrame:
    return read_recording(Path(path), tz)


def record_recordings(
    fetcher: YahooFetcher,
    directory: Path,
    start: date,
    end: date,
    tickers: Iterable[YahooTicker] = ALL_TICKERS,
    provenance: str = "recorded from Yahoo Finance with YFinanceFetcher",
) -> dict[str, list[str]]:
    """Record every ticker's bars in ``[start, end)`` into ``directory`` (CSV + manifest.json).

    Returns the shape problems found per ticker (empty lists when yfinance's shape is as documented).
    """
    directory.mkdir(parents=True, exist_ok=True)
    entries: dict[str, dict[str, str]] = {}
    problems: dict[str, list[str]] = {}
    for spec in tickers:
        frame = fetcher.history(spec.symbol, start, end)
        name = spec.symbol.replace("^", "").replace("=", "_").replace(".", "_") + ".csv"
        frame.to_csv(directory / name)
        entries[spec.symbol] = {"file": name, "tz": spec.tz}
        problems[spec.symbol] = yfinance_shape_problems(frame, spec.tz)
    manifest = {"provenance": provenance, "tickers": entries}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return problems


class RecordedFetcher:
    """Serves recorded frames (``manifest.json`` + one CSV per ticker) as yfinance would.

    A call for ``[start, end)`` gets the recorded rows in that range, or the empty frame when there
    are none or the ticker was never recorded. ``calls`` logs every call; ``fail_next`` queues
    exceptions the next calls for a ticker raise instead; ``set_frame`` replaces a ticker's recording.
    """

    def __init__(self, directory: Path | str) -> None:
        root = Path(directory)
        manifest = json.loads((root / "manifest.json").read_text("utf-8"))
        self._frames: dict[str, pd.DataFrame] = {
            ticker: _cached_recording(root / entry["file"], entry["tz"]).copy()
            for ticker, entry in manifest["tickers"].items()
        }
        self._failures: dict[str, list[BaseException]] = {}
        self._lock = threading.Lock()
        self.calls: list[tuple[str, date, date]] = []

    @property
    def tickers(self) -> list[str]:
        return sorted(self._frames)

    def recording(self, ticker: str) -> pd.DataFrame:
        return self._frames[ticker].copy()

    def calls_for(self, ticker: str) -> int:
        with self._lock:
            return sum(1 for t, _, _ in self.calls if t == ticker)

    def fail_next(self, ticker: str, *errors: BaseException) -> None:
        with self._lock:
            self._failures.setdefault(ticker, []).extend(errors)

    def set_frame(self, ticker: str, frame: pd.DataFrame) -> None:
        with self._lock:
            self._frames[ticker] = frame.copy()

    def history(self, ticker: str, start: date, end: date) -> pd.DataFrame:
        with self._lock:
            self.calls.append((ticker, start, end))
            queued = self._failures.get(ticker)
            error = queued.pop(0) if queued else None
            frame = self._frames.get(ticker)
        if error is not None:
            raise error
        if frame is None or frame.empty:
            return empty_yfinance_frame()
        index = cast(pd.DatetimeIndex, frame.index)
        local = index.tz_localize(None) if index.tz is not None else index
        keep = (local >= pd.Timestamp(start)) & (local < pd.Timestamp(end))
        return frame[keep].copy() if keep.any() else empty_yfinance_frame()


# ---- frames → bars --------------------------------------------------------------------------------
def _empty_bars() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=float) for c in BAR_COLUMNS}, index=pd.DatetimeIndex([], name="date")
    )


def _single_ticker(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """A ``yf.download`` frame (MultiIndex columns Price x Ticker) cut down to one ticker."""
    if not isinstance(frame.columns, pd.MultiIndex):
        return frame
    for level in range(frame.columns.nlevels):
        if symbol in frame.columns.get_level_values(level):
            return cast(pd.DataFrame, frame.xs(symbol, axis=1, level=level))
    raise DataValidationError(
        f"Yahoo's answer for {symbol} does not contain {symbol}.", errors=["ticker missing from columns"]
    )


def to_daily_bars(frame: pd.DataFrame, spec: YahooTicker) -> pd.DataFrame:
    """Bars from a yfinance frame: lower-case open/high/low/close/volume floats indexed by exchange-local
    date (a naive DatetimeIndex named ``date``), sorted, one row per date, only rows with a finite close.
    """
    frame = _single_ticker(frame, spec.symbol)
    if frame.empty:
        return _empty_bars()
    if "Close" not in frame:
        raise DataValidationError(
            f"Yahoo's answer for {spec.name} has no Close column; yfinance's output format may have changed.",
            errors=[f"columns: {list(frame.columns)}"],
        )
    try:
        index = pd.DatetimeIndex(frame.index)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(
            f"Yahoo's answer for {spec.name} is not indexed by date.", errors=[str(exc)]
        ) from exc
    if index.tz is not None:
        index = index.tz_convert(spec.tz).tz_localize(None)
    data = {
        col.lower(): (
            pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
            if col in frame
            else np.full(len(frame), np.nan)
        )
        for col in YF_COLUMNS
    }
    bars = pd.DataFrame(data, index=index.normalize().rename("date"))
    bars = bars[np.isfinite(bars["close"].to_numpy())]  # NaN/inf closes are "no bar", not data
    unique: pd.DataFrame = bars[~bars.index.duplicated(keep="last")]
    return unique.sort_index()


# ---- pure freshness rules -------------------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    """What has been asked of Yahoo for a ticker: ``[covered_from, covered_through]``, last at
    ``fetched_at``; ``last_bar`` is the newest cached bar in that range (None when there is none)."""

    covered_from: date
    covered_through: date
    fetched_at: datetime
    last_bar: date | None


@dataclass(frozen=True)
class FetchPlan:
    """One request: days ``start`` to ``end`` INCLUSIVE (yfinance is given ``end + 1 day``)."""

    start: date
    end: date


def last_settled_session(spec: YahooTicker, now: datetime, is_session: Callable[[date], bool]) -> date:
    """The newest session day of ``spec`` whose bar is final at the aware moment ``now``."""
    local = now.astimezone(spec.zone)
    day = local.date() if local.time() >= spec.settled_at else local.date() - ONE_DAY
    for _ in range(60):
        if is_session(day):
            return day
        day -= ONE_DAY
    raise DataValidationError(f"No {spec.name} session in the 60 days before {local.date()}.")


def plan_fetch(
    coverage: Coverage | None,
    wanted_from: date,
    last_session: date,
    now: datetime,
    max_age: timedelta,
) -> FetchPlan | None:
    """The one request that makes the cache fresh for ``[wanted_from, last_session]``, or None if it is.

    See the module docstring for the rule.
    """
    if coverage is None:
        return FetchPlan(wanted_from, last_session) if wanted_from <= last_session else None
    front_gap = wanted_from < coverage.covered_from
    has_last = coverage.last_bar is not None and coverage.last_bar >= last_session
    tail_gap = coverage.covered_through < last_session or (
        not has_last and now - coverage.fetched_at > max_age
    )
    if front_gap and not tail_gap:
        return FetchPlan(wanted_from, min(coverage.covered_from - ONE_DAY, last_session))
    if front_gap:
        return FetchPlan(wanted_from, last_session)
    if not tail_gap:
        return None
    after = coverage.last_bar + ONE_DAY if coverage.last_bar is not None else coverage.covered_from
    start = max(wanted_from, after)
    return FetchPlan(start, last_session) if start <= last_session else None


def merge_coverage(coverage: Coverage | None, plan: FetchPlan) -> tuple[date, date]:
    """The coverage after ``plan`` was fetched: the union when the two touch, else the new range."""
    if coverage is None:
        return plan.start, plan.end
    touches = plan.start <= coverage.covered_through + ONE_DAY and plan.end >= coverage.covered_from - ONE_DAY
    if not touches:
        return plan.start, plan.end
    return min(plan.start, coverage.covered_from), max(plan.end, coverage.covered_through)


def cue_from_bars(spec: YahooTicker, bars: pd.DataFrame) -> GlobalCue:
    """The cue from daily bars: last finite close, % change vs the previous finite close, its date.

    NaN closes are skipped before any arithmetic; no valid close gives None values. The change is
    None when there is no earlier close or it is not positive (WTI once settled below zero).
    """
    closes = bars["close"].to_numpy(dtype=float) if "close" in bars else np.array([], dtype=float)
    valid = np.flatnonzero(np.isfinite(closes))
    if valid.size == 0:
        return GlobalCue(spec.symbol, spec.name, None, None, None, spec.kind)
    last = float(closes[valid[-1]])
    as_of = pd.Timestamp(bars.index[valid[-1]]).date()
    change: float | None = None
    if valid.size >= 2:
        previous = float(closes[valid[-2]])
        if previous > 0:
            change = (last / previous - 1.0) * 100.0
    return GlobalCue(spec.symbol, spec.name, last, change, as_of, spec.kind)


# ---- the cache ------------------------------------------------------------------------------------
_BARS = cast(Table, YahooDailyBar.__table__)
_FETCHES = cast(Table, YahooFetch.__table__)


def _insert_for(engine: Engine) -> Callable[..., Any]:
    name = engine.dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise ConfigError(f"The Yahoo cache supports SQLite and PostgreSQL, not {name}.")


def _opt(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class YahooBarCache:
    """Daily bars and fetch coverage per ticker in the database (tables ``yahoo_daily_bars``,
    ``yahoo_fetches``). Blocking; the source calls it from a thread."""

    def __init__(self, engine: Engine) -> None:
        self._factory = session_factory(engine)
        self._insert = _insert_for(engine)

    def coverage(self, ticker: str) -> Coverage | None:
        with self._factory() as session:
            fetch = session.get(YahooFetch, ticker)
            if fetch is None:
                return None
            last = session.scalar(
                select(_BARS.c.day)
                .where(
                    _BARS.c.ticker == ticker,
                    _BARS.c.day >= fetch.covered_from,
                    _BARS.c.day <= fetch.covered_through,
                )
                .order_by(_BARS.c.day.desc())
                .limit(1)
            )
            return Coverage(fetch.covered_from, fetch.covered_through, fetch.fetched_at, last)

    def bars(self, ticker: str, start: date, end: date) -> pd.DataFrame:
        """Cached bars of ``ticker`` dated ``start`` to ``end`` inclusive (``to_daily_bars`` shape)."""
        query = (
            select(_BARS.c.day, *(_BARS.c[c] for c in BAR_COLUMNS))
            .where(_BARS.c.ticker == ticker, _BARS.c.day >= start, _BARS.c.day <= end)
            .order_by(_BARS.c.day)
        )
        with self._factory() as session:
            rows = session.execute(query).all()
        if not rows:
            return _empty_bars()
        index = pd.DatetimeIndex([pd.Timestamp(r.day) for r in rows], name="date")
        data = {
            c: np.array([np.nan if r._mapping[c] is None else r._mapping[c] for r in rows], float)
            for c in BAR_COLUMNS
        }
        return pd.DataFrame(data, index=index)

    def store(self, ticker: str, bars: pd.DataFrame, plan: FetchPlan, fetched_at: datetime) -> None:
        """Upsert the fetched bars and extend the coverage, in one transaction."""
        rows = [
            {
                "ticker": ticker,
                "day": pd.Timestamp(day).date(),
                "open": _opt(o),
                "high": _opt(h),
                "low": _opt(lo),
                "close": float(c),
                "volume": int(v) if math.isfinite(v) else None,
                "fetched_at": fetched_at,
            }
            for day, o, h, lo, c, v in zip(
                bars.index, *(bars[col].to_numpy(dtype=float) for col in BAR_COLUMNS), strict=True
            )
            if math.isfinite(c)
        ]
        with transaction(self._factory) as session:
            for chunk in range(0, len(rows), 500):
                stmt = self._insert(_BARS).values(rows[chunk : chunk + 500])
                stmt = stmt.on_conflict_do_update(
                    index_elements=["ticker", "day"],
                    set_={c: stmt.excluded[c] for c in (*BAR_COLUMNS, "fetched_at")},
                )
                session.execute(stmt)
            fetch = session.get(YahooFetch, ticker, with_for_update=True)
            old = None
            if fetch is not None:
                old = Coverage(fetch.covered_from, fetch.covered_through, fetch.fetched_at, None)
            start, end = merge_coverage(old, plan)
            stmt = self._insert(_FETCHES).values(
                ticker=ticker, covered_from=start, covered_through=end, fetched_at=fetched_at
            )
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["ticker"],
                    set_={"covered_from": start, "covered_through": end, "fetched_at": fetched_at},
                )
            )


# ---- the source -----------------------------------------------------------------------------------
def _history_from(last: date, sessions: int) -> date:
    """The first calendar day to ask for so that ``sessions`` NSE sessions end at ``last``.

    NSE has ~248 sessions a year (1.47 calendar days each); 1.5 days plus 10 covers holiday clusters.
    """
    return last - timedelta(days=sessions * 3 // 2 + 10)


def _not_provided(what: str) -> DataFetchError:
    return DataFetchError(
        f"Yahoo Finance does not provide {what} in niftybot; they come from Kite (MARKET_DATA=kite) "
        "or the simulator.",
        source=SOURCE,
        transient=False,
    )


class YahooSource:
    """Daily history of NIFTY and India VIX and the global cues, from Yahoo through the database cache.

    Implements ``daily_history`` and ``global_cues`` of ``MarketDataSource``; the other methods raise
    a non-transient ``DataFetchError``. ``calendar`` (optional) makes NSE session days exact; without
    it, or past its coverage, Monday-Friday is assumed (the cost is at most an extra request).
    """

    name = SOURCE

    def __init__(
        self,
        fetcher: YahooFetcher,
        engine: Engine,
        registry: GuardRegistry,
        *,
        calendar: NSECalendar | None = None,
        max_age: timedelta | None = None,
        cues: Sequence[YahooTicker] = GLOBAL_CUES,
    ) -> None:
        self._fetcher = fetcher
        self._cache = YahooBarCache(engine)
        self._guard = registry.guard(SOURCE, SOURCE)
        self._calendar = calendar
        self._max_age = max_age or timedelta(seconds=registry.config.staleness.global_seconds)
        self._cues = tuple(cues)
        self._locks: dict[str, asyncio.Lock] = {}

    # ---- sessions ---------------------------------------------------------------------------------
    def _is_session(self, spec: YahooTicker) -> Callable[[date], bool]:
        calendar = self._calendar
        if not spec.nse or calendar is None:
            return lambda d: d.weekday() < 5

        def nse_day(d: date) -> bool:
            try:
                return calendar.is_trading_day(d)
            except CalendarCoverageError:  # no holiday list: weekdays (only decides when to refetch)
                return d.weekday() < 5

        return nse_day

    def last_session(self, spec: YahooTicker, now: datetime) -> date:
        """The newest day whose bar for ``spec`` is final at ``now``."""
        if now.tzinfo is None:
            raise ValueError("YahooSource needs aware datetimes")
        return last_settled_session(spec, now, self._is_session(spec))

    # ---- fetching ---------------------------------------------------------------------------------
    async def _download(self, spec: YahooTicker, plan: FetchPlan) -> pd.DataFrame:
        """One attempt (the guard retries): fetch, map the library's errors, validate, normalise."""
        try:
            frame = await asyncio.to_thread(
                self._fetcher.history, spec.symbol, plan.start, plan.end + ONE_DAY
            )
        except YFRateLimitError as exc:
            raise RateLimitedError(
                "Yahoo Finance is rate-limiting requests (HTTP 429, too many requests); "
                "try again in a few minutes.",
                source=SOURCE,
            ) from exc
        except NiftyBaseError:
            raise
        except (OSError, TimeoutError, YFDataException) as exc:  # requests/curl_cffi errors are OSErrors
            raise DataFetchError(
                f"Yahoo Finance could not be reached for {spec.name} ({type(exc).__name__}).",
                source=SOURCE,
                transient=True,
                context={"error": str(exc)},
            ) from exc
        except YFException as exc:
            raise DataFetchError(
                f"Yahoo Finance refused the request for {spec.name}: {exc}", source=SOURCE, transient=False
            ) from exc
        frame = _single_ticker(frame, spec.symbol)
        check = validate_yfinance_data(frame, spec.symbol)
        for problem in [*check.errors, *check.warnings]:
            if "no rows" not in problem:  # an empty answer is normal: nothing traded in the range
                log.warning("yahoo %s %s..%s: %s", spec.symbol, plan.start, plan.end, problem)
        return to_daily_bars(frame, spec)  # raises DataValidationError on a frame in another shape

    async def _ensure(
        self, spec: YahooTicker, wanted_from: date, last: date, now: datetime
    ) -> NiftyBaseError | None:
        """Make the cache fresh for ``[wanted_from, last]``; returns the fetch error instead of raising."""
        lock = self._locks.setdefault(spec.symbol, asyncio.Lock())
        async with lock:
            coverage = await asyncio.to_thread(self._cache.coverage, spec.symbol)
            plan = plan_fetch(coverage, wanted_from, last, now, self._max_age)
            if plan is None:
                return None
            try:
                bars = await self._guard.call(
                    lambda: self._download(spec, plan), what=f"{spec.symbol} daily {plan.start}..{plan.end}"
                )
            except NiftyBaseError as exc:
                log.warning("yahoo %s: fetch failed, serving the cache: %s", spec.symbol, exc)
                return exc
            await asyncio.to_thread(self._cache.store, spec.symbol, bars, plan, now)
            return None

    # ---- the port ---------------------------------------------------------------------------------
    async def daily_history(self, symbol: str, now: datetime, days: int) -> pd.DataFrame:
        """The last ``days`` daily bars before today (IST) of NIFTY (close, high, low) or India VIX
        (close), indexed by date (naive DatetimeIndex ``date``). Cached bars are served when Yahoo fails;
        with nothing cached the failure is raised."""
        spec = _HISTORY.get(symbol)
        if spec is None:
            raise DataFetchError(
                f"The Yahoo source has daily history for NIFTY and India VIX only, not {symbol!r}.",
                source=SOURCE,
                transient=False,
            )
        columns = ["close", "high", "low"] if spec is NSEI else ["close"]
        last = self.last_session(spec, now)
        if days < 1:
            return _empty_bars()[columns]
        wanted_from = _history_from(last, days)
        error = await self._ensure(spec, wanted_from, last, now)
        today = now.astimezone(spec.zone).date()
        bars = await asyncio.to_thread(self._cache.bars, spec.symbol, wanted_from, today - ONE_DAY)
        if bars.empty and error is not None:
            raise error
        return bars[columns].tail(days).copy()

    async def _cue(self, spec: YahooTicker, now: datetime) -> tuple[GlobalCue, NiftyBaseError | None]:
        last = self.last_session(spec, now)
        error = await self._ensure(spec, last - CUE_LOOKBACK, last, now)
        bars = await asyncio.to_thread(self._cache.bars, spec.symbol, last - CUE_LOOKBACK, last)
        cue = cue_from_bars(spec, bars)
        if cue.last is None:
            why = str(error) if error is not None else f"no valid close since {last - CUE_LOOKBACK}"
            log.warning("global cue %s (%s) unknown: %s", spec.name, spec.symbol, why)
        elif cue.change_pct is None:
            log.warning("global cue %s (%s): no earlier close to compare with", spec.name, spec.symbol)
        return cue, error

    async def global_cues(self, now: datetime) -> list[GlobalCue]:
        """One cue per ticker, in ``cues`` order. A ticker without data gives None values. When every
        ticker needed a fetch and every fetch failed, Yahoo is down: this raises (the part is FAILED and
        the brief says the cues are unavailable) rather than passing off the cached closes of an earlier
        session as the overnight cues."""
        results = await asyncio.gather(*(self._cue(spec, now) for spec in self._cues))
        cues = [cue for cue, _ in results]
        errors = [err for _, err in results if err is not None]
        if results and len(errors) == len(results):
            raise DataFetchError(
                f"Global cues are unavailable: every Yahoo request failed ({errors[0]}).",
                source=SOURCE,
                transient=True,
            )
        return cues

    async def refresh(self, now: datetime, days: int = 300) -> dict[str, str | None]:
        """Warm the cache for a brief (NIFTY and VIX history, every cue): error text per ticker or None.

        At the default ~5 requests/min a cold cache needs 14 requests, so run this well before the
        brief (e.g. from a scheduler job); a warm cache needs at most one request per ticker a day.
        """
        out: dict[str, str | None] = {}
        for spec in (NSEI, INDIAVIX):
            last = self.last_session(spec, now)
            err = await self._ensure(spec, _history_from(last, days), last, now)
            out[spec.symbol] = None if err is None else str(err)
        for cue, err in await asyncio.gather(*(self._cue(spec, now) for spec in self._cues)):
            out[cue.symbol] = None if err is None else str(err)
        return out

    async def index_quote(self, symbol: str, now: datetime) -> IndexQuote:
        raise _not_provided("index quotes")

    async def expiries(self, now: datetime) -> list[date]:
        raise _not_provided("option expiries")

    async def chain(self, expiry: date, center: float, window: int, now: datetime) -> pd.DataFrame:
        raise _not_provided("option chains")

    async def candles(self, now: datetime) -> pd.DataFrame:
        raise _not_provided("intraday candles")
