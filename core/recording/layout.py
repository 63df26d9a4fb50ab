"""The recording format, version 1: one directory per IST trading day, Parquet files inside.

``<directory>/<YYYY-MM-DD>/`` holds:

- ``manifest.json``: ``{"format": "niftybot-recording", "version": 1, "day": "YYYY-MM-DD",
  "source": <source name>, "strike_window": n}``.
- ``snapshots-<part>.parquet``: one row per recorded snapshot. ``taken_at`` (UTC timestamp), ``kind``
  (``full`` or ``quotes``: a quotes-only monitor snapshot), for ``spot`` and ``vix``: ``*_last``,
  ``*_prev_close``, ``*_open``, ``*_high``, ``*_low`` (index points; null when unknown) and ``*_at``
  (the quote's own time, UTC; null when the quote failed), ``expiries`` (ISO dates joined by commas;
  null when not fetched) and ``chain_expiries`` (the expiries whose chains were recorded).
- ``chains-<part>.parquet``: ``taken_at`` + the chain input columns of ``core.domain.market``
  (``CHAIN_INPUT_COLUMNS``: symbol, token, expiry, strike, type, lot size, bid/ask/ltp in rupees with
  NaN for a missing side, quantities, OI, OI change, volume, ``quote_time``), one row per option.
- ``candles-<part>.parquet``: ``taken_at``, ``ts`` (bar start) and open/high/low/close/volume of the
  one-minute NIFTY bars; each snapshot adds the bars from the last recorded bar on (so a bar still
  forming is recorded again), and a reader keeps the newest row per ``ts``.
- ``daily-nifty.parquet`` (close, high, low), ``daily-vix.parquet`` (close), ``iv-history.parquet``
  (``iv``, decimal), all indexed by ``date`` and ending before the day, and ``cues.parquet`` (the
  overnight global markets): written once, from the first full snapshot of the day.

Part files (``<part>`` = ``HHMMSS`` of the first snapshot in it, IST) are written every
``flush_every`` snapshots, so a crash loses at most that many; readers concatenate them in order.
Times are stored in UTC and read back in IST. Prices keep float64 exactly, so a replay of a recording
sees the very numbers the live desk saw.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from core.errors import StateError

FORMAT = "niftybot-recording"
VERSION = 1
MANIFEST = "manifest.json"
SNAPSHOTS = "snapshots"
CHAINS = "chains"
CANDLES = "candles"
DAILY_NIFTY = "daily-nifty.parquet"
DAILY_VIX = "daily-vix.parquet"
IV_HISTORY = "iv-history.parquet"
CUES = "cues.parquet"
CANDLE_COLUMNS = ("open", "high", "low", "close", "volume")
QUOTE_FIELDS = ("last", "prev_close", "open", "high", "low")


def day_dir(directory: Path, day: date) -> Path:
    return Path(directory) / day.isoformat()


def recorded_days(directory: Path) -> list[date]:
    """Days with a readable manifest under ``directory``, oldest first."""
    out = []
    root = Path(directory)
    if not root.is_dir():
        return []
    for child in root.iterdir():
        try:
            d = date.fromisoformat(child.name)
        except ValueError:
            continue
        if (child / MANIFEST).is_file():
            out.append(d)
    return sorted(out)


def write_manifest(folder: Path, day: date, source: str, strike_window: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"format": FORMAT, "version": VERSION, "day": day.isoformat(), "source": source}
    data["strike_window"] = strike_window
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(data, indent=2), "utf-8")
    tmp.replace(folder / MANIFEST)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a day's folder; ``StateError`` when missing, foreign or of a newer version."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise StateError(f"The recording in {folder} has no readable manifest ({exc}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateError(f"{path} is not a niftybot recording.")
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise StateError(
            f"The recording in {folder} has format version {version}; this niftybot reads up to {VERSION}."
        )
    return data


def parts(folder: Path, kind: str) -> list[Path]:
    """The part files of ``kind`` in write order."""
    return sorted(folder.glob(f"{kind}-*.parquet"))
