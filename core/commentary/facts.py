"""Facts: the typed, frozen data every commentary prompt is a pure function of.

Numbers are stored as they will be shown, so Claude, the fallback writer and the grounding check all
see the same values:

- rupees (``Rupees``) to paise, 2 decimals; index levels and points (``Points``) to 2 decimals;
- percents (``Percent``, fields ending ``_pct``) in percent units, 2 decimals: an IV of 0.1345 is
  ``13.45``; a change of -0.8% is ``-0.8``; percentiles (``Percentile``) 0-100 to 1 decimal;
- ratios (``Ratio``: PCR, credit/width, delta) to 2 decimals; scores (``Score``) to 1 decimal;
- counts are ``int``; dates are IST market dates.

``None`` means unknown and is shown as "unknown"; NaN and infinity are refused at construction (a NaN
must never be turned into words). Strings (names, reasons, notes) are data: the system prompt tells
Claude that nothing inside them is an instruction. In JSON, numbers are written as JSON numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from core.domain.money import to_decimal


def _finite(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a number")
    try:
        return to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"must be a finite number, got {value!r}") from exc


def _places(places: int) -> AfterValidator:
    quantum = Decimal(1).scaleb(-places)
    return AfterValidator(lambda d: d.quantize(quantum, rounding=ROUND_HALF_UP))


def _json_number(value: Decimal) -> float | int:
    # The values are quantized to <= 2 places, so float's shortest repr prints the same digits.
    return int(value) if value == value.to_integral_value() and abs(value) < 10**15 else float(value)


_AS_NUMBER = PlainSerializer(_json_number, when_used="json")

Rupees = Annotated[Decimal, BeforeValidator(_finite), _places(2), _AS_NUMBER]
"""Rupees to paise."""
Points = Annotated[Decimal, BeforeValidator(_finite), _places(2), _AS_NUMBER]
"""Index levels, strikes and index points, 2 decimals."""
Percent = Annotated[Decimal, BeforeValidator(_finite), _places(2), _AS_NUMBER]
"""Percent units (13.45 means 13.45%), 2 decimals."""
Percentile = Annotated[Decimal, BeforeValidator(_finite), _places(1), _AS_NUMBER]
"""0-100, 1 decimal."""
Ratio = Annotated[Decimal, BeforeValidator(_finite), _places(2), _AS_NUMBER]
"""A plain ratio (PCR 1.12, delta -0.25), 2 decimals."""
Score = Annotated[Decimal, BeforeValidator(_finite), _places(1), _AS_NUMBER]
"""Score points, 1 decimal."""

FactsKind = Literal["brief", "rationale", "eod", "ask"]


class _Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---- shared parts -------------------------------------------------------------------------------
class IndexFact(_Facts):
    """An index level with its change from the previous close."""

    name: str
    level: Points
    change_points: Points | None = None
    change_pct: Percent | None = None


class CueFact(_Facts):
    """A global cue (S&P 500, Brent, USD/INR ...): last value and change in percent."""

    name: str
    last: Points | None = None
    change_pct: Percent | None = None
    as_of: date | None = None


class VolFact(_Facts):
    """The volatility picture: regime word and percentiles (0-100), vols in percent."""

    regime: str
    atm_iv_pct: Percent | None = None
    iv_percentile: Percentile | None = None
    iv_rank: Percentile | None = None
    vix_percentile: Percentile | None = None
    rv_20d_pct: Percent | None = None
    rv_percentile: Percentile | None = None


class ChainFact(_Facts):
    """What the nearest expiry's option chain says. ``expected_move_points`` is ± index points."""

    expiry: date
    days_to_expiry: Score
    atm_strike: Points
    atm_iv_pct: Percent | None = None
    expected_move_points: Points | None = None
    pcr_oi: Ratio | None = None
    pcr_volume: Ratio | None = None
    max_pain: Points | None = None
    oi_supports: tuple[Points, ...] = ()
    oi_resistances: tuple[Points, ...] = ()
    skew_25d_pct: Percent | None = None


class LimitFact(_Facts):
    """One risk limit: ``used`` of ``limit`` rupees."""

    name: str
    used: Rupees
    limit: Rupees
    used_pct: Percent
    tripped: bool


