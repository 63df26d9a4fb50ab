"""/health: start-up checks, breakers, data freshness, jobs, outbox backlog, LLM usage, version, uptime.

Pure: the handler (bot/health.py) gathers the facts; this turns them into one message. Tables fit a
phone (≤ 40 columns), times are IST, every dynamic string is escaped.
"""

from __future__ import annotations

from datetime import datetime

from bot.render.message import Reply
from bot.render.text import age, esc, pre
from core.clock import IST
from core.ops.health import Check, Level

ICON = {Level.OK: "✅", Level.WARN: "⚠️", Level.FATAL: "⛔"}


def health_view(
    checks: list[Check],
    breakers: list[tuple[str, str, str]],
    parts: list[tuple[str, str, str, str]],
    jobs: list[tuple[str, str, str]],
    backlog: int | None,
    llm: str,
    version: str,
    uptime_seconds: float,
    now: datetime,
) -> Reply:
    worst = max(
        (c.level for c in checks),
        key=lambda lv: [Level.OK, Level.WARN, Level.FATAL].index(lv),
        default=Level.OK,
    )
    lines = [
        f"{ICON[worst]} <b>Health</b> · niftybot {esc(version)} · up {esc(age(uptime_seconds))} · "
        f"{now.astimezone(IST):%d %b %H:%M} IST"
    ]
    lines += [f"{ICON[c.level]} {esc(c.name)}: {esc(c.detail)}" for c in checks]
    if breakers:
        lines.append("<b>Circuit breakers</b>")
        lines.append(pre([f"{n:<10} {s:<9} {e[:18]}" for n, s, e in breakers]))
    if parts:
        lines.append("<b>Data</b>")
        lines.append(pre([f"{p:<8} {src:<10} {st:<7} {t}" for p, src, st, t in parts]))
    if jobs:
        lines.append("<b>Jobs (last run)</b>")
        lines.append(pre([f"{j:<17} {st:<7} {t}" for j, st, t in jobs]))
    shown = "unknown" if backlog is None else str(backlog)
    lines.append(f"Outbox backlog: {shown} · LLM today: {esc(llm)}")
    return Reply("\n".join(lines))
