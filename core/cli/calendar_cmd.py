"""``niftybot calendar [DATE]``: the NSE calendar around a date."""

from __future__ import annotations

import argparse
from datetime import date

from core.clock import SystemClock
from core.market_hours import default_calendar


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("calendar", help="NSE trading calendar: sessions, holidays, expiries")
    p.add_argument("date", nargs="?", type=date.fromisoformat, help="YYYY-MM-DD (default today, IST)")
    p.set_defaults(handler=_show)


def describe_day(d: date) -> list[str]:
    cal = default_calendar()
    lines = [f"NSE calendar (data {cal.version}) for {d:%a %d %b %Y}"]
    holiday = cal.holiday(d)
    session = cal.session(d)
    if holiday:
        lines.append(f"  holiday: {holiday.name}")
    if session:
        kind = session.name if session.special else "normal session"
        lines.append(f"  {kind}: {session.open:%H:%M}-{session.close:%H:%M} IST")
    elif not holiday:
        lines.append("  closed (weekend)")
    lines.append(f"  next trading day: {cal.next_trading_day(d):%a %d %b %Y}")
    lines.append(f"  next weekly expiry: {cal.next_weekly_expiry(d):%a %d %b %Y}")
    lines.append(f"  next monthly expiry: {cal.next_monthly_expiry(d):%a %d %b %Y}")
    upcoming = [h for h in cal.holidays(d.year) if h.day > d][:3]
    for h in upcoming:
        lines.append(f"  upcoming holiday: {h.day:%a %d %b} {h.name}")
    return lines


def _show(args: argparse.Namespace) -> int:
    d = args.date or SystemClock().now().date()
    print("\n".join(describe_day(d)))
    return 0
