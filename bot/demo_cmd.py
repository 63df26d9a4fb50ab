"""``niftybot demo``: the best end-to-end thing the project has, on embedded defaults.

Until the Telegram bot lands (issue 6) this migrates the database and prints a full market snapshot from
the built-in simulator at a pinned moment (``SIM_START``, default Wed 25 Nov 2026 11:00 IST), so it runs
the same anywhere, any day, with no credentials.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from core.cli.common import add_config_arg, migrated_engine, settings_and_config
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.render import snapshot_text
from core.marketdata.simulator import SimulatedMarket
from core.persistence.db import current_revisions

DEFAULT_MOMENT = datetime.fromisoformat("2026-11-25T11:00:00+05:30")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run the offline demo (no credentials needed)")
    add_config_arg(p)
    p.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    settings, config = settings_and_config(args)
    engine = migrated_engine(settings)
    print(
        f"database: {engine.url.render_as_string(hide_password=True)} "
        f"at revision {','.join(sorted(current_revisions(engine)))}"
    )
    enabled = ", ".join(n for n, a in config.algorithms.items() if a.enabled)
    print(
        f"market data: built-in simulator (seed {settings.sim_seed}); "
        f"capital {config.paper_trading.capital}; algorithms: {enabled}"
    )
    calendar = default_calendar()
    market = SimulatedMarket(calendar, seed=settings.sim_seed)
    moment = settings.sim_start or DEFAULT_MOMENT
    snapshot = asyncio.run(SnapshotEngine(market, calendar, config, iv_history=market).build(moment))
    print(snapshot_text(snapshot))
    return 0