class RiskFact(_Facts):
    """The desk's trading state (active / reducing / halted) with the reasons behind it."""

    status: str
    paused: bool
    reasons: tuple[str, ...] = ()
    realized_today_net: Rupees
    unrealized: Rupees
    equity: Rupees
    drawdown: Rupees
    limits: tuple[LimitFact, ...] = ()


class PositionFact(_Facts):
    """An open paper position. Premium: + credit received / - debit paid, whole position."""

    id: int
    algorithm: str
    strategy: str
    expiry: date
    lots: int
    legs: tuple[str, ...]
    entry_premium: Rupees
    unrealized_pnl: Rupees | None = None
    max_loss: Rupees | None = None


class TradeFact(_Facts):
    """A position opened or closed today; ``reason`` is the exit reason for a closed one."""

    id: int
    algorithm: str
    strategy: str
    lots: int
    action: Literal["opened", "closed"]
    reason: str | None = None
    premium: Rupees | None = None
    net_pnl: Rupees | None = None


class MarketFact(_Facts):
    """A compact market view (for /ask)."""

    as_of: datetime
    nifty: IndexFact | None = None
    vix: IndexFact | None = None
    vol: VolFact | None = None
    chain: ChainFact | None = None


# ---- one model per kind of commentary -----------------------------------------------------------
class BriefFacts(_Facts):
    """The pre-market brief."""

    kind: Literal["brief"] = "brief"
    day: date
    nifty: IndexFact | None = None
    vix: IndexFact | None = None
    global_cues: tuple[CueFact, ...] = ()
    crude: CueFact | None = None
    usd_inr: CueFact | None = None
    vol: VolFact | None = None
    chain: ChainFact | None = None
    data_notes: tuple[str, ...] = ()


class LegFact(_Facts):
    """One leg of a suggested structure; price per unit in rupees."""

    action: Literal["BUY", "SELL"]
    strike: Points
    option_type: Literal["CE", "PE"]
    price: Rupees | None = None
    iv_pct: Percent | None = None
    delta: Ratio | None = None


class ScoreFact(_Facts):
    name: str
    points: Score
    max_points: Score
    detail: str = ""


class GateFact(_Facts):
    name: str
    passed: bool
    reason: str


class TechnicalsFact(_Facts):
    """Key intraday technicals; ``trend`` is the Supertrend direction ("up", "down" or None)."""

    close: Points
    vwap: Points | None = None
    ema_fast: Points | None = None
    ema_slow: Points | None = None
    rsi: Score | None = None
    atr: Points | None = None
    trend: str | None = None


class SuggestionFacts(_Facts):
    """A suggestion's rationale. Money is for the whole suggestion (all lots) unless ``_per_unit``."""

    kind: Literal["rationale"] = "rationale"
    id: int | None = None
    algorithm: str
    strategy: str
    bias: str
    expiry: date
    lots: int
    lot_size: int
    legs: tuple[LegFact, ...]
    premium_type: Literal["credit", "debit"]
    net_premium_per_unit: Rupees
    net_premium_total: Rupees
    max_profit: Rupees
    max_loss: Rupees
    breakevens: tuple[Points, ...] = ()
    pop_pct: Percent | None = None
    score: Score
    score_out_of: int = 100
    score_components: tuple[ScoreFact, ...] = ()
    regime: str
    gates: tuple[GateFact, ...] = ()
    technicals: TechnicalsFact | None = None
    profit_target: Rupees | None = None
    stop_loss: Rupees | None = None


class EodFacts(_Facts):
    """The end-of-day review. P&L is the day's, rupees; ``net`` is after charges."""

    kind: Literal["eod"] = "eod"
    day: date
    gross_pnl: Rupees
    charges: Rupees
    net_pnl: Rupees
    trades: tuple[TradeFact, ...] = ()
    open_positions: tuple[PositionFact, ...] = ()
    risk: RiskFact | None = None
    nifty_close: IndexFact | None = None
    vix_close: IndexFact | None = None


class AskFacts(_Facts):
    """What /ask may answer from: the market now, open positions and the risk state."""

    kind: Literal["ask"] = "ask"
    market: MarketFact
    open_positions: tuple[PositionFact, ...] = ()
    risk: RiskFact | None = None


AnyFacts = BriefFacts | SuggestionFacts | EodFacts | AskFacts
