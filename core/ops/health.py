"""Start-up and health checks (the seed's gap: "dashboard starts even if DB/config/API keys are
missing"). Used by ``niftybot doctor`` (the Docker health check), at bot start-up and by ``/health``.

Each check returns a :class:`Check` with a level: OK, WARN (start degraded and alert) or FATAL (refuse to
start, with one clear message). Checks are small functions of their inputs; :func:`run_checks` and
:func:`preflight` do the I/O (database, filesystem, the Kite session).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from core.clock import IST
from core.config.schema import NiftyConfig
from core.config.settings import MarketDataSource, Settings
from core.market_hours import NSECalendar
from core.persistence.db import current_revisions, head_revisions, make_engine
from core.resilience.breaker import BreakerState, BreakerStatus

MIN_FREE_BYTES = 200 * 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 5
CALENDAR_DAYS_AHEAD = 30


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FATAL = "fatal"


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str

    @property
    def ok(self) -> bool:
        return self.level is Level.OK


def _one_line(exc: BaseException, secret: str | None = None, limit: int = 160) -> str:
    """``Type: message`` on one line (driver errors span several), without the database password,
    cut to ``limit`` characters."""
    text = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    if secret:
        text = text.replace(secret, "***")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _password(url: str) -> str | None:
    try:
        return make_url(url).password
    except Exception:  # unparsable: nothing to hide beyond what the driver prints
        return None


def open_engine(database_url: str) -> tuple[Engine | None, Check | None]:
    """An engine for the checks (PostgreSQL with a connect timeout, so a dead server fails fast), or
    the failed database check when not even that works (a bad URL, an SQLite directory that cannot be
    created)."""
    try:
        if database_url.startswith("postgres"):
            return make_engine(database_url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}), None
        return make_engine(database_url), None
    except Exception as exc:
        why = _one_line(exc, _password(database_url))
        return None, Check("database", Level.FATAL, f"cannot open ({why})")


def check_reachable(engine: Engine) -> Check:
    """Only that the database answers (before migrations; :func:`check_database` also checks the schema)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        return Check("database", Level.FATAL, f"unreachable ({_one_line(exc, engine.url.password)})")
    return Check("database", Level.OK, "reachable")


def check_database(engine: Engine) -> Check:
    reachable = check_reachable(engine)
    if not reachable.ok:
        return reachable
    try:
        cur, heads = current_revisions(engine), head_revisions()
    except Exception as exc:
        return Check("database", Level.FATAL, f"cannot read the schema revision ({type(exc).__name__})")
    if cur != heads:
        have = ",".join(sorted(cur)) or "empty"
        return Check(
            "database",
            Level.FATAL,
            f"schema at {have}, needs {','.join(sorted(heads))} (niftybot db upgrade)",
        )
    return Check("database", Level.OK, f"reachable, schema {','.join(sorted(cur))}")


def check_config(config: NiftyConfig | None, error: str | None) -> Check:
    if config is None:
        return Check("config", Level.FATAL, error or "not loaded")
    warnings = config.cross_check()
    if warnings:
        return Check("config", Level.WARN, "; ".join(warnings))
    return Check("config", Level.OK, "valid")


def check_secrets(settings: Settings, *, need_telegram: bool) -> list[Check]:
    out = []
    if need_telegram:
        if settings.telegram_bot_token is None:
            out.append(Check("telegram", Level.FATAL, "TELEGRAM_BOT_TOKEN is not set"))
        elif settings.telegram_chat_id is None:
            out.append(
                Check("telegram", Level.WARN, "TELEGRAM_CHAT_ID is not set: pushes have nowhere to go")
            )
        elif not settings.telegram_admin_ids:
            out.append(
                Check("telegram", Level.WARN, "no TELEGRAM_ADMIN_IDS: nobody can reset breakers or log in")
            )
        else:
            out.append(Check("telegram", Level.OK, "token, chat and admins set"))
    if settings.market_data is MarketDataSource.KITE:
        missing = [n for n in ("kite_api_key", "kite_api_secret") if getattr(settings, n) is None]
        if missing:
            out.append(
                Check(
                    "kite",
                    Level.FATAL,
                    f"MARKET_DATA=kite but {', '.join(m.upper() for m in missing)} not set",
                )
            )
    if settings.anthropic_api_key is None:
        out.append(
            Check("anthropic", Level.WARN, "no ANTHROPIC_API_KEY: commentary uses the automatic writer")
        )
    else:
        out.append(Check("anthropic", Level.OK, "API key set"))
    return out


