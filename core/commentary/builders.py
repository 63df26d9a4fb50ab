"""Builders: facts from the domain types (``core.domain.market`` and ``core.domain.trading``).

Pure functions. Vols arrive as decimals and leave as percents; floats become ``Decimal`` through
``repr`` (so 0.1 stays 0.1) and are rounded by the facts' own types. A NaN anywhere is refused with
a ``DataValidationError`` that names the field, because a NaN must never be turned into words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TypeVar

from pydantic import ValidationError

from core.clock import IST
from core.commentary.facts import (
    AskFacts,
    BriefFacts,
    ChainFact,
    CueFact,
    EodFacts,
    GateFact,
    IndexFact,
    LegFact,
    LimitFact,
    MarketFact,
    PositionFact,
    RiskFact,
    ScoreFact,
    SuggestionFacts,
    TechnicalsFact,
    TradeFact,
    VolFact,
)
from core.domain.market import (
    ChainAnalytics,
    GlobalCue,
    IndexQuote,
    MarketSnapshot,
    Technicals,
    VolSnapshot,
)
from core.domain.money import ZERO, paise
from core.domain.trading import Position, RiskState, Suggestion
from core.errors import DataValidationError

CRUDE_SYMBOLS = ("BZ=F", "CL=F")
USD_INR_SYMBOLS = ("INR=X",)
T = TypeVar("T")


def _pct(decimal_vol: float | None) -> float | None:
    """0.1345 -> 13.45 (percent units)."""
    return None if decimal_vol is None else decimal_vol * 100.0


def _no_nan(what: str, values: Iterable[object]) -> None:
    for value in values:
        if isinstance(value, float) and not math.isfinite(value):
            raise DataValidationError(
                f"Cannot describe {what}: a value is not a number (NaN or infinite).", errors=[what]
            )


def _validated(what: str, factory: type[T], **fields: object) -> T:
    _no_nan(what, fields.values())
    try:
        return factory(**fields)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise DataValidationError(
            f"Cannot describe {what}: " + "; ".join(problems) + ".", errors=problems
        ) from None


def index_fact(quote: IndexQuote, name: str | None = None) -> IndexFact:
    change = None if quote.prev_close is None else quote.last - quote.prev_close
    return _validated(
        f"{quote.symbol}",
        IndexFact,
        name=name or quote.symbol,
        level=quote.last,
        change_points=change,
        change_pct=quote.change_pct,
    )


def cue_fact(cue: GlobalCue) -> CueFact:
    return _validated(
        cue.name, CueFact, name=cue.name, last=cue.last, change_pct=cue.change_pct, as_of=cue.as_of
    )


def vol_fact(vol: VolSnapshot) -> VolFact:
    return _validated(
        "the volatility snapshot",
        VolFact,
        regime=vol.regime.value,
        atm_iv_pct=_pct(vol.iv_atm),
        iv_percentile=vol.iv_percentile,
        iv_rank=vol.iv_rank,
        vix_percentile=vol.vix_percentile,
        rv_20d_pct=_pct(vol.rv_20d),
        rv_percentile=vol.rv_percentile,
    )


def chain_fact(a: ChainAnalytics, *, levels: int = 3) -> ChainFact:
    """The chain's analytics; ``levels`` strongest OI supports and resistances are kept."""
    _no_nan("the option chain", [*a.supports, *a.resistances])
    return _validated(
        f"the {a.expiry:%d %b} chain",
        ChainFact,
        expiry=a.expiry,
        days_to_expiry=a.days_to_expiry,
        atm_strike=a.atm_strike,
        atm_iv_pct=_pct(a.atm_iv),
        expected_move_points=a.expected_move,
        pcr_oi=a.pcr_oi,
        pcr_volume=a.pcr_volume,
        max_pain=a.max_pain,
        oi_supports=tuple(a.supports[:levels]),
        oi_resistances=tuple(a.resistances[:levels]),
        skew_25d_pct=_pct(a.skew_25d),
    )


