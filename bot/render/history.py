"""/history [n] (closed trades) and /audit [n] (the desk's decisions)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.render.callbacks import PageView
from bot.render.keyboards import pager_keyboard
from bot.render.message import Reply
from bot.render.text import DASH, clip, esc, num, pnl, pre, score, short_date, table, when
from core.domain.money import ZERO, paise
from core.domain.trading import ExitReason, Position, StrategyKind
from core.paper.audit import TradeDecisionLog

KIND_CODES = {
    StrategyKind.BULL_PUT_CREDIT: "BPS",
    StrategyKind.BEAR_CALL_CREDIT: "BCS",
    StrategyKind.IRON_CONDOR: "IC",
    StrategyKind.BULL_CALL_DEBIT: "BuCD",
    StrategyKind.BEAR_PUT_DEBIT: "BePD",
}
EXIT_CODES = {
    ExitReason.PROFIT_TARGET: "PT",
    ExitReason.STOP_LOSS: "SL",
    ExitReason.TIME_LIMIT: "TL",
    ExitReason.EXPIRY: "EXP",
    ExitReason.MANUAL: "MAN",
}
REASON_CHARS = 200
PER_PAGE = 10
PAGED_MAX = 50  # what a handler re-reads when a page button of /history or /audit is pressed


def _page(total: int, page: int, per_page: int | None) -> tuple[int, int, slice]:
    if per_page is None:
        return 0, 1, slice(None)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    return page, pages, slice(page * per_page, (page + 1) * per_page)


def history_view(positions: Sequence[Position], n: int, page: int = 0, per_page: int | None = None) -> Reply:
    """The last ``n`` closed trades (newest first as given) with net P&L after charges. All ``n`` in
    one message (split if long) unless ``per_page`` is given: then that many a page with ◀ / ▶
    buttons; the totals cover all ``n``. Page buttons carry only the page, so a handler that pages
    re-reads the last :data:`PAGED_MAX` trades when one is pressed."""
    closed = [p for p in positions if not p.is_open][:n]
    if not closed:
        return Reply("No closed trades yet.")
    page, pages, window = _page(len(closed), page, per_page)
    rows = [["#", "Closed", "Type", "Net P&L", "Exit"]]
    for p in closed[window]:
        rows.append(
            [
                str(p.id),
                short_date(p.closed_at),
                KIND_CODES.get(p.kind, p.kind.value[:4]),
                num(p.net_realized_pnl, 2, sign=True),
                EXIT_CODES.get(p.exit_reason, DASH) if p.exit_reason else DASH,
            ]
        )
    total = paise(sum((p.net_realized_pnl for p in closed), ZERO))
    wins = sum(1 for p in closed if p.net_realized_pnl > 0)
    used_kinds = sorted(
        {KIND_CODES[p.kind] + " " + p.kind.label.lower() for p in closed if p.kind in KIND_CODES}
    )
    used_exits = sorted(
        {EXIT_CODES[p.exit_reason] + " " + p.exit_reason.label for p in closed if p.exit_reason in EXIT_CODES}
    )
    title = f"<b>Last {len(closed)} closed trade{'s' if len(closed) != 1 else ''}</b>"
    lines = [
        title + (f" · page {page + 1}/{pages}" if pages > 1 else ""),
        pre(table(rows, (">", "<", "<", ">", "<"))),
        f"Net after charges {pnl(total)} · {wins} of {len(closed)} won",
        "<i>" + esc(" · ".join(used_kinds + used_exits)) + "</i>",
    ]
    return Reply("\n".join(lines), pager_keyboard(PageView.HISTORY, page, pages))


def _decision_line(d: TradeDecisionLog) -> list[str]:
    head = f"<code>{esc(when(d.at))}</code> <b>{esc(d.action.value)}</b>"
    bits = []
    if d.outcome:
        bits.append(d.outcome)
    if d.suggestion_id is not None:
        bits.append(f"suggestion #{d.suggestion_id}")
    if d.position_id is not None:
        bits.append(f"position #{d.position_id}")
    if d.algorithm:
        bits.append(d.algorithm)
    if d.strategy:
        bits.append(d.strategy)
    if d.lots is not None:
        bits.append(f"{d.lots} lot{'s' if d.lots != 1 else ''}")
    if d.score is not None:
        bits.append(f"score {score(d.score)}")
    if d.user_id is not None:
        bits.append(f"user {d.user_id}")
    line = head + (" · " + esc(" · ".join(bits)) if bits else "")
    if d.pnl is not None:
        line += f" · {pnl(d.pnl)}"
    out = [line]
    if d.reason:
        out.append(f"   <i>{esc(clip(d.reason, REASON_CHARS))}</i>")
    return out


def audit_view(
    decisions: Sequence[TradeDecisionLog], n: int, page: int = 0, per_page: int | None = None
) -> Reply:
    """The last ``n`` decisions (newest first as given): what, outcome, ids, who and why; paged like
    :func:`history_view`."""
    shown = list(decisions)[:n]
    if not shown:
        return Reply("No decisions recorded yet.")
    page, pages, window = _page(len(shown), page, per_page)
    title = f"<b>Last {len(shown)} decision{'s' if len(shown) != 1 else ''}</b>"
    lines = [title + (f" · page {page + 1}/{pages}" if pages > 1 else "")]
    for d in shown[window]:
        lines += _decision_line(d)
    return Reply("\n".join(lines), pager_keyboard(PageView.AUDIT, page, pages))
