"""Scheduled work, driven by the desk's clock (IST, NSE-calendar aware).

APScheduler's cron triggers read the wall clock, but the demo and the tests live through a trading day
in seconds on a simulated clock. So one repeating JobQueue job (the *tick*) looks at the desk's clock and
runs what is due:

- daily jobs at their configured IST times on trading days — pre-market brief (08:45), opening snapshot
  (09:20), end-of-day summary (15:50), weekly summary (16:00 on the last trading day of the week), and
  the calendar and Kite-token checks (08:30). Each runs at most once per trading day even across
  restarts: it is claimed by inserting ``(job, day)`` into ``job_runs`` (a unique key; a run a killed
  process left ``running`` is taken over after ``CLAIM_LEASE``), and a job whose
  time passed more than ``misfire_grace_seconds`` ago is skipped with a log line (a late start does not
  post a stale morning brief at noon; the end-of-day summary has no such limit);
- the position monitor every ``monitor_interval_seconds`` while the market is open, and scans every
  ``scan_interval_minutes`` inside the entry window;
- a second repeating job dispatches events into the outbox and flushes it.
No job runs on a holiday; a year without a holiday list raises the calendar alert and runs nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.context import BotContext
from bot.render import alerts
from bot.render.market import premarket_brief
from bot.render.notifications import NotificationType
from core.clock import IST
from core.errors import CalendarCoverageError, NiftyBaseError
from core.persistence.db import transaction
from core.persistence.models.bot import JobRunRow
from core.services.events import EventKind, record_event

log = logging.getLogger("niftybot.jobs")

JobFn = Callable[[BotContext, datetime], Awaitable[str]]


@dataclass(frozen=True)
class DailyJob:
    name: str
    at: time
    fn: JobFn
    grace: bool = True  # skip when started more than the misfire grace after ``at``
    when: str = "trading_day"  # or "week_end": the last trading day of the week


# No daily job runs this long: a run still "running" after it was left by a process that died (killed
# mid-job); the next tick takes it over instead of leaving the job undone for the day.
CLAIM_LEASE = timedelta(minutes=10)


def claim(bc: BotContext, job: str, day: date, now: datetime) -> bool:
    """Insert the (job, day) row; False if it already exists (it ran, or another instance runs it now),
    except a run left ``running`` for longer than :data:`CLAIM_LEASE`, which is taken over."""
    try:
        with transaction(bc.app.factory) as s:
            s.add(
                JobRunRow(job=job, run_key=day.isoformat(), trading_day=day, started_at=now, status="running")
            )
    except IntegrityError:
        return _take_over(bc, job, day, now)
    return True


def _take_over(bc: BotContext, job: str, day: date, now: datetime) -> bool:
    with transaction(bc.app.factory) as s:
        done = s.execute(
            update(JobRunRow)
            .where(
                JobRunRow.job == job,
                JobRunRow.run_key == day.isoformat(),
                JobRunRow.status == "running",
                JobRunRow.started_at < now - CLAIM_LEASE,
            )
            .values(started_at=now, detail="the previous run was interrupted; run again")
        )
        taken = bool(getattr(done, "rowcount", 0))
    if taken:
        log.warning("job %s for %s: the previous run was interrupted; running it again", job, day)
    return taken


def finish(bc: BotContext, job: str, day: date, status: str, detail: str) -> None:
    if bc.scheduler_observer is not None:
        bc.scheduler_observer(job, status)
    with transaction(bc.app.factory) as s:
        row = s.scalars(
            select(JobRunRow).where(JobRunRow.job == job, JobRunRow.run_key == day.isoformat())
        ).first()
        if row is not None:
            row.status, row.detail, row.finished_at = status, detail[:500], bc.now()


def last_runs(bc: BotContext) -> dict[str, JobRunRow]:
    """The newest run of each job (for /health)."""
    with transaction(bc.app.factory, write=False) as s:
        rows = list(s.scalars(select(JobRunRow).order_by(JobRunRow.started_at)))
        s.expunge_all()
    return {r.job: r for r in rows}


# ---- the jobs ----------------------------------------------------------------------------------------
async def brief_job(bc: BotContext, now: datetime) -> str:
    snap = await bc.app.market.snapshot(max_age_seconds=60)
    try:
        commentary = await asyncio.wait_for(
            bc.commentator.brief(snap), timeout=bc.app.config.llm.timeout_seconds + 5
        )
    except TimeoutError:
        commentary = None
    reply = premarket_brief(snap, commentary)
    with transaction(bc.app.factory) as s:
        n = bc.notifier.push(
            s,
            bc.notifier.desk_targets(bc.settings.telegram_topic_briefs),
            NotificationType.BRIEF,
            reply,
            f"brief:{now.astimezone(IST).date()}",
            now,
        )
    return f"brief queued ({n} message(s))"


async def opening_job(bc: BotContext, now: datetime) -> str:
    snap = await bc.app.market.snapshot(max_age_seconds=0)
    stale = snap.stale_parts(("spot", "vix", "chain", "vol"))
    return "opening snapshot: " + ("; ".join(stale) if stale else "all parts fresh")


async def eod_job(bc: BotContext, now: datetime) -> str:
    await bc.app.desk.monitor()
    report = bc.app.reports.pnl("day")
    risk = bc.app.desk.risk().state
    commentary = await bc.commentator.eod({"report": report, "risk": risk})
    reply = alerts.eod_summary(now.astimezone(IST).date(), report, risk, commentary)
    with transaction(bc.app.factory) as s:
        bc.notifier.push(
            s,
            bc.notifier.desk_targets(bc.settings.telegram_topic_briefs),
            NotificationType.SUMMARIES,
            reply,
            f"eod:{now.astimezone(IST).date()}",
            now,
        )
    return f"EOD: {report.trades_closed} trades closed, net {report.net_realized}"


async def weekly_job(bc: BotContext, now: datetime) -> str:
    report = bc.app.reports.pnl("week")
    risk = bc.app.desk.risk().state
    reply = alerts.weekly_summary(report, risk, None)
    with transaction(bc.app.factory) as s:
        bc.notifier.push(
            s,
            bc.notifier.desk_targets(bc.settings.telegram_topic_briefs),
            NotificationType.SUMMARIES,
            reply,
            f"weekly:{now.astimezone(IST).date()}",
            now,
        )
    return f"weekly: net {report.net_realized}"


async def checks_job(bc: BotContext, now: datetime) -> str:
    """Calendar coverage (30 days ahead; next year's list from the configured month) and the Kite token."""
    notes = []
    cal = bc.app.calendar
    today = now.astimezone(IST).date()
    gap = cal.coverage_gap(today, 30)
    if today.month >= bc.app.config.alerts.calendar_warning_from_month and (today.year + 1) not in cal.years:
        gap = sorted({*gap, today.year + 1})
    with transaction(bc.app.factory) as s:
        for year in gap:
            record_event(s, EventKind.CALENDAR, now, {"year": year}, dedupe_key=f"calendar:{year}:{today}")
            notes.append(f"holiday list for {year} missing")
    yahoo = getattr(bc.app.source, "yahoo", None)
    if yahoo is not None:  # warm the Yahoo cache before the brief (a cold cache is ~14 rate-limited calls)
        failed = [t for t, err in (await yahoo.refresh(now)).items() if err]
        if failed:
            notes.append(f"Yahoo refresh failed for {', '.join(failed)}")
    token_ok = await _kite_token_ok(bc, now)
    if token_ok is False:
        with transaction(bc.app.factory) as s:
            record_event(s, EventKind.TOKEN, now, {}, dedupe_key=f"token:{today}")
        notes.append("Kite token not valid for today")
    return "; ".join(notes) or "calendar and token fine"


async def _kite_token_ok(bc: BotContext, now: datetime) -> bool | None:
    from core.config.settings import MarketDataSource

    if bc.app.settings.market_data is not MarketDataSource.KITE:
        return None
    from core.marketdata.kite_session import KiteSessionStore

    if bc.app.settings.kite_access_token is not None:
        return True
    return KiteSessionStore(bc.app.factory).current(now) is not None


def daily_jobs(bc: BotContext) -> list[DailyJob]:
    sch = bc.app.config.schedule
    return [
        DailyJob("checks", time(8, 30), checks_job),
        DailyJob("premarket_brief", sch.premarket_brief, brief_job),
        DailyJob("opening_snapshot", sch.opening_snapshot, opening_job),
        DailyJob("eod_summary", sch.eod_summary, eod_job, grace=False),
        DailyJob("weekly_summary", sch.weekly_summary, weekly_job, grace=False, when="week_end"),
    ]


class Scheduler:
    def __init__(self, bc: BotContext) -> None:
        self.bc = bc
        self.jobs = daily_jobs(bc)
        self._last_monitor: datetime | None = None
        self._last_refresh: datetime | None = None
        self._last_scan: datetime | None = None
        self._lock = asyncio.Lock()
        self._calendar_alerted: set[int] = set()

    def _is_week_end(self, day: date) -> bool:
        cal = self.bc.app.calendar
        nxt = cal.next_trading_day(day)
        return nxt.isocalendar()[:2] != day.isocalendar()[:2]

    async def tick(self) -> list[str]:
        """Run whatever is due now; returns what ran (for logs and tests)."""
        if self._lock.locked():
            return []
        async with self._lock:
            try:
                return await self._tick()
            except SQLAlchemyError as exc:  # the database failed between the watch's probe and the work
                log.warning("tick: the database failed (%s)", type(exc).__name__)
                if self.bc.db_watch is not None:
                    self.bc.db_watch.note_failure(exc)
                return []

    async def _tick(self) -> list[str]:
        bc = self.bc
        if bc.db_watch is not None and not await bc.db_watch.check():
            return []  # nothing can be claimed, recorded or traded without the database
        now = bc.now()
        local = now.astimezone(IST)
        day = local.date()
        cal = bc.app.calendar
        try:
            trading = cal.is_trading_day(day)
        except CalendarCoverageError as exc:
            if exc.year not in self._calendar_alerted:
                self._calendar_alerted.add(exc.year)
                with transaction(bc.app.factory) as s:
                    record_event(
                        s,
                        EventKind.CALENDAR,
                        now,
                        {"year": exc.year},
                        dedupe_key=f"calendar:{exc.year}:{day}",
                    )
            return []
        ran: list[str] = []
        if not trading:
            return ran
        sch = bc.app.config.schedule
        for job in self.jobs:
            if job.when == "week_end" and not self._is_week_end(day):
                continue
            due = datetime.combine(day, job.at, IST)
            if local < due:
                continue
            late = (local - due).total_seconds()
            if not claim(bc, job.name, day, now):
                continue
            if job.grace and late > sch.misfire_grace_seconds:
                detail = (
                    f"skipped: started {late / 60:.0f} min after {job.at:%H:%M} "
                    f"(grace {sch.misfire_grace_seconds}s)"
                )
                log.warning("job %s %s", job.name, detail)
                finish(bc, job.name, day, "skipped", detail)
                continue
            ran.append(job.name)
            await self._run(job.name, day, job.fn, now)
        if cal.is_market_open(now):
            refresh = bc.app.config.options_desk.chain_refresh_seconds
            if self._last_refresh is None or (now - self._last_refresh).total_seconds() >= refresh:
                # Keep the desk's view of the market fresh while the market is open, positions or not:
                # /chain and the pushes read it, the recorder records it, and an outage is noticed.
                self._last_refresh = now
                ran.append("refresh")
                await self._guarded("refresh", self._refresh)
            if (
                self._last_monitor is None
                or (now - self._last_monitor).total_seconds() >= sch.monitor_interval_seconds
            ):
                self._last_monitor = now
                ran.append("monitor")
                await self._guarded("monitor", self._monitor)
            desk = bc.app.config.options_desk
            in_window = desk.entry_window_start <= local.time() <= desk.entry_window_end
            interval = timedelta(minutes=desk.scan_interval_minutes)
            if in_window and (self._last_scan is None or now - self._last_scan >= interval):
                self._last_scan = now
                ran.append("scan")
                await self._guarded("scan", self._scan)
        return ran

    async def _run(self, name: str, day: date, fn: JobFn, now: datetime) -> None:
        try:
            detail = await fn(self.bc, now)
        except Exception as exc:
            log.exception("job %s failed", name)
            finish(self.bc, name, day, "failed", f"{type(exc).__name__}: {exc}")
            report_error(self.bc, f"job {name}", exc, now)
            return
        log.info("job %s: %s", name, detail)
        finish(self.bc, name, day, "ok", detail)

    async def _guarded(self, name: str, fn: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(0)  # commands that arrived meanwhile go first: refresh, monitor, scan in turns
        try:
            await fn()
        except NiftyBaseError as exc:
            log.warning("%s: %s", name, exc.user_message)
        except Exception as exc:
            log.exception("%s failed", name)
            report_error(self.bc, name, exc, self.bc.now())

    async def _refresh(self) -> None:
        await self.bc.app.market.snapshot(max_age_seconds=0)
        self._stale_alert()

    async def _monitor(self) -> None:
        report = await self.bc.app.desk.monitor()
        for problem in report.problems:
            log.warning("monitor: %s", problem)
        self._stale_alert()

    async def _scan(self) -> None:
        report = await self.bc.app.desk.scan()
        log.info("scan: %d new suggestion(s)", len(report.created))

    def _stale_alert(self) -> None:
        snap = self.bc.app.market.latest
        if snap is None:
            return
        problems = snap.stale_parts(("spot", "vix", "chain", "vol"))
        if not problems:
            return
        now = self.bc.now()
        hour = now.astimezone(IST).strftime("%Y-%m-%dT%H")
        key = "stale:" + hour + ":" + ",".join(sorted(p.split(":")[0] for p in problems))
        with transaction(self.bc.app.factory) as s:
            record_event(s, EventKind.DATA_STALE, now, {"problems": problems}, dedupe_key=key)


def report_error(bc: BotContext, where: str, exc: BaseException | str, now: datetime) -> None:
    """Tell admins about an unhandled error: at most one alert per throttle window (an error storm is
    one message a minute, not hundreds); every error is still logged."""
    window = max(bc.app.config.alerts.error_throttle_seconds, 1)
    slot = int(now.timestamp()) // window
    detail = (
        exc.user_message
        if isinstance(exc, NiftyBaseError)
        else (exc if isinstance(exc, str) else f"unexpected {type(exc).__name__} (details in the log)")
    )
    try:
        with transaction(bc.app.factory) as s:
            record_event(
                s, EventKind.ERROR, now, {"where": where, "detail": detail}, dedupe_key=f"error:{slot}"
            )
    except Exception:
        log.exception("could not record the error alert")
