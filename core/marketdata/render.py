"""Plain-text and JSON views of a MarketSnapshot (used by ``niftybot snapshot`` and the demo)."""

from __future__ import annotations

import json
from typing import Any

from core.clock import IST
from core.domain.market import MarketSnapshot


def _pct(x: float | None, digits: int = 1) -> str:
    return "unknown" if x is None else f"{x:.{digits}f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def snapshot_text(s: MarketSnapshot, strikes: int = 5) -> str:
    lines = [f"Market snapshot {s.taken_at.astimezone(IST):%a %d %b %Y %H:%M} IST"]
    if s.spot:
        lines.append(f"  NIFTY 50   {_num(s.spot.last)}  ({_num(s.spot.change_pct)}% vs prev close)")
    if s.vix:
        lines.append(f"  India VIX  {_num(s.vix.last)}  ({_num(s.vix.change_pct)}%)")
    if s.vol:
        v = s.vol
        iv = None if v.iv_atm is None else v.iv_atm * 100
        rv = None if v.rv_20d is None else v.rv_20d * 100
        lines.append(
            f"  Vol regime {v.regime.value}: ATM IV {_pct(iv)} (pctile {_num(v.iv_percentile, 0)}), "
            f"VIX pctile {_num(v.vix_percentile, 0)}, RV20 {_pct(rv)} (pctile {_num(v.rv_percentile, 0)})"
        )
    if s.technicals:
        t = s.technicals
        trend = "n/a" if t.supertrend_up is None else ("up" if t.supertrend_up else "down")
        lines.append(
            f"  Technicals RSI {_num(t.rsi, 1)}, VWAP {_num(t.vwap)}, ATR {_num(t.atr)}, Supertrend {trend}"
        )
    for c in s.chains:
        a = c.analytics
        if a is None:
            continue
        lines.append(
            f"  Expiry {c.expiry:%a %d %b}: ATM {a.atm_strike:,.0f} "
            f"IV {_pct(None if a.atm_iv is None else a.atm_iv * 100)}"
            f", move ±{_num(a.expected_move, 0)}, PCR {_num(a.pcr_oi)}, max pain {_num(a.max_pain, 0)}"
            f", support {', '.join(f'{k:,.0f}' for k in a.supports[:2])}"
            f", resistance {', '.join(f'{k:,.0f}' for k in a.resistances[:2])}"
        )
    near = s.chain()
    if near is not None and near.analytics is not None and len(near.frame):
        f = near.frame
        atm = near.analytics.atm_strike
        ks = sorted(f["strike"].unique(), key=lambda k: abs(k - atm))[: 2 * strikes + 1]
        lines.append(f"  Chain {near.expiry:%d %b} (CE bid/ask | strike | PE bid/ask, IV):")
        for k in sorted(ks):
            ce = f[(f.strike == k) & (f.option_type == "CE")].iloc[0]
            pe = f[(f.strike == k) & (f.option_type == "PE")].iloc[0]
            mark = "*" if k == atm else " "
            lines.append(
                f"   {ce.bid:>8.2f}/{ce.ask:<8.2f} {mark}{k:>7,.0f} {pe.bid:>8.2f}/{pe.ask:<8.2f} "
                f"{ce.iv * 100 if ce.iv == ce.iv else float('nan'):5.1f}%"
            )
    if s.global_cues:
        cues = ", ".join(f"{c.name} {_num(c.change_pct)}%" for c in s.global_cues[:6])
        lines.append(f"  Global: {cues}")
    lines.append("  Freshness: " + ", ".join(f"{k} {p.status.value}" for k, p in s.parts.items()))
    for k, p in s.parts.items():
        if p.error:
            lines.append(f"    {k}: {p.error}")
    return "\n".join(lines)


def snapshot_json(s: MarketSnapshot) -> str:
    def iso(x: Any) -> Any:
        return x.isoformat() if hasattr(x, "isoformat") else x

    data = {
        "taken_at": s.taken_at.isoformat(),
        "spot": None if s.spot is None else {"last": s.spot.last, "prev_close": s.spot.prev_close},
        "vix": None if s.vix is None else {"last": s.vix.last, "prev_close": s.vix.prev_close},
        "vol": None
        if s.vol is None
        else {
            "regime": s.vol.regime.value,
            "iv_atm": s.vol.iv_atm,
            "iv_percentile": s.vol.iv_percentile,
            "vix_percentile": s.vol.vix_percentile,
            "rv_20d": s.vol.rv_20d,
            "rv_percentile": s.vol.rv_percentile,
        },
        "chains": [
            {
                "expiry": c.expiry.isoformat(),
                "options": len(c.frame),
                "atm_strike": c.analytics.atm_strike if c.analytics else None,
                "atm_iv": c.analytics.atm_iv if c.analytics else None,
                "pcr_oi": c.analytics.pcr_oi if c.analytics else None,
                "max_pain": c.analytics.max_pain if c.analytics else None,
            }
            for c in s.chains
        ],
        "parts": {
            k: {"source": v.source, "status": v.status.value, "as_of": iso(v.as_of), "error": v.error}
            for k, v in s.parts.items()
        },
    }
    return json.dumps(data, indent=2)
