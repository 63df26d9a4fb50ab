"""``niftybot config check [FILE]``: validate a trading config and show its warnings."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.config.schema import load_config
from core.config.settings import load_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("config", help="trading config")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    chk = csub.add_parser("check", help="validate a trading config file")
    chk.add_argument("file", nargs="?", type=Path, help="default: NIFTYBOT_CONFIG or built-ins")
    chk.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    path = args.file or load_settings().niftybot_config
    config = load_config(path)
    print(f"{path or 'built-in defaults'}: valid")
    for warning in config.cross_check():
        print(f"warning: {warning}")
    return 0
