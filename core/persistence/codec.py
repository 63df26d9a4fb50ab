"""JSON-safe dictionaries for domain objects (database payloads and state export/import).

Decimals travel as strings (exact), dates and datetimes as ISO 8601 with offsets, enums as values.
``*_from_dict`` functions reject what they cannot read with ``StateError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

from core.domain.market import OptionContract, VolRegime
from core.domain.money import to_decimal
from core.domain.trading import (
    Action,
    Charges,
    ExitPlan,
    ExitReason,
    GateResult,
    Position,
    PositionLeg,
    PositionStatus,
    ScoreComponent,
    StrategyKind,
    Structure,
    StructureLeg,
    Suggestion,
    SuggestionStatus,
)
from core.errors import StateError

T = TypeVar("T")


def _dec(x: Decimal | None) -> str | None:
    return None if x is None else str(x)


def _iso(x: date | datetime | None) -> str | None:
    return None if x is None else x.isoformat()


def _field(data: Mapping[str, Any], key: str, conv: Callable[[Any], T], where: str) -> T:
    try:
        return conv(data[key])
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise StateError(f"{where}: field {key!r} is missing or invalid ({exc})") from None


def _opt(data: Mapping[str, Any], key: str, conv: Callable[[Any], T], where: str) -> T | None:
    if data.get(key) is None:
        return None
    return _field(data, key, conv, where)


def _aware(text: Any) -> datetime:
    dt = datetime.fromisoformat(str(text))
    if dt.tzinfo is None:
        raise ValueError("datetime without a time zone")
    return dt


def _day(text: Any) -> date:
    return date.fromisoformat(str(text))


# ---- contracts and structures ---------------------------------------------------------------------
def contract_to_dict(c: OptionContract) -> dict[str, Any]:
    return {
        "tradingsymbol": c.tradingsymbol,
        "instrument_token": c.instrument_token,
        "expiry": c.expiry.isoformat(),
        "strike": c.strike,
        "option_type": c.option_type,
        "lot_size": c.lot_size,
        "tick_size": c.tick_size,
        "exchange": c.exchange,
    }


def contract_from_dict(d: Mapping[str, Any], where: str = "contract") -> OptionContract:
    kind = _field(d, "option_type", str, where)
    if kind not in ("CE", "PE"):
        raise StateError(f"{where}: option_type must be CE or PE, not {kind!r}")
    return OptionContract(
        tradingsymbol=_field(d, "tradingsymbol", str, where),
        instrument_token=_field(d, "instrument_token", int, where),
        expiry=_field(d, "expiry", _day, where),
        strike=_field(d, "strike", float, where),
        option_type=kind,  # type: ignore[arg-type]
        lot_size=_field(d, "lot_size", int, where),
        tick_size=float(d.get("tick_size", 0.05)),
        exchange=str(d.get("exchange", "NFO")),
    )


def _leg_to_dict(leg: StructureLeg) -> dict[str, Any]:
    return {
        "contract": contract_to_dict(leg.contract),
        "action": leg.action.value,
        "bid": _dec(leg.bid),
        "ask": _dec(leg.ask),
        "mid": _dec(leg.mid),
        "iv": leg.iv,
        "delta": leg.delta,
        "gamma": leg.gamma,
        "vega": leg.vega,
        "theta": leg.theta,
        "quote_time": _iso(leg.quote_time),
        "ratio": leg.ratio,
    }


def _leg_from_dict(d: Mapping[str, Any], where: str) -> StructureLeg:
    return StructureLeg(
        contract=contract_from_dict(_field(d, "contract", dict, where), where),
        action=_field(d, "action", Action, where),
        bid=_opt(d, "bid", to_decimal, where),
        ask=_opt(d, "ask", to_decimal, where),
        mid=_opt(d, "mid", to_decimal, where),
        iv=_opt(d, "iv", float, where),
        delta=_opt(d, "delta", float, where),
        gamma=_opt(d, "gamma", float, where),
        vega=_opt(d, "vega", float, where),
        theta=_opt(d, "theta", float, where),
        quote_time=_opt(d, "quote_time", _aware, where),
        ratio=int(d.get("ratio", 1)),
    )


def structure_to_dict(s: Structure) -> dict[str, Any]:
    return {
        "kind": s.kind.value,
        "expiry": s.expiry.isoformat(),
        "legs": [_leg_to_dict(leg) for leg in s.legs],
        "lot_size": s.lot_size,
        "net_mid": _dec(s.net_mid),
        "net_natural": _dec(s.net_natural),
        "width": _dec(s.width),
        "max_profit": _dec(s.max_profit),
        "max_loss": _dec(s.max_loss),
        "breakevens": list(s.breakevens),
        "pop": s.pop,
        "credit_to_width": s.credit_to_width,
        "net_delta": s.net_delta,
        "net_gamma": s.net_gamma,
        "net_vega": s.net_vega,
        "net_theta": s.net_theta,
        "margin": _dec(s.margin),
        "spot": s.spot,
        "priced_at": _iso(s.priced_at),
    }


def structure_from_dict(d: Mapping[str, Any], where: str = "structure") -> Structure:
    legs = _field(d, "legs", list, where)
    if not legs:
        raise StateError(f"{where}: a structure needs legs")
    return Structure(
        kind=_field(d, "kind", StrategyKind, where),
        expiry=_field(d, "expiry", _day, where),
        legs=tuple(_leg_from_dict(leg, f"{where}.legs[{i}]") for i, leg in enumerate(legs)),
        lot_size=_field(d, "lot_size", int, where),
        net_mid=_field(d, "net_mid", to_decimal, where),
        net_natural=_field(d, "net_natural", to_decimal, where),
        width=_field(d, "width", to_decimal, where),
        max_profit=_field(d, "max_profit", to_decimal, where),
        max_loss=_field(d, "max_loss", to_decimal, where),
        breakevens=tuple(float(x) for x in d.get("breakevens", ())),
        pop=_opt(d, "pop", float, where),
        credit_to_width=_opt(d, "credit_to_width", float, where),
        net_delta=float(d.get("net_delta", 0.0)),
        net_gamma=float(d.get("net_gamma", 0.0)),
        net_vega=float(d.get("net_vega", 0.0)),
        net_theta=float(d.get("net_theta", 0.0)),
        margin=_field(d, "margin", to_decimal, where),
        spot=float(d.get("spot", 0.0)),
        priced_at=_opt(d, "priced_at", _aware, where),
    )


# ---- suggestions -------------------------------------------------------------------------------
def exit_plan_to_dict(p: ExitPlan) -> dict[str, Any]:
    return {
        "profit_target": str(p.profit_target),
        "stop_loss": str(p.stop_loss),
        "max_sessions": p.max_sessions,
    }


def exit_plan_from_dict(d: Mapping[str, Any], where: str = "exit_plan") -> ExitPlan:
    return ExitPlan(
        profit_target=_field(d, "profit_target", to_decimal, where),
        stop_loss=_field(d, "stop_loss", to_decimal, where),
        max_sessions=_opt(d, "max_sessions", int, where),
    )


def suggestion_payload(s: Suggestion) -> dict[str, Any]:
    """What a suggestion row keeps in JSON beside its indexed columns."""
    return {
        "structure": structure_to_dict(s.structure),
        "components": [
            {"name": c.name, "points": c.points, "max_points": c.max_points, "detail": c.detail}
            for c in s.components
        ],
        "gates": [{"name": g.name, "passed": g.passed, "reason": g.reason} for g in s.gates],
        "exit_plan": exit_plan_to_dict(s.exit_plan),
        "params": dict(s.params),
        "rationale": s.rationale,
    }


def suggestion_to_dict(s: Suggestion) -> dict[str, Any]:
    """A whole suggestion (export files)."""
    return {
        "id": s.id,
        "algorithm": s.algorithm,
        "lots": s.lots,
        "score": s.score,
        "regime": s.regime.value,
        "created_at": _iso(s.created_at),
        "expires_at": _iso(s.expires_at),
        "status": s.status.value,
        "status_reason": s.status_reason,
        "decided_by": s.decided_by,
        "decided_at": _iso(s.decided_at),
        "position_id": s.position_id,
        "commentary": s.commentary,
        **suggestion_payload(s),
    }


def suggestion_from_dict(d: Mapping[str, Any], where: str = "suggestion") -> Suggestion:
    params = d.get("params") or {}
    if not isinstance(params, dict):
        raise StateError(f"{where}: params must be a mapping")
    return Suggestion(
        id=_opt(d, "id", int, where),
        algorithm=_field(d, "algorithm", str, where),
        structure=structure_from_dict(_field(d, "structure", dict, where), f"{where}.structure"),
        lots=_field(d, "lots", int, where),
        score=_field(d, "score", float, where),
        components=tuple(
            ScoreComponent(str(c["name"]), float(c["points"]), float(c["max_points"]), str(c["detail"]))
            for c in d.get("components", ())
        ),
        rationale=str(d.get("rationale", "")),
        gates=tuple(
            GateResult(str(g["name"]), bool(g["passed"]), str(g["reason"])) for g in d.get("gates", ())
        ),
        exit_plan=exit_plan_from_dict(_field(d, "exit_plan", dict, where), f"{where}.exit_plan"),
        regime=_field(d, "regime", VolRegime, where),
        created_at=_field(d, "created_at", _aware, where),
        expires_at=_field(d, "expires_at", _aware, where),
        params=MappingProxyType(dict(params)),
        status=_field(d, "status", SuggestionStatus, where),
        status_reason=d.get("status_reason"),
        decided_by=_opt(d, "decided_by", int, where),
        decided_at=_opt(d, "decided_at", _aware, where),
        position_id=_opt(d, "position_id", int, where),
        commentary=d.get("commentary"),
    )


# ---- charges ----------------------------------------------------------------------------------
_CHARGE_FIELDS = ("brokerage", "stt", "exchange", "sebi", "gst", "stamp")


def charges_to_dict(c: Charges) -> dict[str, str]:
    return {name: str(getattr(c, name)) for name in _CHARGE_FIELDS}


def charges_from_dict(d: Mapping[str, Any] | None, where: str = "charges") -> Charges:
    if not d:
        return Charges()
    return Charges(**{name: _field(d, name, to_decimal, where) for name in _CHARGE_FIELDS})


# ---- positions --------------------------------------------------------------------------------
def position_to_dict(p: Position) -> dict[str, Any]:
    return {
        "id": p.id,
        "suggestion_id": p.suggestion_id,
        "algorithm": p.algorithm,
        "kind": p.kind.value,
        "expiry": p.expiry.isoformat(),
        "lots": p.lots,
        "lot_size": p.lot_size,
        "status": p.status.value,
        "opened_at": _iso(p.opened_at),
        "opened_by": p.opened_by,
        "closed_at": _iso(p.closed_at),
        "exit_reason": p.exit_reason.value if p.exit_reason else None,
        "exit_plan": exit_plan_to_dict(p.exit_plan),
        "sessions_held": p.sessions_held,
        "last_session_date": _iso(p.last_session_date),
        "marked_at": _iso(p.marked_at),
        "max_loss": str(p.max_loss),
        "margin": str(p.margin),
        "entry_charges": charges_to_dict(p.entry_charges),
        "exit_charges": charges_to_dict(p.exit_charges),
        "legs": [
            {
                "contract": contract_to_dict(leg.contract),
                "action": leg.action.value,
                "quantity": leg.quantity,
                "entry_price": str(leg.entry_price),
                "exit_price": _dec(leg.exit_price),
                "mark": _dec(leg.mark),
            }
            for leg in p.legs
        ],
    }


def position_from_dict(d: Mapping[str, Any], where: str = "position") -> Position:
    legs_data = _field(d, "legs", list, where)
    if not legs_data:
        raise StateError(f"{where}: a position needs legs")
    legs = []
    for i, leg in enumerate(legs_data):
        w = f"{where}.legs[{i}]"
        if not isinstance(leg, dict):
            raise StateError(f"{w}: not an object")
        quantity = _field(leg, "quantity", int, w)
        if quantity <= 0:
            raise StateError(f"{w}: quantity must be positive")
        legs.append(
            PositionLeg(
                contract=contract_from_dict(_field(leg, "contract", dict, w), f"{w}.contract"),
                action=_field(leg, "action", Action, w),
                quantity=quantity,
                entry_price=_field(leg, "entry_price", to_decimal, w),
                exit_price=_opt(leg, "exit_price", to_decimal, w),
                mark=_opt(leg, "mark", to_decimal, w),
            )
        )
    status = _field(d, "status", PositionStatus, where)
    closed_at = _opt(d, "closed_at", _aware, where)
    exit_reason = _opt(d, "exit_reason", ExitReason, where)
    if status is PositionStatus.CLOSED and (closed_at is None or exit_reason is None):
        raise StateError(f"{where}: a closed position needs closed_at and exit_reason")
    if status is PositionStatus.CLOSED and any(leg.exit_price is None for leg in legs):
        raise StateError(f"{where}: a closed position needs an exit price on every leg")
    lots = _field(d, "lots", int, where)
    if lots <= 0:
        raise StateError(f"{where}: lots must be positive")
    return Position(
        id=_field(d, "id", int, where),
        suggestion_id=_opt(d, "suggestion_id", int, where),
        algorithm=_field(d, "algorithm", str, where),
        kind=_field(d, "kind", StrategyKind, where),
        expiry=_field(d, "expiry", _day, where),
        lots=lots,
        lot_size=_field(d, "lot_size", int, where),
        legs=tuple(legs),
        exit_plan=exit_plan_from_dict(_field(d, "exit_plan", dict, where), f"{where}.exit_plan"),
        opened_at=_field(d, "opened_at", _aware, where),
        opened_by=_opt(d, "opened_by", int, where),
        status=status,
        entry_charges=charges_from_dict(d.get("entry_charges"), f"{where}.entry_charges"),
        sessions_held=int(d.get("sessions_held", 0)),
        last_session_date=_opt(d, "last_session_date", _day, where),
        marked_at=_opt(d, "marked_at", _aware, where),
        closed_at=closed_at,
        exit_reason=exit_reason,
        exit_charges=charges_from_dict(d.get("exit_charges"), f"{where}.exit_charges"),
        max_loss=_field(d, "max_loss", to_decimal, where),
        margin=_field(d, "margin", to_decimal, where),
    )
