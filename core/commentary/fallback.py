"""The deterministic writer: the same kinds of text from the facts, without Claude.

Used when there is no API key, the service fails, times out or is over budget, or a reply fails
grounding. Every text starts with a label saying it is automatic. It writes only numbers taken from
the facts, formatted by the grounding rules, so its output always passes ``grounding.check`` against
the same facts (a property the tests assert). Output is plain text, not yet escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from core.clock import IST
from core.commentary.facts import (
    AskFacts,
    BriefFacts,
    ChainFact,
    CueFact,
    EodFacts,
    IndexFact,
    MarketFact,
    PositionFact,
    RiskFact,
    SuggestionFacts,
    VolFact,
)
from core.domain.money import format_inr

AUTOMATIC = "Automatic summary:"
AUTOMATIC_REPLY = "Automatic reply:"


def rupees(amount: Decimal) -> str:
    """₹1,23,456.78 (Indian grouping, paise), with a leading minus for a loss."""
    return format_inr(amount)


def level(value: Decimal) -> str:
    """An index level or strike with Indian grouping: 24,087.04; whole numbers without decimals."""
    text = format_inr(value, symbol=False)
    return text[:-3] if text.endswith(".00") else text


def pct(value: Decimal) -> str:
    return f"{abs(value):.2f}%"


def day_text(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def _move(value: Decimal | None) -> str:
    if value is None:
        return "change unknown"
    if value == 0:
        return "unchanged"
    return f"{'up' if value > 0 else 'down'} {pct(value)}"


def _index(fact: IndexFact | None, name: str) -> str:
    if fact is None:
        return f"{name} is unknown."
    points = "" if fact.change_points is None else f" ({abs(fact.change_points)} points)"
    return f"{fact.name} at {level(fact.level)}, {_move(fact.change_pct)}{points}."


def _cue(fact: CueFact) -> str:
    last = "" if fact.last is None else f" {level(fact.last)}"
    return f"{fact.name}{last} {_move(fact.change_pct)}"


def _opt(value: Decimal | None, fmt: str = "{}") -> str:
    return "unknown" if value is None else fmt.format(value)


def _vol(v: VolFact) -> str:
    return (
        f"Volatility regime {v.regime}: ATM IV {_opt(v.atm_iv_pct, '{}%')}, IV percentile "
        f"{_opt(v.iv_percentile)}, VIX percentile {_opt(v.vix_percentile)}, 20-day RV "
        f"{_opt(v.rv_20d_pct, '{}%')} (percentile {_opt(v.rv_percentile)})."
    )


def _levels(values: Iterable[Decimal]) -> str:
    out = ", ".join(level(v) for v in values)
    return out or "none"


def _chain(c: ChainFact) -> str:
    move = "unknown" if c.expected_move_points is None else f"±{c.expected_move_points} points"
    return (
        f"Nearest expiry {day_text(c.expiry)} ({c.days_to_expiry} days): expected move {move}, "
        f"PCR {_opt(c.pcr_oi)}, max pain {'unknown' if c.max_pain is None else level(c.max_pain)}, "
        f"OI supports {_levels(c.oi_supports)}, resistances {_levels(c.oi_resistances)}."
    )


def brief(f: BriefFacts) -> str:
    parts = [f"{AUTOMATIC} pre-market brief for {day_text(f.day)}.", _index(f.nifty, "NIFTY 50")]
    parts.append(_index(f.vix, "India VIX"))
    cues = [_cue(c) for c in f.global_cues]
    cues += [_cue(c) for c in (f.crude, f.usd_inr) if c is not None]
    if cues:
        parts.append("Global cues: " + "; ".join(cues) + ".")
    if f.vol is not None:
        parts.append(_vol(f.vol))
    if f.chain is not None:
        parts.append(_chain(f.chain))
    if f.data_notes:
        parts.append("Data notes: " + "; ".join(f.data_notes) + ".")
    return " ".join(parts)


def rationale(f: SuggestionFacts) -> str:
    legs = ", ".join(
        f"{leg.action} {level(leg.strike)} {leg.option_type}"
        + ("" if leg.price is None else f" at {rupees(leg.price)}")
        for leg in f.legs
    )
    lots = "lot" if f.lots == 1 else "lots"
    parts = [
        f"{AUTOMATIC} {f.algorithm} suggests a {f.strategy} ({f.bias}) for the {day_text(f.expiry)} "
        f"expiry, {f.lots} {lots} of {f.lot_size}: {legs}.",
        f"Net {f.premium_type} {rupees(f.net_premium_per_unit)} per unit, {rupees(f.net_premium_total)} "
        f"in all. Max profit {rupees(f.max_profit)}, max loss {rupees(f.max_loss)}; breakevens "
        f"{_levels(f.breakevens)}; POP {_opt(f.pop_pct, '{}%')}.",
        f"Score {f.score} of {f.score_out_of}"
        + "".join(f"; {c.name} {c.points} of {c.max_points}" for c in f.score_components)
        + f". Regime {f.regime}.",
    ]
    failed = [g for g in f.gates if not g.passed]
    if f.gates:
        parts.append("Gates: " + ("all passed." if not failed else "; ".join(g.reason for g in failed) + "."))
    if f.technicals is not None:
        t = f.technicals
        parts.append(f"Technicals: close {level(t.close)}, RSI {_opt(t.rsi)}, trend {t.trend or 'unknown'}.")
    if f.profit_target is not None and f.stop_loss is not None:
        parts.append(f"Exit plan: profit target {rupees(f.profit_target)}, stop loss {rupees(f.stop_loss)}.")
    return " ".join(parts)


def _position(p: PositionFact) -> str:
    pnl = "" if p.unrealized_pnl is None else f", unrealized {rupees(p.unrealized_pnl)}"
    return f"#{p.id}: {p.strategy} ({p.algorithm}), {day_text(p.expiry)} expiry, {p.lots} lot(s){pnl}"


def _risk(r: RiskFact) -> str:
    paused = " (paused)" if r.paused else ""
    text = (
        f"Risk state {r.status}{paused}: realized today {rupees(r.realized_today_net)}"
        f", unrealized {rupees(r.unrealized)}, equity {rupees(r.equity)}, drawdown {rupees(r.drawdown)}"
    )
    limits = "; ".join(
        f"{lim.name} {rupees(lim.used)} of {rupees(lim.limit)} ({pct(lim.used_pct)})" for lim in r.limits
    )
    reasons = "; ".join(r.reasons)
    return (
        text + (f". Limits: {limits}" if limits else "") + (f". Reasons: {reasons}" if reasons else "") + "."
    )


def eod(f: EodFacts) -> str:
    parts = [
        f"{AUTOMATIC} end of day {day_text(f.day)}. Net P&L {rupees(f.net_pnl)} (gross "
        f"{rupees(f.gross_pnl)}, charges {rupees(f.charges)})."
    ]
    trades = []
    for t in f.trades:
        if t.action == "opened":
            premium = "" if t.premium is None else f", premium {rupees(t.premium)}"
            trades.append(f"opened #{t.id}: {t.strategy} ({t.algorithm}){premium}")
        else:
            net = "" if t.net_pnl is None else f", net {rupees(t.net_pnl)}"
            trades.append(f"closed #{t.id}: {t.strategy} ({t.reason or 'no reason recorded'}){net}")
    parts.append("Trades: " + ("; ".join(trades) if trades else "none") + ".")
    if f.open_positions:
        parts.append("Open positions: " + "; ".join(_position(p) for p in f.open_positions) + ".")
    else:
        parts.append("No open positions.")
    if f.risk is not None:
        parts.append(_risk(f.risk))
    parts.append(_index(f.nifty_close, "NIFTY 50"))
    parts.append(_index(f.vix_close, "India VIX"))
    return " ".join(parts)


def market(m: MarketFact) -> str:
    at = m.as_of.astimezone(IST)
    parts = [f"Market at {at:%H:%M} IST on {day_text(at.date())}.", _index(m.nifty, "NIFTY 50")]
    parts.append(_index(m.vix, "India VIX"))
    if m.vol is not None:
        parts.append(_vol(m.vol))
    if m.chain is not None:
        parts.append(_chain(m.chain))
    return " ".join(parts)


def ask(f: AskFacts) -> str:
    """No free-text answer without Claude: the desk's data instead, labelled automatic."""
    parts = [
        f"{AUTOMATIC_REPLY} commentary is unavailable, so here is the desk's data.",
        market(f.market),
    ]
    if f.open_positions:
        parts.append("Open positions: " + "; ".join(_position(p) for p in f.open_positions) + ".")
    else:
        parts.append("No open positions.")
    if f.risk is not None:
        parts.append(_risk(f.risk))
    return " ".join(parts)


def write(facts: BriefFacts | SuggestionFacts | EodFacts | AskFacts) -> str:
    """The deterministic text for any kind of facts."""
    if isinstance(facts, BriefFacts):
        return brief(facts)
    if isinstance(facts, SuggestionFacts):
        return rationale(facts)
    if isinstance(facts, EodFacts):
        return eod(facts)
    return ask(facts)
