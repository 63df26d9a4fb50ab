"""Hand-made, fully pinned objects for the render tests (golden files must not move when the
simulator or the strategies change)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

import pandas as pd

from core.clock import IST
from core.domain.market import (
    ChainAnalytics,
    ChainSnapshot,
    DataStatus,
    GlobalCue,
    IndexQuote,
    MarketSnapshot,
    OptionContract,
    PartInfo,
    VolRegime,
    VolSnapshot,
)
from core.domain.trading import (
    Action,
    Charges,
    EquityPoint,
    ExitPlan,
    ExitReason,
    GateResult,
    LimitCheck,
    Position,
    PositionLeg,
    PositionStatus,
    RiskState,
    RiskStatus,
    ScoreComponent,
    StrategyKind,
    Structure,
    StructureLeg,
    Suggestion,
)
from core.paper.audit import DecisionAction, TradeDecisionLog
from core.services.results import PnlReport, PositionView, RiskReport

NOW = datetime(2026, 11, 25, 11, 5, tzinfo=IST)
TAKEN = datetime(2026, 11, 25, 11, 4, 30, tzinfo=IST)
EXPIRY = date(2026, 12, 1)
FAR_EXPIRY = date(2026, 12, 29)
SPOT = 24051.35
STRIKES = [23750.0 + 50 * i for i in range(13)]  # 23,750 … 24,350


def contract(strike: float, kind: str, expiry: date = EXPIRY) -> OptionContract:
    code = f"NIFTY26D{expiry.day:02d}{int(strike)}{kind}"
    token = int(strike) * 10 + (1 if kind == "CE" else 2)
    return OptionContract(code, token, expiry, strike, kind, 65)  # type: ignore[arg-type]


def _row(strike: float, kind: str, i: int) -> dict[str, object]:
    moneyness = (strike - SPOT) / 50.0
    intrinsic = max(SPOT - strike, 0.0) if kind == "CE" else max(strike - SPOT, 0.0)
    mid = round((intrinsic + 120.0 * math.exp(-0.18 * abs(moneyness))) * 20) / 20
    bid, ask = mid - 0.5, mid + 0.5
    iv = 0.128 + 0.004 * abs(moneyness) + (0.003 if kind == "PE" and strike < SPOT else 0.0)
    delta = 0.5 - 0.045 * moneyness
    delta = max(min(delta, 0.99), 0.01) if kind == "CE" else -max(min(1 - delta, 0.99), 0.01)
    row: dict[str, object] = {
        "tradingsymbol": contract(strike, kind).tradingsymbol,
        "instrument_token": contract(strike, kind).instrument_token,
        "expiry": EXPIRY,
        "strike": strike,
        "option_type": kind,
        "lot_size": 65,
        "bid": bid,
        "ask": ask,
        "ltp": mid,
        "bid_qty": 650,
        "ask_qty": 975,
        "oi": 350_000 + 97_531 * ((i * 7 + (3 if kind == "CE" else 5)) % 11),
        "oi_change": (-1) ** i * 12_345 * (i % 5) + (48_000 if kind == "PE" else -2_500),
        "volume": 100_000 + 1_000 * i,
        "quote_time": TAKEN,
        "mid": mid,
        "iv": iv,
        "iv_status": "ok",
        "delta": delta,
        "gamma": 0.0006,
        "vega": 8.5,
        "theta": -8.0,
    }
    return row


def chain_frame() -> pd.DataFrame:
    rows = [_row(k, kind, i) for i, k in enumerate(STRIKES) for kind in ("CE", "PE")]
    frame = pd.DataFrame(rows)
    # A one-sided deep quote (LTP shown instead) and an option without IV.
    deep = (frame.strike == 23750.0) & (frame.option_type == "CE")
    frame.loc[deep, ["bid", "ask", "mid"]] = math.nan
    frame.loc[(frame.strike == 24350.0) & (frame.option_type == "PE"), "iv"] = math.nan
    return frame


def analytics(expiry: date = EXPIRY) -> ChainAnalytics:
    return ChainAnalytics(
        expiry=expiry,
        spot=SPOT,
        forward=24072.8,
        atm_strike=24050.0,
        atm_iv=0.1284,
        expected_move=288.6,
        pcr_oi=1.0734,
        pcr_volume=0.8812,
        max_pain=24000.0,
        supports=(24000.0, 23800.0, 23900.0),
        resistances=(24200.0, 24300.0, 24100.0),
        skew_25d=0.0186,
        days_to_expiry=(expiry - date(2026, 11, 25)).days - 0.81,
    )


def chain(expiry: date = EXPIRY) -> ChainSnapshot:
    return ChainSnapshot("NIFTY", expiry, SPOT, TAKEN, chain_frame(), analytics(expiry))


def cues() -> tuple[GlobalCue, ...]:
    d = date(2026, 11, 24)
    return (
        GlobalCue("ES=F", "S&P 500 futures", 6712.25, 0.42, d, "future"),
        GlobalCue("NQ=F", "Nasdaq 100 futures", 24105.5, -0.18, d, "future"),
        GlobalCue("^GSPC", "S&P 500", 6698.4, 0.31, d, "index"),
        GlobalCue("^N225", "Nikkei 225", 49220.9, -1.04, d, "index"),
        GlobalCue("CL=F", "WTI crude", 61.37, 1.25, d, "commodity"),
        GlobalCue("BZ=F", "Brent crude", 65.02, 1.1, d, "commodity"),
        GlobalCue("INR=X", "USD/INR", 88.64, 0.07, d, "fx"),
        GlobalCue("^TNX", "US 10Y yield", 4.12, None, d, "rate"),
    )


def vol_snapshot(**overrides: object) -> VolSnapshot:
    base: dict[str, object] = dict(
        as_of=date(2026, 11, 25),
        iv_atm=0.1284,
        iv_percentile=38.4,
        iv_rank=31.6,
        vix=13.42,
        vix_percentile=41.0,
        rv_20d=0.1123,
        rv_percentile=55.5,
        regime=VolRegime.NORMAL,
        warnings=(),
    )
    base.update(overrides)
    return VolSnapshot(**base)  # type: ignore[arg-type]


def snapshot(*, stale: bool = False, chains: tuple[ChainSnapshot, ...] | None = None) -> MarketSnapshot:
    fresh = PartInfo("kite", DataStatus.FRESH, TAKEN)
    parts = {
        "spot": fresh,
        "vix": fresh,
        "chain": fresh,
        "vol": fresh,
        "global": PartInfo("yahoo", DataStatus.FRESH, TAKEN),
    }
    if stale:
        parts["chain"] = PartInfo("kite", DataStatus.STALE, TAKEN - timedelta(minutes=7), "quotes 7 min old")
        parts["global"] = PartInfo("yahoo", DataStatus.FAILED, None, "YFRateLimitError: too many requests")
    return MarketSnapshot(
        taken_at=TAKEN,
        spot=IndexQuote("NIFTY 50", SPOT, 24110.0, TAKEN),
        vix=IndexQuote("INDIA VIX", 13.42, 13.05, TAKEN),
        chains=chains if chains is not None else (chain(), chain(FAR_EXPIRY)),
        global_cues=cues(),
        vol=vol_snapshot(),
        parts=parts,
    )


# ---- trading ---------------------------------------------------------------------------------------------
def sleg(strike: float, kind: str, action: Action, bid: str, ask: str) -> StructureLeg:
    b, a = Decimal(bid), Decimal(ask)
    return StructureLeg(
        contract(strike, kind),
        action,
        b,
        a,
        (b + a) / 2,
        0.131,
        -0.21 if kind == "PE" else 0.19,
        gamma=0.00061,
        vega=8.43,
        theta=-8.12,
        quote_time=TAKEN,
    )


def bull_put_structure() -> Structure:
    return Structure(
        kind=StrategyKind.BULL_PUT_CREDIT,
        expiry=EXPIRY,
        legs=(
            sleg(23900, "PE", Action.SELL, "61.20", "62.00"),
            sleg(23800, "PE", Action.BUY, "42.10", "42.90"),
        ),
        lot_size=65,
        net_mid=Decimal("19.10"),
        net_natural=Decimal("18.30"),
        width=Decimal("100"),
        max_profit=Decimal("1241.50"),
        max_loss=Decimal("5258.50"),
        breakevens=(23880.9,),
        pop=0.7312,
        credit_to_width=0.191,
        net_delta=3.92,
        net_gamma=-0.0091,
        net_vega=-101.3,
        net_theta=78.45,
        margin=Decimal("38250.40"),
        spot=SPOT,
        priced_at=TAKEN,
    )


def iron_condor_structure() -> Structure:
    return Structure(
        kind=StrategyKind.IRON_CONDOR,
        expiry=EXPIRY,
        legs=(
            sleg(23800, "PE", Action.BUY, "42.10", "42.90"),
            sleg(23900, "PE", Action.SELL, "61.20", "62.00"),
            sleg(24200, "CE", Action.SELL, "58.40", "59.30"),
            sleg(24300, "CE", Action.BUY, "36.15", "36.95"),
        ),
        lot_size=65,
        net_mid=Decimal("41.40"),
        net_natural=Decimal("39.80"),
        width=Decimal("100"),
        max_profit=Decimal("2691.00"),
        max_loss=Decimal("3809.00"),
        breakevens=(23858.6, 24241.4),
        pop=0.5421,
        credit_to_width=0.414,
        net_delta=-0.35,
        net_gamma=-0.0172,
        net_vega=-190.2,
        net_theta=151.6,
        margin=Decimal("41234.10"),
        spot=SPOT,
        priced_at=TAKEN,
    )


PASSED_GATES = (
    GateResult("market_open", True, "market open, inside the entry window"),
    GateResult("data_fresh", True, "spot, VIX, chain and vol data are fresh"),
    GateResult("daily_loss", True, "daily loss limit: ₹0.00 of ₹20,000.00 used"),
    GateResult("max_positions", True, "1 of 3 positions open"),
)


def suggestion(**overrides: object) -> Suggestion:
    base: dict[str, object] = dict(
        algorithm="range",
        structure=bull_put_structure(),
        lots=1,
        score=74.25,
        components=(
            ScoreComponent("vol", 22.0, 30.0, "IV percentile 38: premium fair"),
            ScoreComponent("trend", 18.5, 25.0, "Supertrend up, price above VWAP"),
            ScoreComponent("levels", 20.0, 25.0, "short strike below the 24,000 put wall"),
            ScoreComponent("liquidity", 13.75, 20.0, "spreads 0.80 wide"),
        ),
        rationale="Range day above the 24,000 put wall; IV fair; sell the 23,900/23,800 put spread.",
        gates=PASSED_GATES,
        exit_plan=ExitPlan(Decimal("620"), Decimal("1550"), 3),
        regime=VolRegime.NORMAL,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
        params=MappingProxyType({"short_delta": 0.2, "width": 100, "session": "am"}),
        id=42,
    )
    base.update(overrides)
    return Suggestion(**base)  # type: ignore[arg-type]


ENTRY_CHARGES = Charges(
    Decimal("40.00"), Decimal("0.00"), Decimal("0.73"), Decimal("0.01"), Decimal("7.33"), Decimal("0.08")
)
EXIT_CHARGES = Charges(
    Decimal("40.00"), Decimal("1.97"), Decimal("0.47"), Decimal("0.01"), Decimal("7.28"), Decimal("0.05")
)


def position(**overrides: object) -> Position:
    qty = 65 * int(overrides.get("lots", 1))  # type: ignore[call-overload]
    base: dict[str, object] = dict(
        id=7,
        suggestion_id=42,
        algorithm="range",
        kind=StrategyKind.BULL_PUT_CREDIT,
        expiry=EXPIRY,
        lots=1,
        lot_size=65,
        legs=(
            PositionLeg(
                contract(23900, "PE"), Action.SELL, qty, Decimal("61.15"), mark=Decimal("52.40"), id=1
            ),
            PositionLeg(
                contract(23800, "PE"), Action.BUY, qty, Decimal("42.95"), mark=Decimal("37.10"), id=2
            ),
        ),
        exit_plan=ExitPlan(Decimal("620"), Decimal("1550"), 3),
        opened_at=NOW,
        opened_by=1001,
        status=PositionStatus.OPEN,
        entry_charges=ENTRY_CHARGES,
        sessions_held=2,
        last_session_date=date(2026, 11, 26),
        marked_at=datetime(2026, 11, 26, 14, 20, tzinfo=IST),
        max_loss=Decimal("5317.00"),
        margin=Decimal("38250.40"),
    )
    base.update(overrides)
    return Position(**base)  # type: ignore[arg-type]


def closed_position(
    id: int = 7,
    reason: ExitReason = ExitReason.PROFIT_TARGET,
    short_exit: str = "48.20",
    long_exit: str = "34.90",
    closed_at: datetime | None = None,
    kind: StrategyKind = StrategyKind.BULL_PUT_CREDIT,
) -> Position:
    p = position(id=id, kind=kind)
    legs = (
        PositionLeg(p.legs[0].contract, Action.SELL, 65, Decimal("61.15"), Decimal(short_exit), id=1),
        PositionLeg(p.legs[1].contract, Action.BUY, 65, Decimal("42.95"), Decimal(long_exit), id=2),
    )
    return position(
        id=id,
        kind=kind,
        legs=legs,
        status=PositionStatus.CLOSED,
        closed_at=closed_at or datetime(2026, 11, 27, 10, 40, tzinfo=IST),
        exit_reason=reason,
        exit_charges=EXIT_CHARGES,
        sessions_held=3,
    )


def position_view(p: Position | None = None) -> PositionView:
    p = p or position()
    return PositionView(p, p.unrealized_pnl, p.unrealized_pnl / p.lots, 3.41, 74.2, p.marked_at)


def risk_state(*, tripped: bool = False, paused: bool = False) -> RiskState:
    loss = Decimal("21340.55") if tripped else Decimal("6120.00")
    checks = (
        LimitCheck("daily_loss", loss, Decimal("20000"), tripped),
        LimitCheck("drawdown", loss + Decimal("1500"), Decimal("81120.00"), False),
    )
    reasons = (
        ("daily loss limit tripped: ₹21,340.55 of ₹20,000.00 (107%); an admin must reset it",)
        if tripped
        else ()
    ) + (("trading paused by a trader",) if paused else ())
    return RiskState(
        status=RiskStatus.HALTED if tripped else RiskStatus.ACTIVE,
        reasons=reasons,
        paused=paused,
        paused_by=1001 if paused else None,
        tripped=("daily_loss",) if tripped else (),
        tripped_at=datetime(2026, 11, 25, 13, 12, tzinfo=IST) if tripped else None,
        trading_day=date(2026, 11, 25),
        realized_today=Decimal("-4210.30"),
        unrealized=-loss + Decimal("4210.30"),
        equity=Decimal("1014000.00") - loss,
        peak_equity=Decimal("1015500.00"),
        checks=checks,
    )


def risk_report(*, tripped: bool = False, paused: bool = False) -> RiskReport:
    state = risk_state(tripped=tripped, paused=paused)
    headroom = (
        ("daily loss limit: tripped", "₹58,279.45 more fall from the peak trips the drawdown limit")
        if tripped
        else (
            "₹13,880.00 more loss today trips the daily loss limit",
            "₹73,500.00 more fall from the peak trips the drawdown limit",
        )
    )
    return RiskReport(state, headroom, 2, 3, Decimal("76500.80"), Decimal("503939.73"))


def equity_points() -> tuple[EquityPoint, ...]:
    start = datetime(2026, 11, 23, 9, 30, tzinfo=IST)
    values = [1000000, 1001250, 1000800, 1002400, 999900, 998700, 1001100, 1003050]
    return tuple(
        EquityPoint(start + timedelta(hours=6 * i), Decimal(v - 1000000), Decimal(0), Decimal(v))
        for i, v in enumerate(values)
    )


def week_closed() -> tuple[Position, ...]:
    return (
        closed_position(7, ExitReason.PROFIT_TARGET),
        closed_position(8, ExitReason.STOP_LOSS, short_exit="92.40", long_exit="55.10"),
        closed_position(9, ExitReason.MANUAL, short_exit="58.00", long_exit="41.00"),
    )


def pnl_report(period: str = "week", closed: tuple[Position, ...] | None = None) -> PnlReport:
    closed = week_closed() if closed is None else closed
    gross = sum((p.realized_pnl for p in closed), Decimal(0))
    charges = sum((p.charges.total for p in closed), Decimal(0))
    return PnlReport(
        period=period,
        since=datetime(2026, 11, 27 if period == "day" else 23, 0, 0, tzinfo=IST),
        until=datetime(2026, 11, 27, 15, 40, tzinfo=IST),
        gross_realized=gross,
        charges=charges,
        net_realized=gross - charges,
        unrealized=Decimal("412.75"),
        trades_closed=len(closed),
        wins=sum(1 for p in closed if p.net_realized_pnl > 0),
        losses=sum(1 for p in closed if p.net_realized_pnl < 0),
        equity=Decimal("1003050.00"),
        equity_curve=equity_points(),
        closed=closed,
    )


def decisions() -> tuple[TradeDecisionLog, ...]:
    at = datetime(2026, 11, 25, 11, 5, tzinfo=IST)
    return (
        TradeDecisionLog(
            at=at + timedelta(minutes=30),
            action=DecisionAction.EXIT,
            outcome="stop_loss",
            algorithm="range",
            strategy="bull_put_credit",
            lots=1,
            reason="stop loss",
            pnl=Decimal("-1612.40"),
            position_id=8,
            suggestion_id=41,
        ),
        TradeDecisionLog(
            at=at + timedelta(minutes=2),
            action=DecisionAction.OPEN,
            outcome="executed",
            algorithm="range",
            strategy="bull_put_credit",
            regime="normal",
            score=74.25,
            lots=1,
            user_id=1001,
            suggestion_id=42,
            position_id=7,
        ),
        TradeDecisionLog(
            at=at,
            action=DecisionAction.REFUSE,
            outcome="refused",
            algorithm="atlas",
            suggestion_id=40,
            user_id=1001,
            reason="the credit moved from 19.10 to 16.20 per unit (15%, tolerance 10%)",
        ),
        TradeDecisionLog(
            at=at - timedelta(minutes=40),
            action=DecisionAction.PAUSE,
            user_id=1002,
            reason="new entries paused",
        ),
    )
