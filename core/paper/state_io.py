"""Export and import of the whole paper state as JSON (the seed's state-file safety, kept for backups).

Export writes atomically: a temporary file in the same directory, fsync, then ``os.replace``; an
existing file is first rotated to ``FILE.bak.1`` (``.bak.1`` → ``.bak.2`` → ``.bak.3``; the oldest is
dropped), so the last 3 versions are kept. Import parses and validates the WHOLE file into domain objects
before touching the database; a broken file is refused with a ``StateError`` naming the problem and the
current state is left exactly as it was. A valid file replaces the paper state in one transaction.

Format (version 1)::

    {"format": "niftybot-paper-state", "version": 1, "exported_at": ISO, "capital": "1000000",
     "positions": [...], "suggestions": [...], "risk_state": {...}, "equity": [...], "archived": [...]}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from core.domain.money import to_decimal
from core.domain.trading import EquityPoint, Position, Suggestion
from core.errors import StateError
from core.persistence.codec import (
    position_from_dict,
    position_to_dict,
    suggestion_from_dict,
    suggestion_to_dict,
)
from core.persistence.db import transaction
from core.persistence.desk_repo import DeskRepository
from core.persistence.models.desk import (
    ArchivedTradeRow,
    EquityPointRow,
    PositionLegRow,
    PositionRow,
    RiskStateRow,
    SuggestionRow,
)

FORMAT = "niftybot-paper-state"
VERSION = 1
BACKUPS = 3


@dataclass(frozen=True)
class PaperState:
    capital: str
    positions: tuple[Position, ...]
    suggestions: tuple[Suggestion, ...]
    risk_state: dict[str, Any]
    equity: tuple[EquityPoint, ...]
    archived: tuple[dict[str, Any], ...]


def _iso(x: date | datetime | None) -> str | None:
    return None if x is None else x.isoformat()


def read_state(factory: sessionmaker[Session], capital: str) -> dict[str, Any]:
    """The whole paper state as a JSON-safe dict."""
    with transaction(factory, write=False) as session:
        repo = DeskRepository(session)
        risk = session.get(RiskStateRow, 1)
        archived = session.scalars(select(ArchivedTradeRow).order_by(ArchivedTradeRow.position_id))
        return {
            "format": FORMAT,
            "version": VERSION,
            "capital": capital,
            "positions": [position_to_dict(p) for p in repo.all_positions()],
            "suggestions": [suggestion_to_dict(s) for s in reversed(repo.suggestions())],
            "risk_state": None
            if risk is None
            else {
                "paused": risk.paused,
                "paused_by": risk.paused_by,
                "tripped": risk.tripped,
                "tripped_at": _iso(risk.tripped_at),
                "trip_reason": risk.trip_reason,
                "trading_day": _iso(risk.trading_day),
                "day_start_equity": None if risk.day_start_equity is None else str(risk.day_start_equity),
                "peak_equity": str(risk.peak_equity),
                "updated_at": _iso(risk.updated_at),
            },
            "equity": [
                {
                    "at": pt.at.isoformat(),
                    "realized": str(pt.realized),
                    "unrealized": str(pt.unrealized),
                    "equity": str(pt.equity),
                }
                for pt in repo.equity_points()
            ],
            "archived": [
                {
                    "position_id": a.position_id,
                    "algorithm": a.algorithm,
                    "closed_at": a.closed_at.isoformat(),
                    "gross_pnl": str(a.gross_pnl),
                    "net_pnl": str(a.net_pnl),
                    "archived_at": a.archived_at.isoformat(),
                    "payload": a.payload,
                }
                for a in archived
            ],
        }


def write_atomic(path: Path, data: Mapping[str, Any], backups: int = BACKUPS) -> None:
    """Write JSON to ``path`` atomically, keeping the previous ``backups`` versions as .bak.N."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    payload = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    if path.exists():
        for n in range(backups, 1, -1):
            older = path.with_name(f"{path.name}.bak.{n - 1}")
            if older.exists():
                os.replace(older, path.with_name(f"{path.name}.bak.{n}"))
        os.replace(path, path.with_name(f"{path.name}.bak.1"))
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def export_state(factory: sessionmaker[Session], capital: str, path: Path, now: datetime) -> dict[str, int]:
    data = read_state(factory, capital)
    data["exported_at"] = now.isoformat()
    write_atomic(path, data)
    return {
        "positions": len(data["positions"]),
        "suggestions": len(data["suggestions"]),
        "equity": len(data["equity"]),
    }


def _aware(value: Any, where: str) -> datetime:
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        raise StateError(f"{where}: {value!r} is not an ISO 8601 time") from None
    if dt.tzinfo is None:
        raise StateError(f"{where}: time {value!r} has no time zone")
    return dt


