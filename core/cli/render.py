"""Plain-text views for the terminal (the Telegram views live in bot/render)."""

from __future__ import annotations

from core.clock import IST
from core.domain.money import format_inr
from core.domain.trading import Suggestion
from core.services.results import ScanReport


def suggestion_text(s: Suggestion) -> list[str]:
    st = s.structure
    net = st.net_mid
    kind = "credit" if net > 0 else "debit"
    lines = [
        f"{s.algorithm}: {st.description}  x{s.lots} lot(s) of {st.lot_size}",
        f"  {kind} {abs(net):.2f}/unit at mid ({abs(st.net_natural):.2f} at bid/ask); "
        f"max profit {format_inr(s.max_profit)}, max loss {format_inr(s.max_loss)}",
        f"  breakevens {', '.join(f'{b:,.0f}' for b in st.breakevens)}; "
        f"POP {'n/a' if st.pop is None else f'{st.pop:.0%}'}; margin {format_inr(st.margin * s.lots)}",
        f"  score {s.score:.0f}/100: "
        + ", ".join(f"{c.name} {c.points:g}/{c.max_points:g}" for c in s.components),
        f"  {s.rationale}",
    ]
    for g in s.gates:
        lines.append(f"  [{'pass' if g.passed else 'FAIL'}] {g.name}: {g.reason}")
    return lines


def scan_text(report: ScanReport, *, stored: bool) -> str:
    lines = [
        f"Scan at {report.at.astimezone(IST):%a %d %b %Y %H:%M} IST ({'stored' if stored else 'dry run'})"
    ]
    for result in report.results:
        if not result.candidates:
            lines.append(f"{result.algorithm}: no suggestion - {'; '.join(result.notes) or 'no signal'}")
    shown = list(report.created)
    for s in shown:
        lines.extend(suggestion_text(s))
    for algo, gates in report.gate_failures:
        failed = "; ".join(g.reason for g in gates if not g.passed)
        lines.append(f"{algo}: a candidate failed the gates - {failed}")
    if report.skipped_duplicates:
        lines.append(f"{report.skipped_duplicates} duplicate(s) of pending suggestions skipped")
    if not shown and not report.gate_failures:
        lines.append("no suggestions")
    return "\n".join(lines)