def check_breakers(statuses: Sequence[BreakerStatus]) -> list[Check]:
    """One check per outside dependency that is failing now: its breaker is not closed, or it refused
    our credentials (a closed breaker with no refusal is fine and shows only in the breakers table)."""
    out = []
    for b in statuses:
        if b.auth_error:
            out.append(Check(b.name, Level.WARN, f"credentials refused: {b.auth_error}"))
        elif b.state is BreakerState.OPEN:
            wait = f", next try in {b.retry_in_seconds:.0f} s" if b.retry_in_seconds is not None else ""
            out.append(Check(b.name, Level.WARN, f"unavailable (circuit open: {b.last_error}{wait})"))
        elif b.state is BreakerState.HALF_OPEN:
            out.append(Check(b.name, Level.WARN, f"recovering (trying again after: {b.last_error})"))
    return out


def check_calendar(calendar: NSECalendar, now: datetime, warn_from_month: int = 12) -> Check:
    today = now.astimezone(IST).date()
    gap = calendar.coverage_gap(today, CALENDAR_DAYS_AHEAD)
    if today.year in gap:
        return Check("calendar", Level.FATAL, f"no NSE holiday list for {today.year}: trading days unknown")
    if gap:
        return Check(
            "calendar", Level.WARN, f"no holiday list for {', '.join(map(str, gap))} (needed within 30 days)"
        )
    if today.month >= warn_from_month and today.year + 1 not in calendar.years:
        return Check("calendar", Level.WARN, f"the {today.year + 1} holiday list is not loaded yet")
    return Check(
        "calendar", Level.OK, f"covers {min(calendar.years)}-{max(calendar.years)} (data {calendar.version})"
    )


def check_log_dir(path: Path) -> Check:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-", delete=True):
            pass
    except OSError as exc:
        return Check("logs", Level.FATAL, f"{path} is not writable ({exc.strerror})")
    return Check("logs", Level.OK, f"{path} writable")


def check_disk(path: Path, min_free: int = MIN_FREE_BYTES) -> Check:
    probe = path if path.exists() else Path(os.getcwd())
    free = shutil.disk_usage(probe).free
    if free < min_free:
        return Check("disk", Level.WARN, f"only {free // 2**20} MB free at {probe}")
    return Check("disk", Level.OK, f"{free // 2**30} GB free")


def check_kite_token(settings: Settings, token_valid: Callable[[], bool | None]) -> Check | None:
    if settings.market_data is not MarketDataSource.KITE:
        return None
    try:
        valid = token_valid()
    except Exception as exc:
        return Check("kite token", Level.WARN, f"could not check ({type(exc).__name__})")
    if not valid:
        return Check(
            "kite token", Level.WARN, "no valid Kite session for today: /login in the chat or niftybot login"
        )
    return Check("kite token", Level.OK, "valid for today")


def run_checks(
    settings: Settings,
    config: NiftyConfig | None,
    config_error: str | None,
    engine: Engine | None,
    calendar: NSECalendar,
    now: datetime,
    *,
    need_telegram: bool,
    token_valid: Callable[[], bool | None] | None = None,
) -> list[Check]:
    checks: list[Check] = [check_config(config, config_error)]
    if engine is not None:
        checks.append(check_database(engine))
    checks += check_secrets(settings, need_telegram=need_telegram)
    checks.append(check_calendar(calendar, now, config.alerts.calendar_warning_from_month if config else 12))
    checks.append(check_log_dir(settings.log_dir))
    checks.append(check_disk(settings.log_dir))
    if token_valid is not None:
        kite = check_kite_token(settings, token_valid)
        if kite is not None:
            checks.append(kite)
    return checks


def preflight(settings: Settings) -> list[Check]:
    """What must hold before start-up touches anything: the log directory is writable and the database
    answers. ``niftybot run`` runs these before it sets up logging and migrates, so either problem is one
    line naming it instead of a traceback."""
    checks = [check_log_dir(settings.log_dir)]
    engine, problem = open_engine(settings.database_url)
    if engine is None:
        assert problem is not None
        return [*checks, problem]
    try:
        checks.append(check_reachable(engine))
    finally:
        engine.dispose()
    return checks


def fatal(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if c.level is Level.FATAL]
