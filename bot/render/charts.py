"""Charts as PNG bytes: payoff at expiry, IV smile + OI by strike, and the equity curve.

Each chart has a pure data step (``*_data``: numbers only, tested on its own) and a drawing step that
uses matplotlib's object API on the Agg canvas (no pyplot and no backend switch: no display, no
global state, safe in threads). Output is deterministic for the same input: fixed size and DPI, no
timestamp metadata.
Units: rupees for the whole suggestion or position (payoff), IV in percent on the axis (stored as a
decimal), open interest as reported, times in IST.

Drawing costs tens of milliseconds of CPU while the data behind a chart changes at most once a minute
(a refresh, a mark), and many users ask for the same chart: the PNG is cached by a fingerprint of the
data step's output and the title (an LRU of ``CACHE_SIZE`` images), so the same data draws once. Being
keyed on content, a cached chart is always the one the current data would draw.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, DateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bot.render.text import group_indian, lots
from core.analytics.greeks import PayoffLeg, breakevens, payoff_at_expiry
from core.clock import IST
from core.domain.market import ChainSnapshot
from core.domain.trading import EquityPoint, Position, Suggestion

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 110
PROFIT, LOSS, NEUTRAL, ACCENT = "#1b8a3a", "#c62828", "#455a64", "#1565c0"


def rupees(x: float) -> str:
    """Axis label in whole rupees with Indian grouping: ``-₹4,550`` / ``₹10,02,254``."""
    if not math.isfinite(x):
        return ""
    r = round(x)
    return f"{'-' if r < 0 else ''}₹{group_indian(str(abs(r)))}"


CACHE_SIZE = 32
_cache: OrderedDict[bytes, bytes] = OrderedDict()
_cache_lock = threading.Lock()
cache_stats = {"hits": 0, "misses": 0}


def _feed(h: hashlib._Hash, x: object) -> None:
    h.update(type(x).__name__.encode())
    if isinstance(x, np.ndarray):
        h.update(f"{x.dtype.str}{x.shape}".encode())
        h.update(np.ascontiguousarray(x).tobytes())
    elif is_dataclass(x) and not isinstance(x, type):
        for f in fields(x):
            _feed(h, getattr(x, f.name))
    elif isinstance(x, tuple | list):
        h.update(b"(%d" % len(x))
        for item in x:
            _feed(h, item)
    else:
        h.update(repr(x).encode())
    h.update(b"\0")


def fingerprint(*parts: object) -> bytes:
    """A digest of chart inputs (dataclasses, arrays, tuples, scalars): equal inputs, equal digest."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        _feed(h, part)
    return h.digest()


def _cached(key: bytes, draw: Callable[[], bytes]) -> bytes:
    with _cache_lock:
        png = _cache.get(key)
        if png is not None:
            _cache.move_to_end(key)
            cache_stats["hits"] += 1
            return png
    png = draw()  # outside the lock: two first requests may both draw; the result is the same
    with _cache_lock:
        cache_stats["misses"] += 1
        _cache[key] = png
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return png


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _layout(fig: Figure) -> None:
    """Fixed margins, the left one sized to the widest y tick label (no drawing needed).

    Matplotlib's constrained layout measures every artist by drawing the figure an extra time: about
    half of a chart's CPU. Only the y tick labels vary in width here (rupee amounts), and their text
    is known before drawing.
    """
    chars = 0
    for ax in fig.axes:
        lo, hi = ax.get_ylim()
        ticks = [t for t in ax.get_yticks() if min(lo, hi) <= t <= max(lo, hi)]
        labels = ax.yaxis.get_major_formatter().format_ticks(ticks)
        chars = max(chars, *(len(t) for t in labels), 1)
    ylabel = any(ax.get_ylabel() for ax in fig.axes)
    left_px = 16 + 9 * chars + (26 if ylabel else 0)
    fig.subplots_adjust(left=left_px / (WIDTH_IN * DPI), right=0.965, top=0.91, bottom=0.14, hspace=0.12)


