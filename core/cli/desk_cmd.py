"""``niftybot scan``, ``niftybot state export|import FILE`` and ``niftybot archive``."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from core.cli.common import add_config_arg, settings_and_config


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = sub.add_parser("scan", help="run the algorithms on the current snapshot and print the suggestions")
    add_config_arg(scan)
    scan.add_argument(
        "--store", action="store_true", help="store the suggestions as pending (default: dry run)"
    )
    scan.set_defaults(handler=_scan)

    state = sub.add_parser("state", help="export or import the whole paper state (JSON)")
    ssub = state.add_subparsers(dest="state_command", metavar="ACTION", required=True)
    exp = ssub.add_parser("export", help="write the paper state to FILE (atomic, keeps 3 backups)")
    exp.add_argument("file", type=Path)
    add_config_arg(exp)
    exp.set_defaults(handler=_export)
    imp = ssub.add_parser("import", help="replace the paper state with FILE (validated first)")
    imp.add_argument("file", type=Path)
    add_config_arg(imp)
    imp.set_defaults(handler=_import)

    arc = sub.add_parser("archive", help="move closed trades older than N days out of the live tables")
    arc.add_argument("--days", type=int, default=None, help="default: paper_trading.archive_after_days")
    add_config_arg(arc)
    arc.set_defaults(handler=_archive)


def _scan(args: argparse.Namespace) -> int:
    from core.bootstrap import build_app
    from core.cli.render import scan_text

    settings, config = settings_and_config(args)
    app = build_app(settings, config)
    report = asyncio.run(app.desk.scan() if args.store else app.desk.dry_scan())
    print(scan_text(report, stored=args.store))
    return 0


def _export(args: argparse.Namespace) -> int:
    from core.bootstrap import build_app
    from core.paper.state_io import export_state

    settings, config = settings_and_config(args)
    app = build_app(settings, config)
    counts = export_state(app.factory, str(config.paper_trading.capital), args.file, app.clock.now())
    print(
        f"exported {counts['positions']} positions, {counts['suggestions']} suggestions, "
        f"{counts['equity']} equity points to {args.file}"
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from core.bootstrap import build_app
    from core.paper.state_io import import_state, load_state_file

    settings, config = settings_and_config(args)
    state = load_state_file(args.file)  # validated before the database is touched
    app = build_app(settings, config)
    counts = import_state(app.factory, state, app.clock.now())
    print(
        f"imported {counts['positions']} positions, {counts['suggestions']} suggestions, "
        f"{counts['equity']} equity points from {args.file}"
    )
    return 0


def _archive(args: argparse.Namespace) -> int:
    from core.bootstrap import build_app

    settings, config = settings_and_config(args)
    app = build_app(settings, config)
    moved, deleted = app.desk.archive(args.days)
    print(f"archived {moved} closed trades; removed {deleted} old suggestions")
    return 0
