"""Wiring of the python-telegram-bot Application: handlers, rate limiting, jobs, the error handler.

``build_bot`` is used by ``niftybot run``, the demo and the end-to-end tests alike. The Bot API base URL
is a setting (TELEGRAM_API_BASE_URL), so the same code talks to Telegram, a self-hosted Bot API server
or the local emulator.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from telegram import BotCommandScopeChat, BotCommandScopeDefault, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.auth import Roles
from bot.context import BotContext, Commentator, ctx_of
from bot.dbwatch import DATABASE_UNAVAILABLE, DatabaseWatch
from bot.handlers import backtest, basic, buttons, desk, market, ops, positions, reports
from bot.jobs import Scheduler, report_error
from bot.notify import Notifier
from bot.outbox import OutboxSender
from bot.prefs import PrefsStore
from bot.render.help import Role, bot_commands
from bot.telegram_http import AiohttpRequest
from bot.views import ViewCache
from core.bootstrap import App
from core.clock import IST
from core.errors import ConfigError
from core.ops.heap import PAUSES, freeze_startup_heap
from core.ops.metrics import Metrics

log = logging.getLogger("niftybot.bot")

COMMAND_HANDLERS = {
    "start": basic.start,
    "help": basic.help_,
    "whoami": basic.whoami,
    "settings": basic.settings,
    "brief": market.brief,
    "chain": market.chain,
    "vol": market.vol,
    "ask": market.ask,
    "suggest": desk.suggest,
    "scan": desk.scan,
    "pending": desk.pending,
    "approve": desk.approve,
    "reject": desk.reject,
    "positions": positions.positions,
    "close": positions.close,
    "pnl": reports.pnl,
    "drawdown": reports.drawdown,
    "history": reports.history,
    "audit": reports.audit,
    "pause": reports.pause,
    "resume": reports.resume,
    "reset": reports.reset,
    "health": ops.health,
    "login": ops.login,
    "backtest": backtest.backtest,
}


def make_context(
    app: App, *, commentator: Commentator | None = None, started_at: datetime | None = None
) -> BotContext:
    prefs = PrefsStore(app.factory)
    chats = [*app.settings.telegram_admin_ids]
    if app.settings.telegram_chat_id is not None:
        chats.append(app.settings.telegram_chat_id)
    bc = BotContext(
        app=app,
        roles=Roles(app.settings),
        outbox=OutboxSender(app.factory, app.clock, admins=app.settings.telegram_admin_ids),
        prefs=prefs,
        notifier=Notifier(app.settings, prefs),
        started_at=started_at or app.clock.now(),
        commentator=commentator or Commentator(),
    )
    bc.db_watch = DatabaseWatch(app.engine, app.clock, chats)
    bc.views = ViewCache(app.clock)
    return bc


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The one error handler: log with the stack, then tell admins (throttled)."""
    error = context.error
    try:
        bc = ctx_of(context)
    except (KeyError, AssertionError):
        log.error("unhandled error while handling an update", exc_info=error)
        return
    if isinstance(error, TelegramError) and not isinstance(error, (BadRequest, Forbidden)):
        # Telegram failing to take a reply (network, timeout, 5xx, flood, token) is an outage of
        # Telegram, not a bug: /health shows it and the admins get one note when it is over, rather
        # than an error alert per lost reply.
        log.warning("a reply could not be sent: %s: %s", type(error).__name__, error)
        bc.outbox.note_failure(error)
        return
    if isinstance(error, SQLAlchemyError):
        # The database is down or locked: the handler could not do its work. Say so plainly; the
        # database watch alerts the admins once (bot/dbwatch.py), so no error alert per command.
        log.warning("a command failed on the database: %s", type(error).__name__)
        bc.db_watch.note_failure(error)
        user = update.effective_user if isinstance(update, Update) else None
        known = user is not None and bc.roles.role_of(user.id) is not None  # strangers hear nothing
        if known and isinstance(update, Update):
            with contextlib.suppress(TelegramError):
                if update.callback_query is not None:  # a button: answer the press itself
                    await update.callback_query.answer(DATABASE_UNAVAILABLE[:190], show_alert=True)
                elif update.effective_message is not None:
                    await update.effective_message.reply_text(DATABASE_UNAVAILABLE)
        return
    log.error("unhandled error while handling an update", exc_info=error)
    report_error(bc, "the bot", error or "unknown error", bc.now())
    if (
        isinstance(update, Update)
        and update.effective_message is not None
        and not isinstance(error, TelegramError)
    ):
        with contextlib.suppress(TelegramError):
            await update.effective_message.reply_text(
                "Something went wrong on our side; the admins were told."
            )


