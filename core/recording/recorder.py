"""The recorder: a ``MarketService`` listener that writes every snapshot the desk builds to disk.

Layout and columns: :mod:`core.recording.layout`. Rows are buffered and written as Parquet part files
every ``flush_every`` snapshots, when the IST day changes, after the session closes and on
:meth:`SnapshotRecorder.flush`; days older than ``retention_days`` are deleted when a new day starts.
Recording never blocks trading: the market service logs a failing listener and carries on.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from core.clock import IST
from core.domain.market import CHAIN_INPUT_COLUMNS, IndexQuote, MarketSnapshot
from core.market_hours import NSECalendar
from core.marketdata.engine import DailyInputs
from core.recording import layout

log = logging.getLogger(__name__)


def _quote_fields(prefix: str, q: IndexQuote | None) -> dict[str, object]:
    out: dict[str, object] = {
        f"{prefix}_{f}": getattr(q, f) if q is not None else None for f in layout.QUOTE_FIELDS
    }
    out[f"{prefix}_at"] = pd.Timestamp(q.timestamp).tz_convert("UTC") if q is not None else None
    return out


class SnapshotRecorder:
    """Call it with each snapshot (``market.add_listener(recorder)``); ``flush()`` at shutdown."""

    def __init__(
        self,
        directory: Path,
        *,
        retention_days: int,
        daily: Callable[[], DailyInputs | None] = lambda: None,
        expiries: Callable[[], list[date] | None] = lambda: None,
        source_name: str = "unknown",
        strike_window: int = 0,
        calendar: NSECalendar | None = None,
        flush_every: int = 15,
    ) -> None:
        self.directory = Path(directory)
        self.retention_days = retention_days
        self.daily = daily
        self.expiries = expiries
        self.source_name = source_name
        self.strike_window = strike_window
        self.calendar = calendar
        self.flush_every = max(1, flush_every)
        self._day: date | None = None
        self._daily_written = False
        self._last_candle: pd.Timestamp | None = None
        self._rows: list[dict[str, object]] = []
        self._chains: list[pd.DataFrame] = []
        self._candles: list[pd.DataFrame] = []
        self._part: str | None = None
        self.recorded = 0

    # ---- listener -------------------------------------------------------------------------------
    def __call__(self, snap: MarketSnapshot) -> None:
        local = snap.taken_at.astimezone(IST)
        if local.date() != self._day:
            self._start_day(local.date())
        folder = layout.day_dir(self.directory, local.date())
        full = "vol" in snap.parts
        taken = pd.Timestamp(snap.taken_at).tz_convert("UTC")
        if self._part is None:
            self._part = local.strftime("%H%M%S")
        listed = self.expiries() if full else None
        row: dict[str, object] = {"taken_at": taken, "kind": "full" if full else "quotes"}
        row |= _quote_fields("spot", snap.spot) | _quote_fields("vix", snap.vix)
        row["expiries"] = ",".join(e.isoformat() for e in listed) if listed is not None else None
        row["chain_expiries"] = ",".join(c.expiry.isoformat() for c in snap.chains)
        self._rows.append(row)
        for chain in snap.chains:
            frame = chain.frame.loc[:, list(CHAIN_INPUT_COLUMNS)].copy()
            frame.insert(0, "taken_at", taken)
            self._chains.append(frame)
        if snap.candles is not None and not snap.candles.empty:
            bars = snap.candles
            if self._last_candle is not None:
                bars = bars[bars.index >= self._last_candle]
            if not bars.empty:
                out = bars.loc[:, list(layout.CANDLE_COLUMNS)].copy()
                index = pd.DatetimeIndex(out.index)
                out.insert(0, "ts", index.tz_convert("UTC") if index.tz is not None else index)
                out.insert(0, "taken_at", taken)
                self._candles.append(out.reset_index(drop=True))
                self._last_candle = bars.index[-1]
        if full and not self._daily_written:
            self._write_daily(folder, local.date())
        self.recorded += 1
        closed = self.calendar is not None and not self.calendar.is_market_open(snap.taken_at)
        if len(self._rows) >= self.flush_every or closed:
            self.flush()

    # ---- files ----------------------------------------------------------------------------------
    def _start_day(self, day: date) -> None:
        self.flush()
        self._day = day
        self._daily_written = False
        self._last_candle = None
        folder = layout.day_dir(self.directory, day)
        layout.write_manifest(folder, day, self.source_name, self.strike_window)
        self.prune(day)

    def _write_daily(self, folder: Path, day: date) -> None:
        inputs = self.daily()
        if inputs is None or inputs.day != day or inputs.nifty is None:
            return
        inputs.nifty.to_parquet(folder / layout.DAILY_NIFTY, compression="zstd")
        if inputs.vix is not None:
            inputs.vix.to_parquet(folder / layout.DAILY_VIX, compression="zstd")
        if inputs.iv_history is not None:
            iv = inputs.iv_history.rename("iv").to_frame()
            iv.to_parquet(folder / layout.IV_HISTORY, compression="zstd")
        if inputs.cues is not None:
            cues = pd.DataFrame(
                [
                    {
                        "symbol": c.symbol,
                        "name": c.name,
                        "last": c.last,
                        "change_pct": c.change_pct,
                        "as_of": c.as_of,
                        "kind": c.kind,
                    }
                    for c in inputs.cues
                ],
                columns=["symbol", "name", "last", "change_pct", "as_of", "kind"],
            )
            cues.to_parquet(folder / layout.CUES, index=False, compression="zstd")
        self._daily_written = True

    def flush(self) -> None:
        """Write the buffered snapshots of the current day as part files."""
        if self._day is None or not self._rows:
            return
        folder = layout.day_dir(self.directory, self._day)
        part = self._part or "000000"
        pd.DataFrame(self._rows).to_parquet(
            folder / f"{layout.SNAPSHOTS}-{part}.parquet", index=False, compression="zstd"
        )
        if self._chains:
            chains = pd.concat(self._chains, ignore_index=True)
            chains.to_parquet(folder / f"{layout.CHAINS}-{part}.parquet", index=False, compression="zstd")
        if self._candles:
            candles = pd.concat(self._candles, ignore_index=True)
            candles.to_parquet(folder / f"{layout.CANDLES}-{part}.parquet", index=False, compression="zstd")
        self._rows, self._chains, self._candles, self._part = [], [], [], None

    def prune(self, today: date) -> list[date]:
        """Delete recorded days older than ``retention_days`` before ``today``; returns them."""
        cutoff = today - timedelta(days=self.retention_days)
        gone = [d for d in layout.recorded_days(self.directory) if d < cutoff]
        for d in gone:
            shutil.rmtree(layout.day_dir(self.directory, d), ignore_errors=True)
            log.info("recording of %s deleted (retention %d days)", d, self.retention_days)
        return gone


def recorder_for(
    directory: Path,
    retention_days: int,
    engine: object,
    *,
    source_name: str,
    strike_window: int,
    calendar: NSECalendar | None = None,
) -> SnapshotRecorder:
    """A recorder reading the day's inputs from a ``SnapshotEngine`` (``last_daily``, ``last_expiries``)."""
    return SnapshotRecorder(
        directory,
        retention_days=retention_days,
        daily=lambda: getattr(engine, "last_daily", None),
        expiries=lambda: getattr(engine, "last_expiries", None),
        source_name=source_name,
        strike_window=strike_window,
        calendar=calendar,
    )