def _first(cues: Sequence[GlobalCue], symbols: tuple[str, ...]) -> GlobalCue | None:
    for symbol in symbols:
        for cue in cues:
            if cue.symbol == symbol:
                return cue
    return None


def brief_facts(snapshot: MarketSnapshot, day: date, *, notes: Sequence[str] = ()) -> BriefFacts:
    """The brief for ``day`` from a snapshot; crude and USD/INR are split out of the global cues.

    ``data_notes`` gets ``notes`` plus one line per part of the snapshot that is not fresh.
    """
    crude = _first(snapshot.global_cues, CRUDE_SYMBOLS)
    usd_inr = _first(snapshot.global_cues, USD_INR_SYMBOLS)
    others = tuple(c for c in snapshot.global_cues if c is not crude and c is not usd_inr)
    chain = snapshot.chain()
    stale = snapshot.stale_parts(tuple(snapshot.parts))
    return BriefFacts(
        day=day,
        nifty=None if snapshot.spot is None else index_fact(snapshot.spot, "NIFTY 50"),
        vix=None if snapshot.vix is None else index_fact(snapshot.vix, "India VIX"),
        global_cues=tuple(cue_fact(c) for c in others),
        crude=None if crude is None else cue_fact(crude),
        usd_inr=None if usd_inr is None else cue_fact(usd_inr),
        vol=None if snapshot.vol is None else vol_fact(snapshot.vol),
        chain=None if chain is None or chain.analytics is None else chain_fact(chain.analytics),
        data_notes=(*notes, *stale),
    )


def technicals_fact(t: Technicals) -> TechnicalsFact:
    trend = None if t.supertrend_up is None else ("up" if t.supertrend_up else "down")
    return _validated(
        "the technicals",
        TechnicalsFact,
        close=t.close,
        vwap=t.vwap,
        ema_fast=t.ema_fast,
        ema_slow=t.ema_slow,
        rsi=t.rsi,
        atr=t.atr,
        trend=trend,
    )


def suggestion_facts(s: Suggestion, technicals: Technicals | None = None) -> SuggestionFacts:
    """A suggestion's facts; money for all ``lots`` (premium total = per unit × lot size × lots)."""
    st = s.structure
    legs = tuple(
        _validated(
            leg.label,
            LegFact,
            action=leg.action.value,
            strike=leg.contract.strike,
            option_type=leg.contract.option_type,
            price=leg.mid,
            iv_pct=_pct(leg.iv),
            delta=leg.delta,
        )
        for leg in st.legs
    )
    _no_nan("the breakevens", st.breakevens)
    return _validated(
        f"suggestion {s.id}",
        SuggestionFacts,
        id=s.id,
        algorithm=s.algorithm,
        strategy=st.kind.label,
        bias=st.kind.bias,
        expiry=st.expiry,
        lots=s.lots,
        lot_size=st.lot_size,
        legs=legs,
        premium_type="credit" if st.net_mid >= 0 else "debit",
        net_premium_per_unit=abs(st.net_mid),
        net_premium_total=paise(abs(st.net_mid) * st.lot_size * s.lots),
        max_profit=s.max_profit,
        max_loss=s.max_loss,
        breakevens=st.breakevens,
        pop_pct=_pct(st.pop),
        score=s.score,
        score_components=tuple(
            ScoreFact(name=c.name, points=c.points, max_points=c.max_points, detail=c.detail)
            for c in s.components
        ),
        regime=s.regime.value,
        gates=tuple(GateFact(name=g.name, passed=g.passed, reason=g.reason) for g in s.gates),
        technicals=None if technicals is None else technicals_fact(technicals),
        profit_target=paise(s.exit_plan.profit_target * s.lots),
        stop_loss=paise(s.exit_plan.stop_loss * s.lots),
    )