def _png(fig: Figure) -> bytes:
    _layout(fig)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _figure(rows: int = 1, heights: Sequence[float] | None = None) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)  # margins: _layout
    axes = fig.subplots(rows, 1, sharex=True, gridspec_kw={"height_ratios": heights} if heights else None)
    return fig, list(np.atleast_1d(axes))


# ---- payoff --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PayoffData:
    """P&L at expiry in rupees for the whole trade (all lots), over underlying prices."""

    prices: np.ndarray
    pnl: np.ndarray
    breakevens: tuple[float, ...]
    strikes: tuple[float, ...]
    spot: float | None
    max_profit: float  # the best P&L on the plotted range (defined risk: flat beyond the strikes)
    max_loss: float  # the worst P&L as a positive number


def suggestion_legs(s: Suggestion) -> list[PayoffLeg]:
    """Payoff legs of a suggestion at its quoted mids (bid/ask side when a mid is missing)."""
    out = []
    for leg in s.structure.legs:
        premium = leg.mid if leg.mid is not None else leg.natural
        if premium is None:
            raise ValueError(f"{leg.label} has no price to draw a payoff from")
        qty = s.lots * s.structure.lot_size * leg.ratio
        out.append(
            PayoffLeg(leg.contract.strike, leg.contract.option_type, leg.action.sign, qty, float(premium))
        )
    return out


def position_legs(p: Position) -> list[PayoffLeg]:
    """Payoff legs of a position at its entry prices."""
    return [
        PayoffLeg(
            leg.contract.strike,
            leg.contract.option_type,
            leg.action.sign,
            leg.quantity,
            float(leg.entry_price),
        )
        for leg in p.legs
    ]


def payoff_data(legs: Sequence[PayoffLeg], spot: float | None, points: int = 401) -> PayoffData:
    """The payoff on a range that shows every strike, the spot and the flat wings."""
    if not legs:
        raise ValueError("a payoff needs at least one leg")
    strikes = sorted({leg.strike for leg in legs})
    anchors = [*strikes, *([spot] if spot else [])]
    lo, hi = min(anchors), max(anchors)
    pad = max((hi - lo) * 0.6, lo * 0.02, 50.0)
    grid = np.linspace(lo - pad, hi + pad, points)
    prices = np.unique(np.concatenate([grid, np.array(strikes)]))  # kinks exactly on the strikes
    pnl = payoff_at_expiry(legs, prices)
    return PayoffData(
        prices=prices,
        pnl=pnl,
        breakevens=tuple(breakevens(legs)),
        strikes=tuple(strikes),
        spot=spot,
        max_profit=float(pnl.max()),
        max_loss=float(max(-pnl.min(), 0.0)),
    )


def payoff_chart(data: PayoffData, title: str) -> bytes:
    return _cached(fingerprint("payoff", data, title), lambda: _draw_payoff(data, title))


def _draw_payoff(data: PayoffData, title: str) -> bytes:
    fig, (ax,) = _figure()
    ax.plot(data.prices, data.pnl, color=NEUTRAL, linewidth=2)
    ax.fill_between(data.prices, data.pnl, 0, where=data.pnl >= 0, color=PROFIT, alpha=0.18, interpolate=True)
    ax.fill_between(data.prices, data.pnl, 0, where=data.pnl < 0, color=LOSS, alpha=0.18, interpolate=True)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axhline(data.max_profit, color=PROFIT, linestyle=":", linewidth=1)
    ax.axhline(-data.max_loss, color=LOSS, linestyle=":", linewidth=1)
    x_text = data.prices[0]
    ax.annotate(
        f"max profit {rupees(data.max_profit)}",
        (x_text, data.max_profit),
        color=PROFIT,
        xytext=(4, 4),
        textcoords="offset points",
        fontsize=9,
    )
    ax.annotate(
        f"max loss {rupees(-data.max_loss)}",
        (x_text, -data.max_loss),
        color=LOSS,
        xytext=(4, -12),
        textcoords="offset points",
        fontsize=9,
    )
    for be in data.breakevens:
        ax.axvline(be, color=NEUTRAL, linestyle="--", linewidth=1)
        ax.annotate(f"BE {be:,.0f}", (be, 0), xytext=(3, 6), textcoords="offset points", fontsize=8)
    if data.spot:
        ax.axvline(data.spot, color=ACCENT, linewidth=1.2)
        ax.annotate(
            f"spot {data.spot:,.0f}",
            (data.spot, data.max_profit),
            color=ACCENT,
            xytext=(3, -14),
            textcoords="offset points",
            fontsize=8,
        )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: rupees(y)))
    ax.set_xlabel("NIFTY at expiry")
    ax.set_ylabel("P&L at expiry")
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.25)
    return _png(fig)


