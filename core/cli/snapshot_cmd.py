"""``niftybot snapshot [--json] [--at ISO]``: the current market snapshot with each part's freshness."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from core.cli.common import add_config_arg, migrated_engine, settings_and_config
from core.errors import ConfigError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("snapshot", help="print the current market snapshot (from MARKET_DATA)")
    add_config_arg(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--at", type=datetime.fromisoformat, help="moment to snapshot (ISO 8601 with offset)")
    p.set_defaults(handler=_snapshot)


def _snapshot(args: argparse.Namespace) -> int:
    from core.market_hours import default_calendar
    from core.marketdata.engine import SnapshotEngine
    from core.marketdata.factory import build_clock, build_source
    from core.marketdata.render import snapshot_json, snapshot_text
    from core.resilience import GuardRegistry

    settings, config = settings_and_config(args)
    calendar = default_calendar()
    now = args.at or build_clock(settings).now()
    if now.tzinfo is None:
        raise ConfigError("--at needs a UTC offset, e.g. 2026-11-25T11:00:00+05:30")
    db = migrated_engine(settings) if settings.market_data.value == "kite" else None
    source, iv_history = build_source(
        settings, calendar, registry=GuardRegistry(config.engine), engine=db, now=now
    )
    engine = SnapshotEngine(source, calendar, config, iv_history=iv_history)
    snap = asyncio.run(engine.build(now))
    print(snapshot_json(snap) if args.json else snapshot_text(snap))
    return 0
