"""/health: the start-up checks plus what is happening now — breakers, data freshness per source, the
last run of every job, the outbox backlog, today's LLM usage, version and uptime."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from bot.context import BotContext
from bot.jobs import last_runs
from bot.render.health import health_view
from bot.render.message import Reply
from bot.render.text import clock_time
from core import __version__
from core.clock import IST
from core.ops.health import Check, Level, check_breakers, run_checks


async def health_reply(bc: BotContext) -> Reply:
    app = bc.app
    now = bc.now()

    def token_valid() -> bool | None:
        from core.marketdata.kite_session import KiteSessionStore

        if any(b.name == "kite" and b.auth_error for b in app.guards.statuses()):
            return False  # Kite refused the token we hold: it is not valid, whatever is stored
        return (
            app.settings.kite_access_token is not None
            or KiteSessionStore(app.factory).current(now) is not None
        )

    checks = run_checks(
        app.settings,
        app.config,
        None,
        app.engine,
        app.calendar,
        now,
        need_telegram=True,
        token_valid=token_valid,
    )
    watch = bc.db_watch
    if watch is not None and watch.down:  # e.g. a lock: reads may work, but nothing can be written
        checks = [c for c in checks if c.name != "database"]
        checks.insert(
            1,
            Check(
                "database",
                Level.FATAL,
                f"unavailable since {clock_time(watch.down_since)} ({watch.last_error}); "
                "nothing can be recorded",
            ),
        )
    statuses = app.guards.statuses()
    checks += check_breakers(statuses)
    delivery = bc.outbox.delivery_problem()
    if delivery is not None:
        checks.append(Check("telegram delivery", Level.WARN, delivery))
    breakers = [
        (b.name, "auth" if b.auth_error else b.state.value, b.auth_error or b.last_error or "")
        for b in statuses
    ]
    snap = app.market.latest
    parts = []
    if snap is not None:
        for name, info in snap.parts.items():
            parts.append(
                (name, info.source[:10], info.status.value, clock_time(info.as_of) if info.as_of else "-")
            )
    # What follows reads the database: when it is down, /health still answers (the database check
    # above says why) and shows these as unknown.
    try:
        jobs = [(name, row.status, clock_time(row.started_at)) for name, row in sorted(last_runs(bc).items())]
    except SQLAlchemyError:
        jobs = []
    from core.commentary.usage import SqlUsageStore

    try:
        t = SqlUsageStore(app.engine).totals(now.astimezone(IST).date())
        llm = f"{t.requests} requests, {t.input_tokens + t.output_tokens} tokens, ${t.cost_usd:.4f}"
    except SQLAlchemyError:
        llm = "unknown (database unavailable)"
    try:
        backlog: int | None = bc.outbox.backlog()
    except SQLAlchemyError:
        backlog = None
    return health_view(
        checks,
        breakers,
        parts,
        jobs,
        backlog,
        llm,
        __version__,
        (now - bc.started_at).total_seconds(),
        now,
    )