async def set_commands(application: Application, roles: Roles) -> None:  # type: ignore[type-arg]
    """Telegram's command menu: viewers' commands by default, more for traders and admins."""
    bot = application.bot
    await bot.set_my_commands(bot_commands(Role.VIEWER), scope=BotCommandScopeDefault())
    for user_id in sorted(roles.viewers):
        role = roles.role_of(user_id)
        if role is not None and role is not Role.VIEWER:
            try:
                await bot.set_my_commands(bot_commands(role), scope=BotCommandScopeChat(user_id))
            except TelegramError as exc:  # the user never opened a chat with the bot
                log.info("could not set the command menu for %s: %s", user_id, exc)


def tick_seconds(app: App) -> float:
    """Wall seconds between scheduler ticks: often enough for the monitor interval at the clock's speed."""
    speed = getattr(app.clock, "speed", 1.0) or 1.0
    return max(0.05, min(5.0, app.config.schedule.monitor_interval_seconds / speed / 4))


def build_bot(
    app: App,
    *,
    token: str | None = None,
    commentator: Commentator | None = None,
    concurrent_updates: int = 32,
    jobs: bool = True,
    rate_limiter: bool = True,
    read_timeout: float = 30.0,
    freeze_heap: bool = False,
) -> tuple[Application, BotContext]:  # type: ignore[type-arg]
    """``read_timeout``: seconds PTB waits for a Bot API answer (tests with a slow Telegram lower it).
    ``freeze_heap``: after start-up, freeze the objects alive then out of the garbage collector's
    full passes (``core.ops.heap``); the processes that run the bot (``run``, ``demo``, the load
    benchmark) turn it on, tests that build many bots in one process leave it off."""
    settings = app.settings
    secret = token or (
        settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    )
    if not secret:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: the bot cannot start (the demo needs none).")
    if commentator is None:
        from bot.commentary import build_commentator

        commentator = build_commentator(app)
    bc = make_context(app, commentator=commentator)
    builder = (
        ApplicationBuilder()
        .token(secret)
        .base_url(settings.telegram_api_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=IST,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .concurrent_updates(concurrent_updates)
        # aiohttp keep-alive pools instead of PTB's httpx client: about a fifth of the CPU per request
        # (bot/telegram_http.py; docs/benchmarks.md, "Load").
        .request(AiohttpRequest(connect_timeout=10, read_timeout=read_timeout))
        .get_updates_request(AiohttpRequest(connection_pool_size=1, connect_timeout=10, read_timeout=40))
    )
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=5))
    scheduler = Scheduler(bc)

    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        refused = app.desk.recover()
        if refused:
            log.warning("refused %d approvals interrupted by the last shutdown: %s", len(refused), refused)
        try:
            await set_commands(application, bc.roles)
        except TelegramError as exc:
            log.warning("set_my_commands failed: %s", exc)
        if freeze_heap:
            # Charts load matplotlib lazily (the CLI and the health check never need it); the bot will,
            # so load it now and freeze it with the rest instead of walking it in every full GC pass.
            import bot.render.charts  # noqa: F401
            import core.replay.chart  # noqa: F401

            frozen = freeze_startup_heap()
            log.info(
                "start-up heap frozen: %d objects out of full GC passes (collection took %.0f ms)",
                frozen.frozen,
                1000 * frozen.seconds,
            )

    async def post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
        await bc.aclose()

    builder = builder.post_init(post_init).post_shutdown(post_shutdown)
    application = builder.build()
    application.bot_data["ctx"] = bc
    application.bot_data["scheduler"] = scheduler

    for name, handler in COMMAND_HANDLERS.items():
        application.add_handler(CommandHandler(name, handler))
    application.add_handler(CallbackQueryHandler(buttons.on_button))
    application.add_handler(MessageHandler(filters.COMMAND, basic.unknown))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, basic.text))
    application.add_error_handler(on_error)

    bc.db_watch.bot = application.bot

    async def deliver() -> None:
        if bc.db_watch.down:
            return  # the outbox lives in the database; the watch says when it is back
        try:
            bc.notifier.dispatch(app.factory, app.clock.now())
            await bc.outbox.flush(application.bot)
        except SQLAlchemyError as exc:
            log.warning("outbox: the database failed (%s); delivery waits for it", type(exc).__name__)
            bc.db_watch.note_failure(exc)

    bc.wake_outbox = deliver
    bc.metrics = wire_metrics(bc)

    if jobs and application.job_queue is not None:
        grace = app.config.schedule.misfire_grace_seconds

        async def tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
            await scheduler.tick()

        async def outbox_job(context: ContextTypes.DEFAULT_TYPE) -> None:
            await deliver()

        application.job_queue.run_repeating(
            tick_job,
            interval=tick_seconds(app),
            first=0.1,
            name="desk-tick",
            job_kwargs={"misfire_grace_time": grace, "max_instances": 1, "coalesce": True},
        )
        application.job_queue.run_repeating(
            outbox_job,
            interval=0.5,
            first=0.2,
            name="outbox",
            job_kwargs={"misfire_grace_time": grace, "max_instances": 1, "coalesce": True},
        )
    return application, bc