def suggestion_payoff_chart(s: Suggestion) -> bytes:
    st = s.structure
    title = f"#{s.id} {st.kind.label} · {st.expiry:%d %b} · {lots(s.lots)} · at mid"
    return payoff_chart(payoff_data(suggestion_legs(s), st.spot or None), title)


def position_payoff_chart(p: Position, spot: float | None) -> bytes:
    title = f"Position #{p.id} {p.kind.label} · {p.expiry:%d %b} · {lots(p.lots)} · at entry"
    return payoff_chart(payoff_data(position_legs(p), spot), title)


# ---- IV smile + OI -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SmileData:
    """Per strike (ascending): IVs in percent (NaN when unknown) and open interest."""

    expiry: date
    strikes: np.ndarray
    call_iv: np.ndarray
    put_iv: np.ndarray
    otm_iv: np.ndarray  # puts below the forward (or spot), calls at or above it
    call_oi: np.ndarray
    put_oi: np.ndarray
    spot: float
    pivot: float  # the forward when known, else spot
    max_pain: float | None


def smile_data(chain: ChainSnapshot, each_side: int | None = 20) -> SmileData:
    """IV smile and OI by strike, ``each_side`` strikes either side of the pivot (None: all)."""
    frame = chain.frame
    a = chain.analytics
    pivot = a.forward if a is not None and a.forward else chain.spot
    strikes = np.array(sorted({float(k) for k in frame["strike"]}), dtype=float)
    if each_side is not None and len(strikes):
        i = int(np.argmin(np.abs(strikes - pivot)))
        strikes = strikes[max(0, i - each_side) : i + each_side + 1]

    def column(kind: str, col: str, scale: float = 1.0) -> np.ndarray:
        sub = frame[frame["option_type"] == kind]
        values = dict(zip(sub["strike"].astype(float), sub[col].astype(float), strict=True))
        return np.array([values.get(k, math.nan) * scale for k in strikes], dtype=float)

    call_iv, put_iv = column("CE", "iv", 100.0), column("PE", "iv", 100.0)
    otm = np.where(strikes < pivot, put_iv, call_iv)
    return SmileData(
        expiry=chain.expiry,
        strikes=strikes,
        call_iv=call_iv,
        put_iv=put_iv,
        otm_iv=otm,
        call_oi=np.nan_to_num(column("CE", "oi")),
        put_oi=np.nan_to_num(column("PE", "oi")),
        spot=chain.spot,
        pivot=float(pivot),
        max_pain=a.max_pain if a is not None else None,
    )


def smile_chart(data: SmileData) -> bytes:
    return _cached(fingerprint("smile", data), lambda: _draw_smile(data))


