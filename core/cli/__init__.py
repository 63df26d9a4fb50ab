"""The ``niftybot`` command line: one module per command family, each with ``register(sub)``.

Front ends (``bot/cli.py``) add their own families on top of these.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from core.cli import (
    calendar_cmd,
    config_cmd,
    db_cmd,
    desk_cmd,
    doctor_cmd,
    login_cmd,
    replay_cmd,
    snapshot_cmd,
)
from core.errors import NiftyBaseError

CORE_FAMILIES: list[ModuleType] = [
    db_cmd,
    config_cmd,
    calendar_cmd,
    snapshot_cmd,
    desk_cmd,
    doctor_cmd,
    login_cmd,
    replay_cmd,
]

Handler = Callable[[argparse.Namespace], int]


def build_parser(families: Sequence[ModuleType] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="niftybot",
        description="niftybot: a Telegram desk for NIFTY options paper trading (never real orders).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for family in [*CORE_FAMILIES, *families]:
        family.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, families: Sequence[ModuleType] = ()) -> int:
    parser = build_parser(families)
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except NiftyBaseError as exc:
        print(f"niftybot: {exc.user_message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
