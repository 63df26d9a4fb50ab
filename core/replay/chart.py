"""The replay chart: equity (top) and drawdown below the running peak (bottom), as PNG bytes.

The x axis is the sequence of equity points (one per monitor minute and per fill), so nights and
holidays take no room; each replayed day is labelled where it starts. Rupees on both axes; matplotlib's
object API on the Agg canvas (no pyplot, thread-safe, deterministic for the same input).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from core.clock import IST
from core.domain.trading import EquityPoint

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 110


def _rupees(x: float, _pos: object = None) -> str:
    r = round(x)
    return f"{'-' if r < 0 else ''}₹{abs(r):,}"


def equity_drawdown_chart(points: Sequence[EquityPoint], capital: Decimal, title: str) -> bytes:
    """PNG of the equity curve and its drawdown; an empty replay draws a flat line at ``capital``."""
    equity = [float(p.equity) for p in points] or [float(capital)]
    peak, dd = float(capital), []
    for v in equity:
        peak = max(peak, v)
        dd.append(v - peak)
    xs = list(range(len(equity)))
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    top.plot(xs, equity, color="#1565c0", linewidth=1.4)
    top.axhline(float(capital), color="#455a64", linewidth=0.8, linestyle="--")
    top.set_title(title, fontsize=11)
    top.set_ylabel("equity")
    top.yaxis.set_major_formatter(FuncFormatter(_rupees))
    top.grid(alpha=0.25)
    bottom.fill_between(xs, dd, 0, color="#c62828", alpha=0.35, linewidth=0)
    bottom.plot(xs, dd, color="#c62828", linewidth=0.9)
    bottom.set_ylabel("drawdown")
    bottom.yaxis.set_major_formatter(FuncFormatter(_rupees))
    bottom.grid(alpha=0.25)
    ticks, labels, last = [], [], None
    for i, p in enumerate(points):
        d = p.at.astimezone(IST).date()
        if d != last:
            ticks.append(i)
            labels.append(f"{d:%d %b}")
            last = d
    step = max(1, len(ticks) // 8)
    bottom.set_xticks(ticks[::step], labels[::step])
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()
