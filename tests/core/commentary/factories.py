"""Domain objects and facts for the commentary tests: a realistic NIFTY day (24 Nov 2026, IST)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd

from core.clock import IST
from core.commentary import builders
from core.commentary.facts import AskFacts, BriefFacts, EodFacts, SuggestionFacts
from core.domain.market import (
    ChainAnalytics,
    ChainSnapshot,
    DataStatus,
    GlobalCue,
    IndexQuote,
    MarketSnapshot,
    OptionContract,
    PartInfo,
    Technicals,
    VolRegime,
    VolSnapshot,
)
from core.domain.trading import (
    Action,
    Charges,
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

DAY = date(2026, 11, 24)
EXPIRY = date(2026, 12, 1)
NOW = datetime(2026, 11, 24, 8, 40, tzinfo=IST)


def nifty(last: float = 24087.04, prev: float = 24188.4) -> IndexQuote:
    return IndexQuote("NSE:NIFTY 50", last, prev, NOW)


def vix() -> IndexQuote:
    return IndexQuote("NSE:INDIA VIX", 13.2, 12.93, NOW)


def analytics() -> ChainAnalytics:
    return ChainAnalytics(
        expiry=EXPIRY,
        spot=24087.04,
        forward=24101.5,
        atm_strike=24100.0,
        atm_iv=0.1345,
        expected_move=210.5,
        pcr_oi=1.12,
        pcr_volume=0.97,
        max_pain=24000.0,
        supports=(24000.0, 23900.0, 23800.0, 23700.0),
        resistances=(24200.0, 24300.0),
        skew_25d=0.021,
        days_to_expiry=7.3,
    )


def snapshot(symbol_name: str = "S&P 500") -> MarketSnapshot:
    chain = ChainSnapshot("NIFTY", EXPIRY, 24087.04, NOW, frame=pd.DataFrame(), analytics=analytics())
    return MarketSnapshot(
        taken_at=NOW,
        spot=nifty(),
        vix=vix(),
        chains=(chain,),
        global_cues=(
            GlobalCue("^GSPC", symbol_name, 6021.63, 0.35, date(2026, 11, 23)),
            GlobalCue("^N225", "Nikkei 225", 38110.2, -0.61, DAY),
            GlobalCue("BZ=F", "Brent crude", 78.4, -1.1, date(2026, 11, 23), kind="commodity"),
            GlobalCue("INR=X", "USD/INR", 84.12, 0.05, DAY, kind="fx"),
        ),
        vol=VolSnapshot(
            as_of=DAY,
            iv_atm=0.1345,
            iv_percentile=42.0,
            iv_rank=38.5,
            vix=13.2,
            vix_percentile=35.25,
            rv_20d=0.112,
            rv_percentile=30.0,
            regime=VolRegime.NORMAL,
        ),
        parts={
            "spot": PartInfo("kite", DataStatus.FRESH, NOW),
            "global": PartInfo("yahoo", DataStatus.STALE, NOW - timedelta(days=2), "yahoo rate limited"),
        },
    )


def contract(strike: float, kind: str = "PE") -> OptionContract:
    return OptionContract(f"NIFTY26DEC{strike:.0f}{kind}", 1000 + int(strike), EXPIRY, strike, kind, 65)


def leg(strike: float, action: Action, mid: str, delta: float) -> StructureLeg:
    m = Decimal(mid)
    return StructureLeg(contract(strike), action, m - Decimal("0.5"), m + Decimal("0.5"), m, 0.14, delta)


def suggestion(rationale: str = "IV percentile 42 is in the middle of its range") -> Suggestion:
    structure = Structure(
        kind=StrategyKind.BULL_PUT_CREDIT,
        expiry=EXPIRY,
        legs=(leg(24000, Action.SELL, "85.50", -0.32), leg(23900, Action.BUY, "60.20", -0.24)),
        lot_size=65,
        net_mid=Decimal("25.30"),
        net_natural=Decimal("24.30"),
        width=Decimal("100"),
        max_profit=Decimal("1644.50"),
        max_loss=Decimal("4855.50"),
        breakevens=(23974.7,),
        pop=0.682,
        credit_to_width=0.253,
        net_delta=-5.2,
        net_gamma=0.01,
        net_vega=-120.0,
        net_theta=45.0,
        margin=Decimal("42000"),
        spot=24087.04,
        priced_at=NOW,
    )
    return Suggestion(
        algorithm="atlas",
        structure=structure,
        lots=1,
        score=72.5,
        components=(
            ScoreComponent("iv", 20.0, 25.0, "IV percentile 42"),
            ScoreComponent("trend", 18.0, 25.0, "price above VWAP"),
        ),
        rationale=rationale,
        gates=(
            GateResult("fresh_data", True, "market data is fresh"),
            GateResult("entry_window", True, "inside the 09:30-14:30 entry window"),
        ),
        exit_plan=ExitPlan(Decimal("822.25"), Decimal("3288.90"), None),
        regime=VolRegime.NORMAL,
        created_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
        id=42,
    )


def technicals() -> Technicals:
    return Technicals(24087.04, 24066.3, 24075.0, 24010.8, 55.2, 61.4, 23990.0, True, 24210.0, 23950.0, NOW)


def position(pid: int = 12, *, closed: bool = False) -> Position:
    opened = datetime(2026, 11, 24, 10, 5, tzinfo=IST)
    legs = (
        PositionLeg(
            contract(24000),
            Action.SELL,
            65,
            Decimal("85.50"),
            Decimal("96.00") if closed else None,
            None if closed else Decimal("80.00"),
        ),
        PositionLeg(
            contract(23900),
            Action.BUY,
            65,
            Decimal("60.20"),
            Decimal("64.90") if closed else None,
            None if closed else Decimal("57.10"),
        ),
    )
    return Position(
        id=pid,
        suggestion_id=42,
        algorithm="atlas" if not closed else "range",
        kind=StrategyKind.BULL_PUT_CREDIT,
        expiry=EXPIRY,
        lots=1,
        lot_size=65,
        legs=legs,
        exit_plan=ExitPlan(Decimal("822.25"), Decimal("3288.90"), None),
        opened_at=opened if not closed else datetime(2026, 11, 20, 10, 0, tzinfo=IST),
        opened_by=1,
        status=PositionStatus.CLOSED if closed else PositionStatus.OPEN,
        entry_charges=Charges(brokerage=Decimal("40"), stt=Decimal("8.34"), gst=Decimal("7.52")),
        closed_at=datetime(2026, 11, 24, 14, 10, tzinfo=IST) if closed else None,
        exit_reason=ExitReason.STOP_LOSS if closed else None,
        exit_charges=Charges(brokerage=Decimal("40"), stt=Decimal("9.36"), gst=Decimal("7.60"))
        if closed
        else Charges(),
        max_loss=Decimal("4855.50"),
    )


def risk() -> RiskState:
    return RiskState(
        status=RiskStatus.ACTIVE,
        reasons=("all limits within bounds",),
        paused=False,
        paused_by=None,
        tripped=(),
        tripped_at=None,
        trading_day=DAY,
        realized_today=Decimal("-499.17"),
        unrealized=Decimal("214.50"),
        equity=Decimal("999715.33"),
        peak_equity=Decimal("1000000"),
        checks=(LimitCheck("daily_loss", Decimal("499.17"), Decimal("20000"), False),),
    )


def brief_facts() -> BriefFacts:
    return builders.brief_facts(snapshot(), DAY)


def suggestion_facts() -> SuggestionFacts:
    return builders.suggestion_facts(suggestion(), technicals())


def eod_facts() -> EodFacts:
    return builders.eod_facts(DAY, [position(12), position(9, closed=True)], risk(), nifty=nifty(), vix=vix())


def ask_facts() -> AskFacts:
    return builders.ask_facts(snapshot(), [position(12)], risk())
