"""Deployment settings from the environment and ``.env`` (pydantic-settings).

Secrets are ``SecretStr``: their repr is masked and they are registered with the log redaction filter.
Every outside endpoint is a setting so tests can point the real clients at loopback fakes.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.errors import ConfigError

IdList = Annotated[list[int], NoDecode]


class MarketDataSource(StrEnum):
    SIMULATED = "simulated"
    KITE = "kite"


class Settings(BaseSettings):
    """Everything that differs between deployments. Names are the environment variables."""

    # ``env_ignore_empty``: ``NAME=`` (as in .env.example, and as Compose passes unset variables) means
    # "use the default", not an empty token or an unparsable date.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_admin_ids: IdList = Field(default_factory=list)
    telegram_trader_ids: IdList = Field(default_factory=list)
    telegram_viewer_ids: IdList = Field(default_factory=list)
    telegram_chat_id: int | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    # Optional forum topics (message_thread_id) of TELEGRAM_CHAT_ID for each kind of push.
    telegram_topic_briefs: int | None = None
    telegram_topic_alerts: int | None = None
    telegram_topic_approvals: int | None = None

    kite_api_key: SecretStr | None = None
    kite_api_secret: SecretStr | None = None
    kite_access_token: SecretStr | None = None
    kite_api_root: str = "https://api.kite.trade"

    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str = "https://api.anthropic.com"

    database_url: str = "sqlite:///./data/niftybot.db"
    market_data: MarketDataSource = MarketDataSource.SIMULATED
    niftybot_config: Path | None = None
    log_dir: Path = Path("./data/logs")
    log_level: str = "INFO"
    metrics_port: int | None = None

    sim_start: datetime | None = None
    sim_speed: float = Field(default=1.0, gt=0)
    sim_seed: int = 7

    @field_validator("telegram_admin_ids", "telegram_trader_ids", "telegram_viewer_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator(
        "metrics_port",
        "telegram_chat_id",
        "telegram_topic_briefs",
        "telegram_topic_alerts",
        "telegram_topic_approvals",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    def secret_values(self) -> list[str]:
        """Every secret's plain value (for the log redaction filter), the database password included:
        driver and URL-parsing errors can quote the database URL."""
        out: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                out.append(value.get_secret_value())
        password = _url_password(self.database_url)
        if password:
            out.append(password)
        return out


def _url_password(url: str) -> str | None:
    """The password in a database URL, also when the URL does not parse as a whole."""
    from urllib.parse import unquote

    match = re.match(r"^[A-Za-z0-9+.-]+://[^:/@]*:([^@]*)@", url)
    return unquote(match.group(1)) if match and match.group(1) else None


def load_settings(**overrides: object) -> Settings:
    """Read settings; an invalid value becomes a one-paragraph ``ConfigError``."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"Invalid environment settings: {problems}.") from None
