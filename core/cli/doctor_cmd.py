"""``niftybot doctor [--quick] [--bot]``: the start-up checks; exit 1 on a fatal problem (Docker uses it)."""

from __future__ import annotations

import argparse

from core.cli.common import add_config_arg
from core.clock import SystemClock
from core.config.schema import NiftyConfig, load_config
from core.config.settings import load_settings
from core.errors import ConfigError
from core.market_hours import default_calendar
from core.ops.health import Level, fatal, run_checks
from core.persistence.db import make_engine

ICONS = {Level.OK: "ok  ", Level.WARN: "WARN", Level.FATAL: "FAIL"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help="run the health checks; exit 1 if a fatal problem is found")
    add_config_arg(p)
    p.add_argument("--quick", action="store_true", help="skip network checks (the Docker health check)")
    p.add_argument("--bot", action="store_true", help="also require the Telegram settings")
    p.set_defaults(handler=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    settings = load_settings()
    config: NiftyConfig | None = None
    error = None
    try:
        config = load_config(getattr(args, "config", None) or settings.niftybot_config)
    except ConfigError as exc:
        error = exc.user_message
    engine = (
        make_engine(settings.database_url, connect_args={"connect_timeout": 5})
        if settings.database_url.startswith("postgres")
        else make_engine(settings.database_url)
    )
    token_valid = None
    if not args.quick:
        from core.marketdata.kite_session import KiteSessionStore
        from core.persistence.db import session_factory

        def token_valid() -> bool | None:
            if settings.kite_access_token is not None:
                return True
            return KiteSessionStore(session_factory(engine)).current(SystemClock().now()) is not None

    checks = run_checks(
        settings,
        config,
        error,
        engine,
        default_calendar(),
        SystemClock().now(),
        need_telegram=args.bot,
        token_valid=token_valid,
    )
    for c in checks:
        print(f"[{ICONS[c.level]}] {c.name}: {c.detail}")
    bad = fatal(checks)
    print(
        "fatal: " + ", ".join(c.name for c in bad)
        if bad
        else "healthy"
        if all(c.ok for c in checks)
        else "degraded"
    )
    return 1 if bad else 0