def position_fact(p: Position) -> PositionFact:
    legs = tuple(
        f"{leg.action.value} {leg.contract.strike:.0f} {leg.contract.option_type} x{leg.quantity}"
        for leg in p.legs
    )
    return PositionFact(
        id=p.id,
        algorithm=p.algorithm,
        strategy=p.kind.label,
        expiry=p.expiry,
        lots=p.lots,
        legs=legs,
        entry_premium=p.entry_premium,
        unrealized_pnl=p.net_unrealized_pnl if p.is_open else None,
        max_loss=p.max_loss if p.max_loss > 0 else None,
    )


def risk_fact(r: RiskState) -> RiskFact:
    return RiskFact(
        status=r.status.value,
        paused=r.paused,
        reasons=r.reasons,
        realized_today_net=r.realized_today,
        unrealized=r.unrealized,
        equity=r.equity,
        drawdown=r.drawdown,
        limits=tuple(
            LimitFact(name=c.name, used=c.used, limit=c.limit, used_pct=c.fraction * 100.0, tripped=c.tripped)
            for c in r.checks
        ),
    )


def _ist_day(at: datetime | None) -> date | None:
    return None if at is None else at.astimezone(IST).date()


def eod_facts(
    day: date,
    positions: Sequence[Position],
    risk: RiskState | None = None,
    *,
    nifty: IndexQuote | None = None,
    vix: IndexQuote | None = None,
) -> EodFacts:
    """The day's review from every position touched today (opened or closed on ``day``, IST) and
    the open ones. Gross P&L = realized gross of positions closed today; charges = entry charges of
    positions opened today + exit charges of positions closed today; net = gross - charges.
    """
    trades: list[TradeFact] = []
    gross = ZERO
    charges = ZERO
    for p in positions:
        if _ist_day(p.opened_at) == day:
            charges += p.entry_charges.total
            trades.append(
                TradeFact(
                    id=p.id,
                    algorithm=p.algorithm,
                    strategy=p.kind.label,
                    lots=p.lots,
                    action="opened",
                    premium=p.entry_premium,
                )
            )
        if not p.is_open and _ist_day(p.closed_at) == day:
            charges += p.exit_charges.total
            gross += p.realized_pnl
            trades.append(
                TradeFact(
                    id=p.id,
                    algorithm=p.algorithm,
                    strategy=p.kind.label,
                    lots=p.lots,
                    action="closed",
                    reason=None if p.exit_reason is None else p.exit_reason.label,
                    net_pnl=p.net_realized_pnl,
                )
            )
    return EodFacts(
        day=day,
        gross_pnl=gross,
        charges=charges,
        net_pnl=gross - charges,
        trades=tuple(trades),
        open_positions=tuple(position_fact(p) for p in positions if p.is_open),
        risk=None if risk is None else risk_fact(risk),
        nifty_close=None if nifty is None else index_fact(nifty, "NIFTY 50"),
        vix_close=None if vix is None else index_fact(vix, "India VIX"),
    )


def ask_facts(
    snapshot: MarketSnapshot, positions: Sequence[Position] = (), risk: RiskState | None = None
) -> AskFacts:
    """What /ask may answer from: the snapshot's summary, open positions and the risk state."""
    chain = snapshot.chain()
    market = MarketFact(
        as_of=snapshot.taken_at.astimezone(IST),
        nifty=None if snapshot.spot is None else index_fact(snapshot.spot, "NIFTY 50"),
        vix=None if snapshot.vix is None else index_fact(snapshot.vix, "India VIX"),
        vol=None if snapshot.vol is None else vol_fact(snapshot.vol),
        chain=None if chain is None or chain.analytics is None else chain_fact(chain.analytics),
    )
    return AskFacts(
        market=market,
        open_positions=tuple(position_fact(p) for p in positions if p.is_open),
        risk=None if risk is None else risk_fact(risk),
    )
