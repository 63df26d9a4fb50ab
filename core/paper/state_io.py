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
from sqlalchemy.exc import SQLAlchemyError
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
    _check_ints(data, "")
    try:
        capital = str(to_decimal(data.get("capital")))
    except (ValueError, TypeError):
        raise StateError(f"{source}: 'capital' is missing or not a number") from None
    positions = tuple(
        _item(position_from_dict, p, f"positions[{i}]", f"positions[{i}]")
        for i, p in enumerate(data["positions"])
    )
    suggestions = tuple(
        _item(suggestion_from_dict, s, f"suggestions[{i}]", f"suggestions[{i}]")
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
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            raise StateError(f"{w}: {_why(exc)}") from None
    risk = data.get("risk_state") or {}
    if not isinstance(risk, dict):
        raise StateError(f"{source}: risk_state must be an object")
    _item(_risk_row, risk, "risk_state", capital, None)  # checked now; built again at import time
    archived = data.get("archived") or []
    if not isinstance(archived, list) or not all(isinstance(a, dict) for a in archived):
        raise StateError(f"{source}: archived must be a list of objects")
    for i, a in enumerate(archived):
        _item(_archived_row, a, f"archived[{i}]")
    return PaperState(capital, positions, suggestions, risk, tuple(equity), tuple(archived))


INT64 = 2**63


def _check_ints(node: Any, where: str) -> None:
    """No integer anywhere may exceed what the database stores (64-bit): name the first one that does."""
    if isinstance(node, int) and not isinstance(node, bool) and not -INT64 <= node < INT64:
        raise StateError(f"{where}: {node} is out of range for a stored integer")
    if isinstance(node, dict):
        for key, value in node.items():
            _check_ints(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_ints(value, f"{where}[{i}]")


def _why(exc: BaseException) -> str:
    """One line about a bad value (a KeyError's text is only the key)."""
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}" if exc.args else "a key is missing"
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


def _item(parse: Any, value: Any, where: str, *args: Any) -> Any:
    """``parse(value, ...)`` with any bad-value error turned into a StateError naming ``where``."""
    if not isinstance(value, dict):
        raise StateError(f"{where}: not an object")
    try:
        return parse(value, *args)
    except StateError:
        raise
    except (KeyError, ValueError, TypeError, ArithmeticError, AttributeError) as exc:
        raise StateError(f"{where}: {_why(exc)}") from None


def _risk_row(r: Mapping[str, Any], capital: str, now: datetime | None) -> RiskStateRow:
    paused_by = r.get("paused_by")
    if paused_by is not None and (isinstance(paused_by, bool) or not isinstance(paused_by, int)):
        raise ValueError(f"paused_by must be a user id, not {paused_by!r}")
    for key in ("tripped", "trip_reason"):
        if r.get(key) is not None and not isinstance(r[key], str):
            raise ValueError(f"{key} must be text, not {r[key]!r}")
    return RiskStateRow(
        id=1,
        paused=_flag(r.get("paused", False), "paused"),
        paused_by=paused_by,
        tripped=str(r.get("tripped") or ""),
        tripped_at=_aware(r["tripped_at"], "risk_state.tripped_at") if r.get("tripped_at") else None,
        trip_reason=r.get("trip_reason"),
        trading_day=date.fromisoformat(r["trading_day"]) if r.get("trading_day") else None,
        day_start_equity=to_decimal(r["day_start_equity"]) if r.get("day_start_equity") else None,
        peak_equity=to_decimal(r.get("peak_equity", capital)),
        updated_at=now,
    )


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false, not {value!r}")
    return value


def _archived_row(a: Mapping[str, Any]) -> ArchivedTradeRow:
    position_id = a["position_id"]
    if isinstance(position_id, bool) or not isinstance(position_id, int) or not 0 < position_id < 2**63:
        raise ValueError(f"position_id must be a positive id, not {position_id!r}")
    payload = a.get("payload") or {}
    if not isinstance(payload, dict):
        raise ValueError("payload must be an object")
    return ArchivedTradeRow(
        position_id=position_id,
        algorithm=str(a["algorithm"]),
        closed_at=_aware(a["closed_at"], "closed_at"),
        gross_pnl=to_decimal(a["gross_pnl"]),
        net_pnl=to_decimal(a["net_pnl"]),
        archived_at=_aware(a["archived_at"], "archived_at"),
        payload=payload,
    )


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
    """Replace the paper state with ``state`` in one transaction; a value the database refuses (an id
    out of its range, a duplicate) rolls the whole import back and is reported as a StateError."""
    try:
        return _import_state(factory, state, now)
    except ArithmeticError:  # decimal.InvalidOperation: an amount too large for its column
        raise StateError(
            "the database refused the imported state (an amount is out of range); nothing was imported"
        ) from None
    except (SQLAlchemyError, ValueError, TypeError) as exc:
        detail = " ".join(str(getattr(exc, "orig", None) or exc).split())[:200]
        raise StateError(
            f"the database refused the imported state ({type(exc).__name__}: {detail}); nothing was imported"
        ) from None


def _import_state(factory: sessionmaker[Session], state: PaperState, now: datetime) -> dict[str, int]:
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
        if state.risk_state:
            session.add(_risk_row(state.risk_state, state.capital, now))
        for a in state.archived:
            session.add(_archived_row(a))
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
