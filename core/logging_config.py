"""Logging (seed: ``core/logging_config.py``): JSON files, a console, and secret redaction.

Files under ``LOG_DIR``, each rotating at 10 MB with 5 backups:
``app.log`` (everything), ``trades.log`` (loggers under ``niftybot.trades``), ``errors.log`` (WARNING+).
A :class:`RedactionFilter` on every handler masks registered secrets and token-shaped strings, so a bot
token, Kite secret or API key never reaches a log line.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from pythonjsonlogger.json import JsonFormatter

TRADES_LOGGER = "niftybot.trades"
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
MASK = "***"

# Shapes of secrets we may not have been told about: Telegram bot tokens and Anthropic keys.
_PATTERNS = [
    re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b"),
    re.compile(r"sk-ant-[A-Za-z0-9_-]{8,}"),
    re.compile(r"(?i)(access_token|api_secret|api_key|request_token)=([^&\s\"']+)"),
]


class RedactionFilter(logging.Filter):
    """Replaces secrets in the message, its arguments and any exception text."""

    _secrets: ClassVar[set[str]] = set()
    _lock = threading.Lock()

    @classmethod
    def register(cls, secrets: Iterable[str]) -> None:
        with cls._lock:
            cls._secrets.update(s for s in secrets if s and len(s) >= 4)

    @classmethod
    def redact(cls, text: str) -> str:
        with cls._lock:
            secrets = sorted(cls._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            if pattern.groups == 2:
                text = pattern.sub(lambda m: f"{m.group(1)}={MASK}", text)
            else:
                text = pattern.sub(MASK, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(formatted)
            record.exc_info = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class _TradesOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.name == TRADES_LOGGER or record.name.startswith(TRADES_LOGGER + ".")


def _json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
    )


def setup_logging(
    log_dir: Path | None,
    *,
    level: str = "INFO",
    secrets: Iterable[str] = (),
    console: bool = True,
) -> None:
    """Configure the root logger once (idempotent: old handlers we added are replaced)."""
    RedactionFilter.register(secrets)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_niftybot", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level.upper())
    redactor = RedactionFilter()
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        for name, lvl, extra in (
            ("app.log", logging.DEBUG, None),
            ("trades.log", logging.DEBUG, _TradesOnly()),
            ("errors.log", logging.WARNING, None),
        ):
            fh = logging.handlers.RotatingFileHandler(
                log_dir / name, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
            )
            fh.setLevel(lvl)
            fh.setFormatter(_json_formatter())
            if extra is not None:
                fh.addFilter(extra)
            handlers.append(fh)
    if console:
        ch = logging.StreamHandler()
        ch.setLevel(level.upper())
        ch.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
        handlers.append(ch)
    for handler in handlers:
        handler.addFilter(redactor)
        handler._niftybot = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # Chatty libraries log request URLs that contain the bot token; keep them at WARNING.
    for noisy in ("httpx", "httpcore", "urllib3", "telegram.ext.ExtBot", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # PTB's Application logs every incoming update at DEBUG, with the user's text: a Kite request token
    # pasted bare after /login matches no redaction pattern and would reach the log. INFO at most.
    logging.getLogger("telegram.ext.Application").setLevel(max(logging.INFO, root.level))
