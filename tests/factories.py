"""Small factories for domain objects used across tests (positions, structures, risk inputs)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from core.clock import IST
from core.domain.market import OptionContract
from core.domain.trading import (
    Action,
    Charges,
    ExitPlan,
    Position,
    PositionLeg,
    PositionStatus,
    StrategyKind,
)

EXPIRY = date(2026, 12, 1)
OPENED = datetime(2026, 11, 25, 10, 0, tzinfo=IST)


def contract(strike: float, kind: str = "PE", expiry: date = EXPIRY, lot_size: int = 65) -> OptionContract:
    code = f"NIFTY{expiry:%y}{'123456789OND'[expiry.month - 1]}{expiry.day:02d}{int(strike)}{kind}"
    return OptionContract(
        code, int(strike) * 10 + (1 if kind == "CE" else 2), expiry, float(strike), kind, lot_size
    )  # type: ignore[arg-type]


def bull_put(
    *,
    id: int = 1,
    short: float = 24000,
    long: float = 23900,
    short_entry: str = "60",
    long_entry: str = "30",
    short_mark: str | None = None,
    long_mark: str | None = None,
    lots: int = 1,
    status: PositionStatus = PositionStatus.OPEN,
    entry_charges: Charges | None = None,
) -> Position:
    qty = 65 * lots
    return Position(
        id=id,
        suggestion_id=None,
        algorithm="range",
        kind=StrategyKind.BULL_PUT_CREDIT,
        expiry=EXPIRY,
        lots=lots,
        lot_size=65,
        legs=(
            PositionLeg(
                contract(short),
                Action.SELL,
                qty,
                Decimal(short_entry),
                mark=Decimal(short_mark) if short_mark else None,
                id=1,
            ),
            PositionLeg(
                contract(long),
                Action.BUY,
                qty,
                Decimal(long_entry),
                mark=Decimal(long_mark) if long_mark else None,
                id=2,
            ),
        ),
        exit_plan=ExitPlan(Decimal("975"), Decimal("1950"), None),
        opened_at=OPENED,
        opened_by=7,
        status=status,
        entry_charges=entry_charges or Charges(),
        max_loss=Decimal("4550") * lots,
        margin=Decimal("30000") * lots,
    )
