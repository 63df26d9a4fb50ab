"""Market views: the pre-market brief, /chain, /vol and the snapshot freshness line.

Inputs are the snapshot types of ``core.domain.market`` (prices ``float`` rupees, vol decimals,
percentiles 0-100, aware times). Unknown values print as ``n/a`` / ``-``, never as zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from bot.render.commentary import Commentary, commentary_lines
from bot.render.keyboards import chain_keyboard
from bot.render.message import PhotoReply, Reply, photo_reply
from bot.render.text import (
    DASH,
    age,
    bold,
    change,
    clip,
    compact,
    day,
    esc,
    known,
    long_day,
    num,
    pctile,
    pre,
    strike,
    table,
    vol,
    when,
)
from core.clock import IST
from core.domain.market import (
    ChainAnalytics,
    ChainSnapshot,
    DataStatus,
    GlobalCue,
    IndexQuote,
    MarketSnapshot,
    VolSnapshot,
)

_CUE_GROUPS: tuple[tuple[str, str], ...] = (
    ("future", "US futures"),
    ("index", "Indices"),
    ("commodity", "Crude"),
    ("fx", "Currency"),
    ("rate", "Rates"),
)


# ---- freshness -----------------------------------------------------------------------------------------
def stale_lines(snapshot: MarketSnapshot) -> list[str]:
    """One escaped line per part that is not fresh: name, status, as-of time and the error."""
    out = []
    for name, info in sorted(snapshot.parts.items()):
        if info.status is DataStatus.FRESH:
            continue
        as_of = f", as of {when(info.as_of)}" if info.as_of else ""
        err = f": {info.error}" if info.error else ""
        out.append(f"⚠️ {esc(name)} {esc(info.status.value)} ({esc(info.source)}{as_of}){esc(err)}")
    return out


def freshness_line(snapshot: MarketSnapshot, now: datetime) -> str:
    """``Data as of 25 Nov 11:00 IST (30 s old)``, then what is not fresh, if anything."""
    line = f"<i>Data as of {when(snapshot.taken_at)} ({age((now - snapshot.taken_at).total_seconds())} old)"
    bad = [
        f"{esc(name)} {esc(info.status.value)}"
        for name, info in sorted(snapshot.parts.items())
        if info.status is not DataStatus.FRESH
    ]
    return line + ("; not fresh: " + ", ".join(bad) if bad else "") + "</i>"


# ---- the brief -----------------------------------------------------------------------------------------
def _index_line(label: str, q: IndexQuote | None, digits: int = 2) -> str:
    if q is None:
        return f"<b>{label}</b> n/a"
    return f"<b>{label}</b> {num(q.last, digits)} ({change(q.change_pct)})"


def _cue_rows(cues: Sequence[GlobalCue]) -> list[str]:
    rows: list[list[str]] = []
    for kind, title in _CUE_GROUPS:
        members = [c for c in cues if c.kind == kind]
        if not members:
            continue
        rows.append([title, "", ""])
        for c in members:
            level = num(c.last, 2, na=DASH) + ("%" if kind == "rate" and known(c.last) else "")
            rows.append([" " + clip(c.name, 17), level, change(c.change_pct, na=DASH)])
    return table(rows, ("<", ">", ">"))


def _cue_dates(cues: Sequence[GlobalCue]) -> str:
    dates = sorted({c.as_of for c in cues if c.as_of is not None})
    if not dates:
        return ""
    if len(dates) == 1:
        return f" (closes of {day(dates[0])})"
    return f" (closes of {day(dates[0])} to {day(dates[-1])})"


def _vol_lines(v: VolSnapshot | None) -> list[str]:
    if v is None:
        return ["<b>Volatility</b>: unknown (no vol snapshot)"]
    return [
        f"<b>Volatility</b>: regime <b>{esc(v.regime.value)}</b>",
        f"ATM IV {vol(v.iv_atm)} (pctile {pctile(v.iv_percentile)}, rank {pctile(v.iv_rank)}) · "
        f"VIX pctile {pctile(v.vix_percentile)} · RV20 {vol(v.rv_20d)} (pctile {pctile(v.rv_percentile)})",
    ]


def _move(a: ChainAnalytics) -> str:
    if a.expected_move is None or not known(a.expected_move):
        return "n/a"
    pct = f" (±{a.expected_move / a.spot * 100:.2f}%)" if a.spot else ""
    return f"±{num(a.expected_move, 0)}{pct}"


def _levels(ks: Sequence[float]) -> str:
    return " · ".join(strike(k) for k in ks) if ks else "n/a"


def _expiry_lines(c: ChainSnapshot) -> list[str]:
    a = c.analytics
    if a is None:
        return [f"<b>Near expiry {day(c.expiry)}</b>: analytics unavailable"]
    return [
        f"<b>Near expiry {day(c.expiry)}</b> ({a.days_to_expiry:.1f} days)",
        f"ATM {strike(a.atm_strike)} · IV {vol(a.atm_iv)} · expected move {_move(a)}",
        f"PCR (OI) {num(a.pcr_oi)} · max pain {strike(a.max_pain)}",
        f"Supports (put OI): {_levels(a.supports[:3])}",
        f"Resistances (call OI): {_levels(a.resistances[:3])}",
    ]


def premarket_brief(snapshot: MarketSnapshot, commentary: Commentary | None) -> Reply:
    """The morning message: levels, global cues, the vol picture, the near expiry's OI map, the
    commentary paragraph (labelled by source) and any data part that is not fresh."""
    taken = snapshot.taken_at
    lines = [
        f"<b>☀️ Pre-market brief · {esc(long_day(taken.astimezone(IST).date()))}</b>",
        f"<i>as of {when(taken)}</i>",
        "",
        _index_line("NIFTY 50", snapshot.spot) + " · " + _index_line("India VIX", snapshot.vix),
    ]
    if snapshot.global_cues:
        lines += [
            "",
            bold("Global cues") + _cue_dates(snapshot.global_cues),
            pre(_cue_rows(snapshot.global_cues)),
        ]
    else:
        lines += ["", "<b>Global cues</b>: unavailable"]
    lines += ["", *_vol_lines(snapshot.vol)]
    near = snapshot.chain()
    if near is not None:
        lines += ["", *_expiry_lines(near)]
    block = commentary_lines(commentary)
    if block:
        lines += ["", *block]
    stale = stale_lines(snapshot)
    if stale:
        lines += ["", "<b>Data quality</b>", *stale]
    return Reply("\n".join(lines))


# ---- /chain --------------------------------------------------------------------------------------------
def _f(row: Any, col: str) -> float | None:
    if row is None:
        return None
    value = getattr(row, col, None)
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _quote(row: Any) -> str:
    bid, ask = _f(row, "bid"), _f(row, "ask")
    if bid is not None and ask is not None:
        d = 2 if max(bid, ask) < 1000 else 1
        return f"{bid:.{d}f}/{ask:.{d}f}"
    ltp = _f(row, "ltp")
    return f"ltp {ltp:.2f}" if ltp is not None else DASH


def _delta(row: Any) -> str:
    d = _f(row, "delta")
    return DASH if d is None else f"{d:.2f}"


def _iv(row: Any) -> str:
    return vol(_f(row, "iv"), na=DASH)


def window_strikes(chain: ChainSnapshot, each_side: int) -> tuple[list[float], float | None]:
    """The strikes shown: ``each_side`` strikes either side of the ATM strike, and that ATM strike."""
    strikes = sorted({float(k) for k in chain.frame["strike"]}) if len(chain.frame) else []
    if not strikes:
        return [], None
    if chain.analytics is not None:
        atm = chain.analytics.atm_strike
    else:
        atm = min(strikes, key=lambda k: abs(k - chain.spot))
    i = min(range(len(strikes)), key=lambda j: abs(strikes[j] - atm))
    return strikes[max(0, i - each_side) : i + each_side + 1], strikes[i]


class _ChainRow(NamedTuple):
    strike: Any
    option_type: Any
    bid: Any
    ask: Any
    ltp: Any
    iv: Any
    delta: Any
    oi: Any
    oi_change: Any


def _chain_rows(chain: ChainSnapshot) -> dict[tuple[float, str], _ChainRow]:
    """The columns the chain view reads, row by (strike, type); a column the frame lacks is None.
    Plain lists, not ``DataFrame.itertuples`` (which indexes every column of the frame per call: most
    of a /chain reply's CPU)."""
    f = chain.frame
    n = len(f)
    columns = [f[c].tolist() if c in f.columns else [None] * n for c in _ChainRow._fields]
    return {
        (float(r.strike), str(r.option_type)): r for r in map(_ChainRow._make, zip(*columns, strict=True))
    }


def chain_table(chain: ChainSnapshot, each_side: int = 5) -> list[str]:
    """The monospace lines of the chain (≤ 40 columns): quotes, IV and delta, OI and its change."""
    shown, atm = window_strikes(chain, each_side)
    max_pain = chain.analytics.max_pain if chain.analytics else None
    rows = _chain_rows(chain)

    def label(k: float) -> str:
        marks = ("*" if k == atm else "") + ("^" if max_pain is not None and k == max_pain else "")
        return f"{strike(k)}{marks}"

    quotes = [["CE bid/ask", "Strike", "PE bid/ask"]]
    greeks = [["CE IV", "Δ", "Strike", "Δ", "PE IV"]]
    oi = [["CE OI", "chg", "Strike", "PE OI", "chg"]]
    for k in shown:
        ce, pe = rows.get((k, "CE")), rows.get((k, "PE"))
        quotes.append([_quote(ce), label(k), _quote(pe)])
        greeks.append([_iv(ce), _delta(ce), label(k), _delta(pe), _iv(pe)])
        oi.append(
            [
                compact(_f(ce, "oi")),
                compact(_f(ce, "oi_change"), sign=True),
                label(k),
                compact(_f(pe, "oi")),
                compact(_f(pe, "oi_change"), sign=True),
            ]
        )
    return [
        *table(quotes, (">", "^", "<")),
        "",
        *table(greeks, (">", ">", "^", ">", ">")),
        "",
        *table(oi, (">", ">", "^", ">", ">")),
    ]


def chain_view(
    snapshot: MarketSnapshot, now: datetime, expiry: date | None = None, each_side: int = 5
) -> Reply:
    """/chain: the strikes around ATM for ``expiry`` (nearest when None), with Refresh / Chart buttons."""
    chain = snapshot.chain(expiry)
    if chain is None:
        have = ", ".join(day(c.expiry) for c in sorted(snapshot.chains, key=lambda c: c.expiry))
        asked = day(expiry) if expiry else "the nearest expiry"
        return Reply(
            f"No chain for {esc(asked)} in the latest data."
            + (f" Expiries loaded: {esc(have)}." if have else " No chain is loaded at all.")
            + "\n"
            + freshness_line(snapshot, now)
        )
    a = chain.analytics
    head = [f"<b>NIFTY chain · {day(chain.expiry)}</b>" + (f" ({a.days_to_expiry:.1f} days)" if a else "")]
    if a is not None:
        head.append(f"Spot {num(chain.spot)} · ATM {strike(a.atm_strike)} · max pain {strike(a.max_pain)}")
        head.append(
            f"PCR OI {num(a.pcr_oi)} · vol {num(a.pcr_volume)} · ATM IV {vol(a.atm_iv)} · move {_move(a)}"
        )
    else:
        head.append(f"Spot {num(chain.spot)} · analytics unavailable")
    body = pre(chain_table(chain, each_side)) if len(chain.frame) else "The chain has no quotes."
    legend = "<i>* ATM  ^ max pain · OI: k thousand, L lakh, Cr crore</i>"
    return Reply(
        "\n".join([*head, body, legend, freshness_line(snapshot, now)]), chain_keyboard(chain.expiry)
    )


# ---- /vol ----------------------------------------------------------------------------------------------
def vol_view(snapshot: MarketSnapshot, now: datetime) -> Reply:
    """/vol: regime, IV / VIX / RV with percentiles, IV rank, expected move, skew and warnings."""
    v = snapshot.vol
    if v is None:
        info = snapshot.parts.get("vol")
        why = f": {esc(info.error)}" if info is not None and info.error else ""
        return Reply(f"<b>Volatility</b>: unknown{why}\n{freshness_line(snapshot, now)}")
    vix_level = v.vix if v.vix is not None else (snapshot.vix.last if snapshot.vix else None)
    rows = [
        ["", "level", "pctile"],
        ["ATM IV", vol(v.iv_atm, na=DASH), pctile(v.iv_percentile, na=DASH)],
        ["India VIX", num(vix_level, 2, na=DASH), pctile(v.vix_percentile, na=DASH)],
        ["RV 20d", vol(v.rv_20d, na=DASH), pctile(v.rv_percentile, na=DASH)],
        ["IV rank", "", pctile(v.iv_rank, na=DASH)],
    ]
    lines = [
        f"<b>Volatility · {day(v.as_of)}</b>",
        f"Regime: <b>{esc(v.regime.value)}</b>" + ("" if v.known else " (percentiles incomplete)"),
        pre(table(rows, ("<", ">", ">"))),
    ]
    near = snapshot.chain()
    if near is not None and near.analytics is not None:
        a = near.analytics
        lines.append(f"Expected move to {day(a.expiry)}: {_move(a)}")
        if a.skew_25d is not None and known(a.skew_25d):
            lines.append(f"Skew (25Δ put − call IV): {a.skew_25d * 100:+.1f} vol pts")
    if v.iv_atm is not None and v.rv_20d is not None and known(v.iv_atm) and known(v.rv_20d):
        spread = (v.iv_atm - v.rv_20d) * 100
        lines.append(f"IV − RV: {spread:+.1f} vol pts ({'options rich' if spread > 0 else 'options cheap'})")
    lines += [f"⚠️ {esc(w)}" for w in v.warnings]
    lines.append(freshness_line(snapshot, now))
    return Reply("\n".join(lines))


def chain_chart_caption(chain: ChainSnapshot) -> str:
    a = chain.analytics
    extra = f" · ATM IV {vol(a.atm_iv)} · max pain {strike(a.max_pain)}" if a is not None else ""
    return f"<b>IV smile and OI</b> · NIFTY {day(chain.expiry)}{extra} · {when(chain.taken_at)}"


def chain_photo(chain: ChainSnapshot) -> PhotoReply:
    """The IV smile + OI chart of one expiry (the chain view's chart button)."""
    from bot.render.charts import chain_chart  # matplotlib loads only when a chart is drawn

    return photo_reply(
        chain_chart(chain), chain_chart_caption(chain), filename=f"chain-{chain.expiry:%Y%m%d}.png"
    )
