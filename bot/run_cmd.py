"""``niftybot run``: the bot for real — start-up checks, then polling (or a webhook with a secret token)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from core.cli.common import add_config_arg, settings_and_config
from core.config.settings import Settings
from core.errors import ConfigError
from core.logging_config import setup_logging

log = logging.getLogger("niftybot")
WEBHOOK_PATH = "telegram"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run", help="run the Telegram bot (polling, or webhook when TELEGRAM_WEBHOOK_URL is set)"
    )
    add_config_arg(p)
    p.set_defaults(handler=_run)


def webhook_options(settings: Settings) -> dict[str, Any]:
    """How the bot listens in webhook mode (``Application.run_webhook`` / ``Updater.start_webhook``):
    Telegram must send the secret token back in X-Telegram-Bot-Api-Secret-Token; PTB answers any
    request without it, or with another one, with 403 and never looks at its body."""
    from telegram import Update

    if settings.telegram_webhook_secret is None or not settings.telegram_webhook_secret.get_secret_value():
        raise ConfigError(
            "TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET (Telegram sends it back; "
            "requests without it are rejected)."
        )
    return {
        "listen": settings.telegram_webhook_listen,
        "port": settings.telegram_webhook_port,
        "url_path": WEBHOOK_PATH,
        "webhook_url": settings.telegram_webhook_url,
        "secret_token": settings.telegram_webhook_secret.get_secret_value(),
        "allowed_updates": Update.ALL_TYPES,
    }


def _run(args: argparse.Namespace) -> int:
    from telegram import Update

    from bot.app import build_bot
    from core.bootstrap import build_app
    from core.ops.health import Level, fatal, preflight, run_checks

    settings, config = settings_and_config(args)
    bad = fatal(preflight(settings))  # before logging and migrations, which would fail with a traceback
    if bad:
        print("niftybot: cannot start: " + "; ".join(f"{c.name}: {c.detail}" for c in bad), file=sys.stderr)
        return 1
    setup_logging(settings.log_dir, level=settings.log_level, secrets=settings.secret_values())
    app = build_app(settings, config)
    checks = run_checks(settings, config, None, app.engine, app.calendar, app.clock.now(), need_telegram=True)
    for c in checks:
        (log.error if c.level is Level.FATAL else log.warning if c.level is Level.WARN else log.info)(
            "start-up check %s: %s", c.name, c.detail
        )
    bad = fatal(checks)
    if bad:
        print("niftybot: cannot start: " + "; ".join(f"{c.name}: {c.detail}" for c in bad), file=sys.stderr)
        return 1
    application, _ = build_bot(app, freeze_heap=True)
    if settings.telegram_webhook_url:
        application.run_webhook(**webhook_options(settings))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
