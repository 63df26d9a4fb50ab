"""/pnl [day|week|month]: realized P&L after charges, unrealized, trades, win rate and equity; the
equity curve goes as a photo with a short caption."""

from __future__ import annotations

from bot.render.message import PhotoReply, Reply, photo_reply
from bot.render.text import esc, fraction, inr, pnl, pre, table, when
from core.domain.money import paise
from core.services.results import PnlReport

PERIOD_TITLES = {"day": "today", "week": "this week", "month": "this month"}


def _title(report: PnlReport) -> str:
    return PERIOD_TITLES.get(report.period, report.period)


def win_rate(report: PnlReport) -> float | None:
    """Wins over closed trades (0-1), ``None`` when nothing closed."""
    return report.wins / report.trades_closed if report.trades_closed else None


def pnl_message(report: PnlReport) -> Reply:
    rows = [
        ["Gross realized", pnl(report.gross_realized)],
        ["Charges", pnl(-report.charges)],
        ["Net realized", pnl(report.net_realized)],
        ["Unrealized", pnl(report.unrealized)],
        ["Net + unrealized", pnl(paise(report.net_realized + report.unrealized))],
    ]
    lines = [
        f"<b>P&amp;L {esc(_title(report))}</b>",
        f"<i>{when(report.since)} → {when(report.until)}</i>",
        pre(table(rows, ("<", ">"))),
        f"Trades closed {report.trades_closed} · wins {report.wins} · losses {report.losses}"
        f" · win rate {fraction(win_rate(report))}",
    ]
    if report.closed:
        best = max(report.closed, key=lambda p: p.net_realized_pnl)
        worst = min(report.closed, key=lambda p: p.net_realized_pnl)
        lines.append(
            f"Best #{best.id} {pnl(best.net_realized_pnl)} · worst #{worst.id} {pnl(worst.net_realized_pnl)}"
        )
    lines.append(f"Equity <b>{inr(report.equity)}</b>")
    return Reply("\n".join(lines))


def pnl_caption(report: PnlReport) -> str:
    """The short caption under the equity chart."""
    return (
        f"<b>Equity curve</b> · {esc(_title(report))} · net {pnl(report.net_realized)}"
        f" · equity {inr(report.equity)}"
    )


def pnl_photo(report: PnlReport) -> PhotoReply | None:
    """The equity curve as a photo; ``None`` when there are fewer than two points to draw."""
    if len(report.equity_curve) < 2:
        return None
    from bot.render.charts import equity_chart  # matplotlib loads only when a chart is drawn

    return photo_reply(equity_chart(report.equity_curve), pnl_caption(report), filename="equity.png")
