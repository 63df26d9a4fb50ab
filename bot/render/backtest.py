"""/backtest replies: the replay summary (per algorithm and overall), its chart, and the replay-record
line of a suggestion's details. Money in rupees (Indian grouping), win rate in percent, IST dates."""

from __future__ import annotations

from datetime import timedelta

from bot.render.message import PhotoReply, Reply, photo_reply
from bot.render.text import DASH, day, esc, inr, pnl, pre, table
from core.replay.records import ReplayRecord
from core.replay.report import AlgoStats, ReplayReport

EXIT_SHORT = {
    "profit_target": "target",
    "stop_loss": "stop",
    "time_limit": "time",
    "expiry_square_off": "expiry",
    "manual": "manual",
}


def _rate(x: float | None) -> str:
    return DASH if x is None else f"{x:.0%}"


def _hold(d: timedelta | None) -> str:
    if d is None:
        return DASH
    minutes = int(d.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    return f"{days}d {rest // 60}h" if days else f"{rest // 60}h {rest % 60:02d}m"


def _exits(a: AlgoStats) -> str:
    return ", ".join(f"{EXIT_SHORT.get(k, k)} {v}" for k, v in a.exits.items()) or "no exits"


def backtest_started(algorithm: str, days: int) -> Reply:
    return Reply(
        f"⏳ Replaying <b>{esc(algorithm)}</b> over the last {days} simulated trading day(s)… "
        "the summary and chart follow."
    )


def backtest_summary(report: ReplayReport, algorithm: str) -> Reply:
    """The replay of one algorithm: its record, exits, regimes and the desk's drawdown."""
    a = report.stats(algorithm) or report.overall
    rows = [
        ["Trades", str(a.trades)],
        ["Win rate", _rate(a.win_rate)],
        ["Gross", pnl(a.gross)],
        ["Charges", inr(a.charges)],
        ["Net", pnl(a.net)],
        ["Max drawdown", inr(a.max_drawdown)],
        ["Avg holding", _hold(a.avg_holding)],
    ]
    lines = [
        f"<b>Backtest · {esc(algorithm)}</b>",
        f"{day(report.start)} – {day(report.end)} · {len(report.days)} day(s) · {esc(report.source)} market",
        pre(table(rows, ("<", ">"))),
        f"Exits: {esc(_exits(a))}",
    ]
    if a.by_regime:
        lines.append("By regime: " + " · ".join(f"{esc(k)} {pnl(v)}" for k, v in a.by_regime.items()))
    if a.still_open:
        lines.append(f"Still open at the end: {a.still_open} (unrealized {pnl(a.unrealized)})")
    lines.append(
        f"<i>{report.scans} scans, {report.suggested} suggestions, {report.approved} approved "
        f"({esc(report.approval)}). Same desk, gates, exits and charges as live; paper only.</i>"
    )
    return Reply("\n".join(lines))


def backtest_photo(png: bytes, report: ReplayReport, algorithm: str) -> PhotoReply:
    caption = (
        f"<b>{esc(algorithm)}</b> replay {day(report.start)} – {day(report.end)}: equity and drawdown "
        f"(desk max drawdown {inr(report.overall.max_drawdown)})"
    )
    return photo_reply(png, caption, filename="backtest.png")


def replay_record_line(algorithm: str, record: ReplayRecord | None) -> str:
    """One line for a suggestion's details: the algorithm's latest replay, or that there is none."""
    if record is None:
        return f"<i>Replay record: none yet for {esc(algorithm)} (run /backtest {esc(algorithm)} 10).</i>"
    return (
        f"Replay record ({esc(record.source)}, {record.days} day(s) to {day(record.end)}): "
        f"{record.trades} trade(s), win rate {_rate(record.win_rate)}, net {pnl(record.net)}, "
        f"max drawdown {inr(record.max_drawdown)}"
    )
