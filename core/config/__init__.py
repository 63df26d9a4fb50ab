"""Deployment settings (environment) and the trading config (a YAML file)."""

from core.config.schema import NiftyConfig, load_config
from core.config.settings import Settings, load_settings

__all__ = ["NiftyConfig", "Settings", "load_config", "load_settings"]