def parse_state(data: Any, source: str = "state file") -> PaperState:
    """Validate a whole state document; raises StateError naming the first problem found."""
    if not isinstance(data, dict):
        raise StateError(f"{source}: not a JSON object")
    if data.get("format") != FORMAT:
        raise StateError(f"{source}: not a niftybot paper state (format {data.get('format')!r})")
    if data.get("version") != VERSION:
        raise StateError(
            f"{source}: unsupported version {data.get('version')!r} (this build reads {VERSION})"
        )
    for key in ("positions", "suggestions", "equity"):
        if not isinstance(data.get(key), list):
            raise StateError(f"{source}: '{key}' must be a list")
    try:
        capital = str(to_decimal(data.get("capital")))
    except (ValueError, TypeError):
        raise StateError(f"{source}: 'capital' is missing or not a number") from None
    positions = tuple(
        position_from_dict(p, f"positions[{i}]") if isinstance(p, dict) else _bad(f"positions[{i}]")
        for i, p in enumerate(data["positions"])
    )
    suggestions = tuple(
        suggestion_from_dict(s, f"suggestions[{i}]") if isinstance(s, dict) else _bad(f"suggestions[{i}]")
        for i, s in enumerate(data["suggestions"])
    )
    ids = [p.id for p in positions]
    if len(ids) != len(set(ids)):
        raise StateError(f"{source}: duplicate position ids")
    sids = [s.id for s in suggestions]
    if None in sids or len(sids) != len(set(sids)):
        raise StateError(f"{source}: suggestions need unique ids")
    linked = [p.suggestion_id for p in positions if p.suggestion_id is not None]
    if len(linked) != len(set(linked)):
        raise StateError(f"{source}: two positions claim the same suggestion")
    missing = sorted(set(linked) - set(sids))
    if missing:
        raise StateError(f"{source}: positions refer to unknown suggestions {missing}")
    equity = []
    for i, e in enumerate(data["equity"]):
        w = f"equity[{i}]"
        if not isinstance(e, dict):
            raise StateError(f"{w}: not an object")
        try:
            equity.append(
                EquityPoint(
                    _aware(e.get("at"), w),
                    to_decimal(e["realized"]),
                    to_decimal(e["unrealized"]),
                    to_decimal(e["equity"]),
                )
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise StateError(f"{w}: {exc}") from None
    risk = data.get("risk_state") or {}
    if not isinstance(risk, dict):
        raise StateError(f"{source}: risk_state must be an object")
    archived = data.get("archived") or []
    if not isinstance(archived, list) or not all(isinstance(a, dict) for a in archived):
        raise StateError(f"{source}: archived must be a list of objects")
    return PaperState(capital, positions, suggestions, risk, tuple(equity), tuple(archived))


def _bad(where: str) -> Any:
    raise StateError(f"{where}: not an object")


def load_state_file(path: Path) -> PaperState:
    try:
        raw = Path(path).read_text("utf-8")
    except OSError as exc:
        raise StateError(f"Cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise StateError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from None
    return parse_state(data, str(path))


def import_state(factory: sessionmaker[Session], state: PaperState, now: datetime) -> dict[str, int]:
    """Replace the paper state with ``state`` in one transaction."""
    from core.paper.audit import DecisionAction, TradeDecisionLog

    with transaction(factory) as session:
        repo = DeskRepository(session)
        for model in (
            PositionLegRow,
            PositionRow,
            SuggestionRow,
            EquityPointRow,
            RiskStateRow,
            ArchivedTradeRow,
        ):
            session.execute(delete(model))
        for s in state.suggestions:
            repo.add_suggestion(s)
        for p in state.positions:
            repo.add_position(p)
        for pt in state.equity:
            repo.add_equity_point(pt)
        r = state.risk_state
        if r:
            session.add(
                RiskStateRow(
                    id=1,
                    paused=bool(r.get("paused", False)),
                    paused_by=r.get("paused_by"),
                    tripped=str(r.get("tripped") or ""),
                    tripped_at=_aware(r["tripped_at"], "risk_state.tripped_at")
                    if r.get("tripped_at")
                    else None,
                    trip_reason=r.get("trip_reason"),
                    trading_day=date.fromisoformat(r["trading_day"]) if r.get("trading_day") else None,
                    day_start_equity=to_decimal(r["day_start_equity"]) if r.get("day_start_equity") else None,
                    peak_equity=to_decimal(r.get("peak_equity", state.capital)),
                    updated_at=now,
                )
            )
        for a in state.archived:
            session.add(
                ArchivedTradeRow(
                    position_id=int(a["position_id"]),
                    algorithm=str(a["algorithm"]),
                    closed_at=_aware(a["closed_at"], "archived.closed_at"),
                    gross_pnl=to_decimal(a["gross_pnl"]),
                    net_pnl=to_decimal(a["net_pnl"]),
                    archived_at=_aware(a["archived_at"], "archived.archived_at"),
                    payload=a.get("payload") or {},
                )
            )
        session.flush()
        if session.get_bind().dialect.name == "postgresql":
            for table in ("suggestions", "positions", "position_legs", "equity_points"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    )
                )
        repo.add_decision(
            TradeDecisionLog(
                at=now,
                action=DecisionAction.IMPORT,
                reason=f"state imported: {len(state.positions)} positions, "
                f"{len(state.suggestions)} suggestions",
            ).to_row()
        )
    return {
        "positions": len(state.positions),
        "suggestions": len(state.suggestions),
        "equity": len(state.equity),
    }