def _draw_smile(data: SmileData) -> bytes:
    fig, (top, bottom) = _figure(2, heights=(3, 2))
    top.plot(data.strikes, data.otm_iv, color=NEUTRAL, linewidth=2, label="OTM IV")
    top.plot(data.strikes, data.call_iv, color=PROFIT, linewidth=0.8, linestyle="--", label="CE IV")
    top.plot(data.strikes, data.put_iv, color=LOSS, linewidth=0.8, linestyle="--", label="PE IV")
    top.set_ylabel("IV %")
    top.legend(loc="upper right", fontsize=8)
    top.set_title(f"NIFTY {data.expiry:%a %d %b}: IV smile and open interest", fontsize=11)
    step = float(np.min(np.diff(data.strikes))) if len(data.strikes) > 1 else 50.0
    w = step * 0.4
    bottom.bar(data.strikes - w / 2, data.call_oi, width=w, color=PROFIT, alpha=0.7, label="CE OI")
    bottom.bar(data.strikes + w / 2, data.put_oi, width=w, color=LOSS, alpha=0.7, label="PE OI")
    bottom.set_ylabel("OI")
    bottom.legend(loc="upper right", fontsize=8)
    bottom.yaxis.set_major_formatter(
        FuncFormatter(lambda y, _: f"{y / 1e5:.0f}L" if y >= 1e5 else f"{y:.0f}")
    )
    for ax in (top, bottom):
        ax.axvline(data.spot, color=ACCENT, linewidth=1.2)
        if data.max_pain is not None:
            ax.axvline(data.max_pain, color="#6a1b9a", linestyle=":", linewidth=1.2)
        ax.grid(alpha=0.25)
    top.annotate(
        f"spot {data.spot:,.0f}",
        (data.spot, 1),
        xycoords=("data", "axes fraction"),
        xytext=(3, -12),
        textcoords="offset points",
        fontsize=8,
        color=ACCENT,
    )
    if data.max_pain is not None:
        bottom.annotate(
            f"max pain {data.max_pain:,.0f}",
            (data.max_pain, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize=8,
            color="#6a1b9a",
        )
    bottom.set_xlabel("strike")
    return _png(fig)


def chain_chart(chain: ChainSnapshot) -> bytes:
    return smile_chart(smile_data(chain))


# ---- equity --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EquityData:
    """Equity over time (IST), its running peak and the drawdown from it (rupees, ≥ 0)."""

    times: tuple[datetime, ...]
    equity: np.ndarray
    peak: np.ndarray
    drawdown: np.ndarray

    @property
    def max_drawdown(self) -> float:
        return float(self.drawdown.max()) if len(self.drawdown) else 0.0


def equity_data(points: Sequence[EquityPoint]) -> EquityData:
    ordered = sorted(points, key=lambda p: p.at)
    equity = np.array([float(p.equity) for p in ordered], dtype=float)
    peak = np.maximum.accumulate(equity) if len(equity) else equity
    return EquityData(
        times=tuple(p.at.astimezone(IST) for p in ordered),
        equity=equity,
        peak=peak,
        drawdown=peak - equity,
    )


def equity_chart(points: Sequence[EquityPoint]) -> bytes:
    data = equity_data(points)
    if len(data.times) < 2:
        raise ValueError("an equity curve needs at least two points")
    return _cached(fingerprint("equity", data), lambda: _draw_equity(data))


def _draw_equity(data: EquityData) -> bytes:
    x = date2num(list(data.times))  # type: ignore[no-untyped-call]  # day numbers; axis shows IST
    fig, (ax,) = _figure()
    ax.plot(x, data.equity, color=NEUTRAL, linewidth=1.8, label="equity")
    ax.plot(x, data.peak, color=PROFIT, linewidth=0.8, linestyle="--", label="peak")
    ax.fill_between(
        x,
        data.equity,
        data.peak,
        where=data.drawdown > 0,
        color=LOSS,
        alpha=0.25,
        interpolate=True,
        label="drawdown",
    )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: rupees(y)))
    # minticks 3: with the default 5, 3.5-5 h of marks (a trading day until the afternoon) or 4 min fit no
    # interval and matplotlib warns and falls back to 30 (crowded ticks).
    locator = AutoDateLocator(tz=IST, minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(DateFormatter("%d %b\n%H:%M", tz=IST))  # type: ignore[no-untyped-call]
    ax.set_title(f"Equity (max drawdown {rupees(data.max_drawdown)})", fontsize=11)
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.25)
    return _png(fig)
