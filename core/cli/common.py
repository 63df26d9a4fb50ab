"""Helpers shared by CLI commands: settings, config and database from the environment."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import Engine

from core.config.schema import NiftyConfig, load_config
from core.config.settings import Settings, load_settings
from core.persistence.db import make_engine, upgrade


def add_config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, default=None, help="trading config file (default NIFTYBOT_CONFIG)")


def settings_and_config(args: argparse.Namespace) -> tuple[Settings, NiftyConfig]:
    settings = load_settings()
    path = getattr(args, "config", None) or settings.niftybot_config
    return settings, load_config(path)


def migrated_engine(settings: Settings) -> Engine:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine
