"""The latest replay result per algorithm, kept as small JSON files for the chat's suggestion details.

One file per algorithm, ``<directory>/<algorithm>.json``, written atomically (temporary file + rename)
after each ``/backtest`` or ``niftybot replay``; a newer replay replaces the older record. The
directory is ``recording.replay_records`` in the trading config.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from core.replay.report import ReplayReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayRecord:
    """One algorithm's result in its latest replay (money in rupees; win rate 0-1 or None)."""

    algorithm: str
    ran_at: datetime
    start: date
    end: date
    days: int
    source: str
    trades: int
    win_rate: float | None
    net: Decimal
    max_drawdown: Decimal

    def to_json(self) -> dict[str, object]:
        return {
            "algorithm": self.algorithm,
            "ran_at": self.ran_at.isoformat(),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "days": self.days,
            "source": self.source,
            "trades": self.trades,
            "win_rate": self.win_rate,
            "net": str(self.net),
            "max_drawdown": str(self.max_drawdown),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ReplayRecord:
        win = data.get("win_rate")
        return cls(
            algorithm=str(data["algorithm"]),
            ran_at=datetime.fromisoformat(str(data["ran_at"])),
            start=date.fromisoformat(str(data["from"])),
            end=date.fromisoformat(str(data["to"])),
            days=int(str(data["days"])),
            source=str(data["source"]),
            trades=int(str(data["trades"])),
            win_rate=float(str(win)) if win is not None else None,
            net=Decimal(str(data["net"])),
            max_drawdown=Decimal(str(data["max_drawdown"])),
        )


def records_from(report: ReplayReport, ran_at: datetime) -> list[ReplayRecord]:
    return [
        ReplayRecord(
            a.name,
            ran_at,
            report.start,
            report.end,
            len(report.days),
            report.source,
            a.trades,
            a.win_rate,
            a.net,
            a.max_drawdown,
        )
        for a in report.algorithms
    ]


class ReplayRecordStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, algorithm: str) -> Path:
        if not algorithm.isidentifier():
            raise ValueError(f"not an algorithm name: {algorithm!r}")
        return self.directory / f"{algorithm}.json"

    def save(self, record: ReplayRecord) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(record.algorithm)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(record.to_json(), indent=2), "utf-8")
        tmp.replace(path)

    def save_report(self, report: ReplayReport, ran_at: datetime) -> list[ReplayRecord]:
        records = records_from(report, ran_at)
        for r in records:
            self.save(r)
        return records

    def latest(self, algorithm: str) -> ReplayRecord | None:
        """The algorithm's latest record, or ``None`` (none yet, or an unreadable file: logged)."""
        try:
            path = self._path(algorithm)
        except ValueError:
            return None
        if not path.is_file():
            return None
        try:
            return ReplayRecord.from_json(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("replay record %s unreadable: %s", path, exc)
            return None
