"""``niftybot doctor [--quick] [--bot]``: the start-up checks; exit 1 on a fatal problem (Docker uses it).

Output is one line per check (``[ok  ]``, ``[WARN]``, ``[FAIL]``) and a last line naming every fatal
check (``fatal: database, logs``), ``degraded`` or ``healthy``. :func:`doctor` takes the clock and the
calendar as parameters so tests can pin "today" (e.g. a year the packaged holiday list does not cover).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from core.cli.common import add_config_arg
from core.clock import Clock, SystemClock
from core.config.schema import NiftyConfig, load_config
from core.config.settings import load_settings
from core.errors import ConfigError
from core.market_hours import NSECalendar, default_calendar
from core.ops.health import Level, fatal, open_engine, run_checks

ICONS = {Level.OK: "ok  ", Level.WARN: "WARN", Level.FATAL: "FAIL"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help="run the health checks; exit 1 if a fatal problem is found")
    add_config_arg(p)
    p.add_argument("--quick", action="store_true", help="skip network checks (the Docker health check)")
    p.add_argument("--bot", action="store_true", help="also require the Telegram settings")
    p.set_defaults(handler=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    return doctor(args)


def doctor(
    args: argparse.Namespace,
    *,
    clock: Clock | None = None,
    calendar: NSECalendar | None = None,
    out: Callable[[str], None] = print,
) -> int:
    """Run the checks and print them; 1 if any is fatal, else 0."""
    settings = load_settings()
    clock = clock or SystemClock()
    config: NiftyConfig | None = None
    error = None
    try:
        config = load_config(getattr(args, "config", None) or settings.niftybot_config)
    except ConfigError as exc:
        error = exc.user_message
    engine, engine_problem = open_engine(settings.database_url)
    token_valid = None
    if not args.quick and engine is not None:
        from core.marketdata.kite_session import KiteSessionStore
        from core.persistence.db import session_factory

        db = engine

        def token_valid() -> bool | None:
            if settings.kite_access_token is not None:
                return True
            return KiteSessionStore(session_factory(db)).current(clock.now()) is not None

    try:
        checks = run_checks(
            settings,
            config,
            error,
            engine,
            calendar or default_calendar(),
            clock.now(),
            need_telegram=args.bot,
            token_valid=token_valid,
        )
    finally:
        if engine is not None:
            engine.dispose()
    if engine_problem is not None:
        checks.insert(1, engine_problem)
    for c in checks:
        out(f"[{ICONS[c.level]}] {c.name}: {c.detail}")
    bad = fatal(checks)
    out(
        "fatal: " + ", ".join(c.name for c in bad)
        if bad
        else "healthy"
        if all(c.ok for c in checks)
        else "degraded"
    )
    return 1 if bad else 0
