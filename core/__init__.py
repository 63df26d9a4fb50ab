"""niftybot core: the pure trading core and its adapters (no Telegram here)."""

__version__ = "0.1.0"
