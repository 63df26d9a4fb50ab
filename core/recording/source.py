"""A recorded day served through the market-data port (``--source recorded``).

For any moment ``now`` of a recorded day each call answers with **the last recorded state at or
before ``now``**: the quote, expiry list and chain of the newest snapshot taken at or before it, and
the candles known then. Between two recordings nothing is interpolated: a moment between them sees the
earlier one with its original timestamps, so the snapshot engine's staleness rules judge it exactly as
they judged the live data (a chain last recorded five minutes ago is stale). Before the first
recording of a day, and on a day without a recording, calls fail with ``DataFetchError`` naming the
day and time; the engine turns that into a FAILED part as it would for a dead source.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from core.clock import IST
from core.domain.market import CHAIN_INPUT_COLUMNS, GlobalCue, IndexQuote
from core.errors import DataFetchError
from core.marketdata.ports import INDIA_VIX, NIFTY
from core.recording import layout


def _ns(moment: datetime) -> int:
    return int(pd.Timestamp(moment).value)


def _opt(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


@dataclass
class _Day:
    """One recorded day in memory, indexed for "last at or before" look-ups."""

    day: date
    snapshots: pd.DataFrame
    times: np.ndarray  # int64 ns of ``snapshots.taken_at``
    chains: dict[date, tuple[np.ndarray, list[pd.DataFrame]]]
    candles: pd.DataFrame
    candle_times: np.ndarray
    nifty: pd.DataFrame | None
    vix: pd.DataFrame | None
    iv: pd.Series | None
    cues: list[GlobalCue]


def _read(paths: list[Path]) -> pd.DataFrame:
    frames = [pd.read_parquet(p) for p in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _optional(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.is_file() else None


def load_day(directory: Path, day: date) -> _Day:
    folder = layout.day_dir(directory, day)
    layout.read_manifest(folder)
    snaps = _read(layout.parts(folder, layout.SNAPSHOTS))
    if snaps.empty:
        raise DataFetchError(f"The recording of {day:%d %b %Y} has no snapshots.", source="recorded")
    snaps = snaps.sort_values("taken_at", kind="stable").reset_index(drop=True)
    times = snaps["taken_at"].to_numpy("datetime64[ns]").astype(np.int64)
    chains: dict[date, tuple[np.ndarray, list[pd.DataFrame]]] = {}
    raw = _read(layout.parts(folder, layout.CHAINS))
    if not raw.empty:
        stamps = raw["taken_at"].to_numpy("datetime64[ns]").astype(np.int64)
        raw = raw.drop(columns=["taken_at"])
        keys = pd.DataFrame({"t": stamps, "e": raw["expiry"]})
        order: dict[date, dict[int, np.ndarray]] = {}
        groups: dict[tuple[date, int], np.ndarray] = keys.groupby(["e", "t"], sort=True).indices  # type: ignore[assignment]
        for (e, t), idx in groups.items():
            order.setdefault(e, {})[int(t)] = np.asarray(idx)
        for e, by_time in order.items():
            ts = np.array(sorted(by_time), dtype=np.int64)
            frames = [
                raw.iloc[by_time[int(t)]].loc[:, list(CHAIN_INPUT_COLUMNS)].reset_index(drop=True) for t in ts
            ]
            chains[e] = (ts, frames)
    candles = _read(layout.parts(folder, layout.CANDLES))
    candle_times = (
        candles["taken_at"].to_numpy("datetime64[ns]").astype(np.int64)
        if not candles.empty
        else np.array([], dtype=np.int64)
    )
    iv_frame = _optional(folder / layout.IV_HISTORY)
    cues_frame = _optional(folder / layout.CUES)
    cues = []
    if cues_frame is not None:
        for r in cues_frame.to_dict("records"):
            cues.append(
                GlobalCue(
                    str(r["symbol"]),
                    str(r["name"]),
                    _opt(r["last"]),
                    _opt(r["change_pct"]),
                    r["as_of"] if isinstance(r["as_of"], date) else None,
                    r["kind"],
                )
            )
    return _Day(
        day,
        snaps,
        times,
        chains,
        candles,
        candle_times,
        _optional(folder / layout.DAILY_NIFTY),
        _optional(folder / layout.DAILY_VIX),
        iv_frame["iv"] if iv_frame is not None else None,
        cues,
    )


class RecordedSource:
    """The recordings under ``directory`` as a MarketDataSource (and IV-history provider)."""

    name = "recorded"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def days(self) -> list[date]:
        return layout.recorded_days(self.directory)

    @functools.lru_cache(maxsize=3)  # noqa: B019 - the source lives as long as one replay
    def _load(self, day: date) -> _Day:
        if not layout.day_dir(self.directory, day).is_dir():
            raise DataFetchError(
                f"There is no recording for {day:%d %b %Y} in {self.directory}.",
                source=self.name,
                transient=False,
            )
        return load_day(self.directory, day)

    def _day(self, now: datetime) -> _Day:
        if now.tzinfo is None:
            raise ValueError("the recorded source needs an aware datetime")
        return self._load(now.astimezone(IST).date())

    def _missing(self, what: str, now: datetime) -> DataFetchError:
        local = now.astimezone(IST)
        return DataFetchError(
            f"Nothing recorded for {what} at or before {local:%H:%M} IST on {local:%d %b %Y}.",
            source=self.name,
            transient=False,
        )

    def _row(self, d: _Day, now: datetime, column: str) -> pd.Series | None:
        """The newest snapshot row at or before ``now`` whose ``column`` is known."""
        i = int(np.searchsorted(d.times, _ns(now), side="right")) - 1
        values = d.snapshots[column]
        while i >= 0:
            if values.iloc[i] is not None and not (
                isinstance(values.iloc[i], float) and math.isnan(values.iloc[i])
            ):
                return d.snapshots.iloc[i]
            i -= 1
        return None

    # ---- the port -------------------------------------------------------------------------------
    async def index_quote(self, symbol: str, now: datetime) -> IndexQuote:
        prefix = {NIFTY: "spot", INDIA_VIX: "vix"}.get(symbol)
        if prefix is None:
            raise KeyError(f"unknown index {symbol!r}")
        d = self._day(now)
        row = self._row(d, now, f"{prefix}_at")
        if row is None:
            raise self._missing(symbol, now)
        last = _opt(row[f"{prefix}_last"])
        if last is None:
            raise self._missing(symbol, now)
        return IndexQuote(
            symbol,
            last,
            _opt(row[f"{prefix}_prev_close"]),
            pd.Timestamp(row[f"{prefix}_at"]).tz_convert(IST).to_pydatetime(),
            _opt(row[f"{prefix}_open"]),
            _opt(row[f"{prefix}_high"]),
            _opt(row[f"{prefix}_low"]),
        )

    async def expiries(self, now: datetime) -> list[date]:
        row = self._row(self._day(now), now, "expiries")
        if row is None:
            raise self._missing("the expiry list", now)
        return [date.fromisoformat(x) for x in str(row["expiries"]).split(",") if x]

    async def chain(self, expiry: date, center: float, window: int, now: datetime) -> pd.DataFrame:
        """The chain of ``expiry`` as last recorded (the live run's strike window around its spot)."""
        d = self._day(now)
        got = d.chains.get(expiry)
        if got is not None:
            i = int(np.searchsorted(got[0], _ns(now), side="right")) - 1
            if i >= 0:
                return got[1][i]
        raise self._missing(f"the {expiry:%d %b} chain", now)

    async def candles(self, now: datetime) -> pd.DataFrame:
        d = self._day(now)
        n = int(np.searchsorted(d.candle_times, _ns(now), side="right"))
        rows = d.candles.iloc[:n].drop_duplicates("ts", keep="last").sort_values("ts", kind="stable")
        index = pd.DatetimeIndex(rows["ts"]).tz_convert(IST)
        index.name = None
        return pd.DataFrame(
            {c: rows[c].to_numpy() for c in layout.CANDLE_COLUMNS},
            index=index,
            columns=list(layout.CANDLE_COLUMNS),
        )

    async def daily_history(self, symbol: str, now: datetime, days: int) -> pd.DataFrame:
        d = self._day(now)
        if symbol not in (NIFTY, INDIA_VIX):
            raise KeyError(f"unknown index {symbol!r}")
        frame = d.nifty if symbol == NIFTY else d.vix
        if frame is None:
            raise self._missing(f"{symbol} daily history", now)
        return frame.tail(days).copy()

    def iv_history(self, now: datetime, days: int = 252) -> pd.Series:
        d = self._day(now)
        return d.iv.tail(days).copy() if d.iv is not None else pd.Series(dtype=float)

    async def global_cues(self, now: datetime) -> list[GlobalCue]:
        return list(self._day(now).cues)
