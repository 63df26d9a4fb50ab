"""``niftybot demo``: the real bot, offline, in the terminal.

It starts the local Telegram Bot API emulator, builds the real PTB Application and the whole desk on
SQLite (``./data/demo.db``, fresh each run unless ``--keep``) with the built-in market simulator on a fast
clock (default 60×: a trading day in about 6.5 minutes), and opens a terminal chat: type commands, see
the replies and pushes, press buttons by number. No credentials are needed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from core.cli.common import add_config_arg, settings_and_config
from core.clock import IST, ScaledClock
from core.config.schema import NiftyConfig
from core.config.settings import MarketDataSource
from core.errors import CalendarCoverageError
from core.market_hours import NSECalendar, default_calendar

DEMO_USER = 424242
DEMO_DB = Path("data/demo.db")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run the bot offline in the terminal (no credentials needed)")
    add_config_arg(p)
    p.add_argument("--speed", type=float, default=None, help="simulated seconds per real second (default 60)")
    p.add_argument(
        "--start", type=datetime.fromisoformat, default=None, help="simulated start (ISO with offset)"
    )
    p.add_argument("--keep", action="store_true", help="keep the demo database from the last run")
    p.add_argument("--out", type=Path, default=Path("demo-output"), help="where charts are saved")
    p.set_defaults(handler=_demo)


def demo_start(calendar: NSECalendar, today: date) -> datetime:
    """08:44 IST on the first trading day from ``today`` the calendar covers (the brief is at 08:45)."""
    day = today
    try:
        while not calendar.is_trading_day(day):
            day += timedelta(days=1)
    except CalendarCoverageError:
        day = max(
            d
            for d in calendar.trading_days_between(
                date(max(calendar.years), 1, 1), date(max(calendar.years), 12, 31)
            )
        )
    return datetime.combine(day, time(8, 44), IST)


def demo_config(config: NiftyConfig) -> NiftyConfig:
    """Suggestions live 2 simulated hours (2 minutes at 60×) so a person has time to read and decide."""
    pt = config.paper_trading.model_copy(
        update={"suggestion_ttl_minutes": max(config.paper_trading.suggestion_ttl_minutes, 120)}
    )
    return config.model_copy(update={"paper_trading": pt})


def _demo(args: argparse.Namespace) -> int:
    settings, config = settings_and_config(args)
    calendar = default_calendar()
    start = args.start or settings.sim_start or demo_start(calendar, datetime.now(IST).date())
    speed = args.speed or (settings.sim_speed if settings.sim_speed != 1.0 else 60.0)
    db = DEMO_DB
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    demo_settings = settings.model_copy(
        update={
            "database_url": f"sqlite:///{db}",
            "market_data": MarketDataSource.SIMULATED,
            "telegram_admin_ids": [DEMO_USER],
            "telegram_trader_ids": [DEMO_USER],
            "telegram_chat_id": DEMO_USER,
            "telegram_bot_token": None,
            "anthropic_api_key": None,
        }
    )
    print(
        f"niftybot demo: simulated NIFTY market from {start:%a %d %b %Y %H:%M} IST at {speed:g}x, "
        f"database {db}, charts in {args.out}/.\n"
        "Type /help for commands; numbers press buttons; 'quit' ends. The brief comes at 08:45, the "
        "market opens at 09:15 and suggestions arrive from 09:30 (simulated time).\n",
        flush=True,
    )
    return asyncio.run(
        run_demo(
            demo_settings,
            demo_config(config),
            start,
            speed,
            lines=sys.stdin,
            out=sys.stdout,
            files_dir=args.out,
            freeze_heap=True,
        )
    )


async def run_demo(
    settings: Any,
    config: NiftyConfig,
    start: datetime,
    speed: float,
    *,
    lines: Any,
    out: Any,
    files_dir: Path,
    reply_timeout: float = 10.0,
    freeze_heap: bool = False,
) -> int:
    from bot.app import build_bot
    from bot.terminal_chat import chat_session
    from core.bootstrap import build_app
    from core.logging_config import setup_logging

    setup_logging(settings.log_dir, level="WARNING", console=False)
    clock = ScaledClock(start, speed)
    app = build_app(settings, config, clock=clock)

    def build(token: str, base_url: str, base_file_url: str) -> Any:
        app.settings = settings.model_copy(
            update={"telegram_api_base_url": base_url, "telegram_bot_token": SecretStr(token)}
        )
        application, _ = build_bot(app, token=token, freeze_heap=freeze_heap)
        return application

    await chat_session(
        build,
        lines=lines,
        out=out,
        chat_id=DEMO_USER,
        user_id=DEMO_USER,
        first_name="Trader",
        files_dir=files_dir,
        reply_timeout=reply_timeout,
    )
    return 0