def wire_metrics(bc: BotContext) -> Metrics:
    """Counters at the call sites, state gauges read at scrape time; served on METRICS_PORT if set."""
    app = bc.app
    metrics = Metrics()
    bc.observers.append(metrics.observe_command)
    app.guards.add_call_observer(metrics.observe_call)
    bc.outbox.on_result = metrics.observe_message
    bc.outbox.on_retry_after = metrics.telegram_429.inc
    bc.notifier.on_event = lambda kind, labels: metrics.suggestions.labels(*labels).inc()
    bc.scheduler_observer = lambda job, status: metrics.job_runs.labels(job, status).inc()

    def desk_state() -> dict[str, float]:
        state = app.desk.risk_peek()
        return {
            "open_positions": float(len(app.desk.open_positions())),
            "unrealized_pnl": float(state.unrealized),
            "drawdown": float(state.drawdown),
            "equity": float(state.equity),
        }

    def snapshot_age() -> float | None:
        snap = app.market.latest
        return None if snap is None else (app.clock.now() - snap.taken_at).total_seconds()

    def llm_today() -> dict[str, float]:
        from core.commentary.usage import SqlUsageStore

        t = SqlUsageStore(app.engine).totals(app.clock.now().astimezone(IST).date())
        return {
            "input": t.input_tokens,
            "output": t.output_tokens,
            "cache_write": t.cache_creation_input_tokens,
            "cache_read": t.cache_read_input_tokens,
            "cost_usd": float(t.cost_usd),
        }

    metrics.state.breakers = app.guards.statuses
    metrics.state.snapshot_age = snapshot_age
    metrics.state.desk = desk_state
    metrics.state.llm_today = llm_today
    metrics.state.outbox_backlog = bc.outbox.backlog
    metrics.state.gc_pauses = PAUSES.install().stats
    metrics.state.gc_bounds = PAUSES.bounds
    if app.settings.metrics_port is not None:
        port = metrics.serve(app.settings.metrics_port, addr="0.0.0.0")
        log.info("metrics on :%d/metrics", port)
    return metrics


def registered_commands() -> Sequence[str]:
    return tuple(COMMAND_HANDLERS)
