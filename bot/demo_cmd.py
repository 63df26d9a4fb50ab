"""``niftybot demo``: the best end-to-end thing the project has, on embedded defaults.

Until the Telegram bot lands this shows the trading calendar, the config and the migrated database.
"""

from __future__ import annotations

import argparse

from core.cli.calendar_cmd import describe_day
from core.cli.common import add_config_arg, migrated_engine, settings_and_config
from core.clock import SystemClock
from core.persistence.db import current_revisions


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
    print(
        f"market data: {settings.market_data.value}; capital "
        f"{config.paper_trading.capital}; algorithms: "
        f"{', '.join(n for n, a in config.algorithms.items() if a.enabled)}"
    )
    print("\n".join(describe_day(SystemClock().now().date())))
    return 0
