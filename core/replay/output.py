"""What a replay writes to ``--out``: ``summary.md`` (the Markdown summary), ``trades.csv`` (one row per
closed trade), ``equity.png`` (equity and drawdown) and ``report.json`` (the figures, machine-readable).
Text is plain Markdown; money in rupees with Indian grouping (``format_inr``); times in IST.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.clock import IST
from core.domain.money import format_inr
from core.replay.report import AlgoStats, ReplayReport

EXIT_LABELS = {
    "profit_target": "profit target",
    "stop_loss": "stop loss",
    "time_limit": "time limit",
    "expiry_square_off": "expiry square-off",
    "manual": "manual",
}


def duration(d: timedelta | None) -> str:
    """'2 h 05 min', '1 d 3 h', '—'."""
    if d is None:
        return "—"
    minutes = int(d.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def percent(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _row(a: AlgoStats) -> str:
    exits = ", ".join(f"{EXIT_LABELS.get(k, k)} {v}" for k, v in a.exits.items()) or "—"
    return (
        f"| {a.name} | {a.trades} | {percent(a.win_rate)} | {format_inr(a.gross, sign=True)} | "
        f"{format_inr(a.charges)} | {format_inr(a.net, sign=True)} | {format_inr(a.max_drawdown)} | "
        f"{duration(a.avg_holding)} | {exits} |"
    )


def summary_markdown(report: ReplayReport) -> str:
    """The Markdown summary (also printed by ``niftybot replay``)."""
    days = len(report.days)
    lines = [
        f"# Replay {report.start} → {report.end} ({report.source})",
        "",
        f"{days} trading day(s) replayed; {report.steps:,} one-minute steps, {report.scans} scans, "
        f"{report.suggested} suggestions, {report.approved} approved, {report.refused} refused at approval. "
        f"Approval rule: {report.approval}.",
    ]
    if report.skipped:
        lines.append("Skipped: " + ", ".join(f"{d} ({why})" for d, why in report.skipped) + ".")
    lines += [
        "",
        "| algorithm | trades | win rate | gross | charges | net | max drawdown | avg holding | exits |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        *(_row(a) for a in report.algorithms),
        _row(report.overall),
        "",
        "Max drawdown: overall on the equity curve (marked every minute, unrealized included); per "
        "algorithm on its cumulative net realized P&L.",
        "",
        "## P&L by regime (net)",
        "",
        "| algorithm | " + " | ".join(_regimes(report)) + " |",
        "|---|" + "---:|" * len(_regimes(report)),
    ]
    for a in (*report.algorithms, report.overall):
        cells = [format_inr(a.by_regime[r], sign=True) if r in a.by_regime else "—" for r in _regimes(report)]
        lines.append(f"| {a.name} | " + " | ".join(cells) + " |")
    o = report.overall
    if o.still_open:
        lines += [
            "",
            f"Still open at the end: {o.still_open} position(s), "
            f"unrealized {format_inr(o.unrealized, sign=True)}.",
        ]
    speed = report.days_per_second
    lines += [
        "",
        f"Ran in {report.wall_seconds:.1f} s wall, {report.cpu_seconds:.1f} s CPU"
        + (f" ({speed:.2f} days per CPU second)." if speed else "."),
    ]
    return "\n".join(lines) + "\n"


def _regimes(report: ReplayReport) -> list[str]:
    found = sorted({r for a in report.algorithms for r in a.by_regime} | set(report.overall.by_regime))
    return found or ["—"]


TRADE_COLUMNS = (
    "position_id",
    "algorithm",
    "structure",
    "regime",
    "expiry",
    "lots",
    "opened_at",
    "closed_at",
    "holding_minutes",
    "exit_reason",
    "gross_inr",
    "charges_inr",
    "net_inr",
)


def trades_csv(report: ReplayReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(TRADE_COLUMNS)
    for t in report.trades:
        w.writerow(
            [
                t.position_id,
                t.algorithm,
                t.structure,
                t.regime,
                t.expiry.isoformat(),
                t.lots,
                t.opened_at.astimezone(IST).isoformat(timespec="minutes"),
                t.closed_at.astimezone(IST).isoformat(timespec="minutes"),
                int(t.holding.total_seconds() // 60),
                t.exit_reason,
                t.gross,
                t.charges,
                t.net,
            ]
        )
    return buf.getvalue()


def _stats_json(a: AlgoStats) -> dict[str, Any]:
    return {
        "trades": a.trades,
        "wins": a.wins,
        "win_rate": a.win_rate,
        "gross": str(a.gross),
        "charges": str(a.charges),
        "net": str(a.net),
        "max_drawdown": str(a.max_drawdown),
        "avg_holding_minutes": a.avg_holding.total_seconds() / 60 if a.avg_holding else None,
        "exits": a.exits,
        "by_regime": {k: str(v) for k, v in a.by_regime.items()},
        "still_open": a.still_open,
        "unrealized": str(a.unrealized),
    }


def report_json(report: ReplayReport) -> dict[str, Any]:
    return {
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "source": report.source,
        "days": [d.isoformat() for d in report.days],
        "skipped": [[d.isoformat(), why] for d, why in report.skipped],
        "approval": report.approval,
        "overall": _stats_json(report.overall),
        "algorithms": {a.name: _stats_json(a) for a in report.algorithms},
        "steps": report.steps,
        "scans": report.scans,
        "suggested": report.suggested,
        "approved": report.approved,
        "refused": report.refused,
        "wall_seconds": round(report.wall_seconds, 3),
        "cpu_seconds": round(report.cpu_seconds, 3),
    }


def chart_png(report: ReplayReport) -> bytes:
    title = f"Replay {report.start:%d %b} – {report.end:%d %b %Y} ({report.source}): equity and drawdown"
    from core.replay.chart import equity_drawdown_chart  # matplotlib loads only when a chart is drawn

    return equity_drawdown_chart(report.equity, report.capital, title)


def write_outputs(report: ReplayReport, out: Path) -> dict[str, Path]:
    """Write the four files into ``out`` (created); returns their paths by name."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary": out / "summary.md",
        "trades": out / "trades.csv",
        "chart": out / "equity.png",
        "json": out / "report.json",
    }
    paths["summary"].write_text(summary_markdown(report), "utf-8")
    paths["trades"].write_text(trades_csv(report), "utf-8")
    paths["chart"].write_bytes(chart_png(report))
    paths["json"].write_text(json.dumps(report_json(report), indent=2), "utf-8")
    return paths
