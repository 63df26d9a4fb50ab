"""/backtest <algorithm> <days>: a short simulated replay of one algorithm, answered with the summary
and the equity/drawdown chart; the result becomes the algorithm's replay record (suggestion details).

The replay (``core.replay``) runs in a worker thread with its own event loop and throwaway database, so
the bot keeps answering; one backtest runs at a time and at most ``MAX_DAYS`` days.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import date, time

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import BotContext
from bot.handlers.common import UsageError, command, send
from bot.render.backtest import backtest_photo, backtest_started, backtest_summary, replay_record_line
from bot.render.help import Role
from bot.render.message import Reply
from core.clock import IST
from core.config.schema import NiftyConfig
from core.market_hours import NSECalendar
from core.replay.output import chart_png
from core.replay.records import ReplayRecordStore
from core.replay.report import ReplayReport, build_report
from core.replay.runner import ReplayRequest, run_replay

log = logging.getLogger("niftybot.bot")
MAX_DAYS = 20
SESSION_WINDOW: tuple[time, time] | None = None  # whole sessions; tests shorten them
_running = threading.Lock()


def last_trading_days(calendar: NSECalendar, today: date, n: int) -> tuple[date, date]:
    """The ``n`` trading days before ``today`` as (first, last)."""
    end = calendar.previous_trading_day(today)
    start = end
    for _ in range(n - 1):
        start = calendar.previous_trading_day(start)
    return start, end


def _replay(request: ReplayRequest, config: NiftyConfig, calendar: NSECalendar) -> tuple[ReplayReport, bytes]:
    report = build_report(asyncio.run(run_replay(request, config, calendar=calendar)))
    return report, chart_png(report)


def record_line(bc: BotContext, algorithm: str) -> str:
    return replay_record_line(
        algorithm, ReplayRecordStore(bc.app.config.recording.replay_records).latest(algorithm)
    )


@command("backtest", Role.TRADER)
async def backtest(update: Update, context: ContextTypes.DEFAULT_TYPE, bc: BotContext) -> None:
    """Replay one algorithm over the last n simulated trading days (at most 20)."""
    args = context.args or []
    known = sorted(n for n, a in bc.app.config.algorithms.items() if a.enabled)
    if len(args) != 2:
        raise UsageError(f"give an algorithm ({', '.join(known)}) and a number of days")
    algorithm, days_text = args[0].lower(), args[1]
    if algorithm not in known:
        raise UsageError(f"unknown algorithm {algorithm!r}; use one of {', '.join(known)}")
    if not days_text.isdigit() or not 1 <= int(days_text) <= MAX_DAYS:
        raise UsageError(f"days must be a whole number from 1 to {MAX_DAYS}")
    if not _running.acquire(blocking=False):
        await send(update, Reply("A backtest is already running; try again when it has answered."))
        return
    try:
        app = bc.app
        start, end = last_trading_days(app.calendar, bc.now().astimezone(IST).date(), int(days_text))
        request = ReplayRequest(
            start, end, algorithms=(algorithm,), seed=app.settings.sim_seed, window=SESSION_WINDOW
        )
        await send(update, backtest_started(algorithm, int(days_text)))
        report, png = await asyncio.to_thread(_replay, request, app.config, app.calendar)
        ReplayRecordStore(app.config.recording.replay_records).save_report(report, bc.now())
        await send(update, backtest_summary(report, algorithm))
        await send(update, backtest_photo(png, report, algorithm))
    finally:
        _running.release()
