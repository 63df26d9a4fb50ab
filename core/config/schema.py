"""The trading config (seed: ``core/config_schema.py``): pydantic models with built-in defaults.

Money is ``Decimal`` rupees; volatility is a decimal (0.15 = 15%); fractions are decimals (0.02 = 2%);
times of day are IST ``HH:MM``. ``load_config`` turns any problem into one ``ConfigError`` paragraph
that names the file, the field path and what is wrong.
"""

from __future__ import annotations

import logging
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from core.errors import ConfigError

log = logging.getLogger(__name__)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _time_of_day(value: object) -> object:
    """A time of day is a quoted ``'HH:MM'`` / ``'HH:MM:SS'`` string (or a ``time``), never a number.

    YAML 1.1 reads an unquoted ``13:00`` as the base-60 integer 780, which pydantic would otherwise
    take as 780 seconds after midnight in UTC (00:13:00+00:00): refuse it and say how to write it.
    """
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError("a time of day is IST and takes no time zone")
        return value
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a time of day like '09:30'") from None
        if parsed.tzinfo is not None:
            raise ValueError(f"{value!r}: a time of day is IST and takes no time zone")
        return parsed
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            "a time of day must be a quoted string like '09:30' (YAML reads an unquoted 13:00 as the "
            f"number {value!r})"
        )
    raise ValueError(f"a time of day must be a quoted string like '09:30', not {type(value).__name__}")


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]


class PaperTradingConfig(_Model):
    """The paper account and its risk limits."""

    capital: Decimal = Field(default=Decimal("1000000"), gt=0, description="starting capital, rupees")
    lot_size_source: Literal["contract", "fixed"] = "contract"
    fixed_lot_size: int = Field(default=65, gt=0, description="used when lot_size_source is fixed")
    slippage_ticks: int = Field(default=1, ge=0, description="ticks past mid toward the worse side")
    daily_loss_limit: Decimal = Field(
        default=Decimal("20000"), gt=0, description="realized + unrealized loss in a day that halts"
    )
    max_drawdown_pct: float = Field(default=0.08, gt=0, lt=1, description="from peak equity")
    reducing_at_fraction: float = Field(
        default=0.75, gt=0, lt=1, description="fraction of a limit at which the state is REDUCING"
    )
    max_open_positions: int = Field(default=3, ge=1)
    max_lots_per_trade: int = Field(default=10, ge=1)
    margin_utilisation_limit: float = Field(default=0.5, gt=0, le=1)
    approval_price_tolerance: float = Field(
        default=0.10, gt=0, description="refuse approval if net premium moved more than this fraction"
    )
    suggestion_ttl_minutes: int = Field(default=15, ge=1)
    expiry_day_entry_cutoff: TimeOfDay = time(13, 0)
    expiry_square_off: TimeOfDay = time(15, 15)
    archive_after_days: int = Field(default=90, ge=1)


class AlgorithmConfig(_Model):
    """One algorithm: whether it runs, its size and its parameters (validated by the algorithm)."""

    enabled: bool = True
    lots: int = Field(default=1, ge=1)
    params: dict[str, float | int | str | bool] = Field(default_factory=dict)


def _default_algorithms() -> dict[str, AlgorithmConfig]:
    return {
        "atlas": AlgorithmConfig(enabled=True, lots=1),
        "trend": AlgorithmConfig(enabled=True, lots=1),
        "range": AlgorithmConfig(enabled=True, lots=1),
    }


class OptionsDeskConfig(_Model):
    """What part of the chain to load and how often."""

    weekly_expiries: int = Field(default=2, ge=1, le=6)
    monthly_expiries: int = Field(default=1, ge=0, le=3)
    strike_window: int = Field(default=30, ge=5, le=100, description="strikes each side of ATM")
    strike_step: int = Field(default=50, gt=0)
    chain_refresh_seconds: int = Field(default=60, ge=5)
    scan_interval_minutes: int = Field(default=15, ge=1)
    entry_window_start: TimeOfDay = time(9, 30)
    entry_window_end: TimeOfDay = time(14, 30)


class SourceLimits(_Model):
    rate_per_second: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)
    timeout_seconds: float = Field(default=7.0, gt=0)
    max_retries: int = Field(default=3, ge=0)


def _default_limits() -> dict[str, SourceLimits]:
    return {
        "kite_quote": SourceLimits(rate_per_second=1.0),
        "kite_other": SourceLimits(rate_per_second=10.0, burst=10),
        "kite_historical": SourceLimits(rate_per_second=3.0, burst=3),
        # Yahoo throttles hard: one retry, then serve the cache (see core/marketdata/yahoo.py).
        "yahoo": SourceLimits(rate_per_second=5 / 60, burst=5, timeout_seconds=15.0, max_retries=1),
        # The Anthropic SDK retries 408/429/5xx itself (llm.max_retries); the guard must not retry again.
        "llm": SourceLimits(rate_per_second=1.0, timeout_seconds=30.0, max_retries=0),
        "simulator": SourceLimits(rate_per_second=1000.0, burst=1000),
    }


class BreakerConfig(_Model):
    failure_threshold: int = Field(default=5, ge=1)
    recovery_seconds: float = Field(default=60.0, gt=0)
    half_open_max_calls: int = Field(default=1, ge=1)


class StalenessConfig(_Model):
    """How old each part of a snapshot may be before it is stale (seconds)."""

    spot_seconds: int = Field(default=120, ge=1)
    chain_seconds: int = Field(default=180, ge=1)
    vix_seconds: int = Field(default=600, ge=1)
    candles_seconds: int = Field(default=300, ge=1)
    global_seconds: int = Field(default=24 * 3600, ge=1)
    vol_snapshot_business_days: int = Field(default=2, ge=0)


class EngineConfig(_Model):
    """Sources, rate limits, breakers, staleness and pricing inputs."""

    rate_limits: dict[str, SourceLimits] = Field(default_factory=_default_limits)
    breaker: BreakerConfig = BreakerConfig()
    staleness: StalenessConfig = StalenessConfig()
    risk_free_rate: float = Field(default=0.065, ge=0, lt=1, description="annual, continuous")
    dividend_yield: float = Field(default=0.012, ge=0, lt=1)
    snapshot_timeout_seconds: float = Field(default=20.0, gt=0)


class ScheduleConfig(_Model):
    """Job times (IST) for the bot's scheduler."""

    premarket_brief: TimeOfDay = time(8, 45)
    opening_snapshot: TimeOfDay = time(9, 20)
    eod_summary: TimeOfDay = time(15, 50)
    weekly_summary: TimeOfDay = time(16, 0)
    monitor_interval_seconds: int = Field(default=60, ge=5)
    misfire_grace_seconds: int = Field(default=600, ge=1)


class LlmConfig(_Model):
    model: str = "claude-sonnet-5-5"
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    max_output_tokens: int = Field(default=500, ge=16)
    daily_budget_usd: Decimal = Field(default=Decimal("2.00"), ge=0)
    max_reply_chars: int = Field(default=1200, ge=100)


class AlertsConfig(_Model):
    unusual_loss_fraction: float = Field(default=0.01, gt=0, lt=1, description="of capital, in a day")
    error_throttle_seconds: int = Field(default=60, ge=1)
    calendar_warning_from_month: int = Field(default=12, ge=1, le=12)


class RecordingConfig(_Model):
    """Snapshot recordings (live market data only) and replay records (see docs/replay.md)."""

    enabled: bool = True
    directory: Path = Path("./data/recordings")
    retention_days: int = Field(default=120, ge=1, description="recorded days kept, calendar days")
    replay_records: Path = Field(
        default=Path("./data/replays"), description="latest replay result per algorithm (JSON files)"
    )


class NiftyConfig(_Model):
    """The whole trading config."""

    paper_trading: PaperTradingConfig = PaperTradingConfig()
    algorithms: dict[str, AlgorithmConfig] = Field(default_factory=_default_algorithms)
    options_desk: OptionsDeskConfig = OptionsDeskConfig()
    engine: EngineConfig = EngineConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    llm: LlmConfig = LlmConfig()
    alerts: AlertsConfig = AlertsConfig()
    recording: RecordingConfig = RecordingConfig()

    @field_validator("algorithms", mode="before")
    @classmethod
    def _merge_default_algorithms(cls, value: object) -> object:
        """A file that configures one algorithm keeps the others at their defaults (disable one with
        ``enabled: false``), so adding a section never silently switches the rest off."""
        if isinstance(value, dict):
            return {**_default_algorithms(), **value}
        return value

    @field_validator("algorithms")
    @classmethod
    def _known_algorithms(cls, value: dict[str, AlgorithmConfig]) -> dict[str, AlgorithmConfig]:
        for name in value:
            if not name.isidentifier():
                raise ValueError(f"algorithm name {name!r} is not a simple identifier")
        return value

    @model_validator(mode="after")
    def _entry_window(self) -> NiftyConfig:
        desk = self.options_desk
        if desk.entry_window_start >= desk.entry_window_end:
            raise ValueError("options_desk.entry_window_start must be before entry_window_end")
        return self

    def cross_check(self) -> list[str]:
        """Warnings for combinations that are legal but probably not meant."""
        warnings: list[str] = []
        pt = self.paper_trading
        for name, algo in self.algorithms.items():
            if algo.lots > pt.max_lots_per_trade:
                warnings.append(
                    f"algorithms.{name}.lots={algo.lots} exceeds "
                    f"paper_trading.max_lots_per_trade={pt.max_lots_per_trade}; trades will be refused"
                )
        if pt.daily_loss_limit > pt.capital * Decimal(str(pt.max_drawdown_pct)):
            warnings.append(
                "paper_trading.daily_loss_limit is larger than the drawdown limit in rupees; "
                "the drawdown breaker will trip first"
            )
        if not any(a.enabled for a in self.algorithms.values()):
            warnings.append("no algorithm is enabled; the bot will never suggest a trade")
        return warnings


def _loc_part(part: object) -> str:
    """A field path element as written, quoted when it would not read as one plain word (a key with a
    newline or a space must not break the one-paragraph message)."""
    text = str(part)
    return text if text and text.isprintable() and not any(c.isspace() for c in text) else repr(text)


def _format_errors(path: Path | str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(_loc_part(p) for p in err["loc"]) or "(top level)"
        value = err.get("input")
        shown = "" if isinstance(value, (dict, list)) else f" (got {value!r})"
        parts.append(f"{loc}: {err['msg']}{shown}")
    return f"Invalid trading config {path}: " + "; ".join(parts) + "."


def parse_config(data: dict[str, Any] | None, *, source: str = "<memory>") -> NiftyConfig:
    try:
        config = NiftyConfig.model_validate(data or {})
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, exc)) from None
    for warning in config.cross_check():
        log.warning("config %s: %s", source, warning)
    return config


def load_config(path: Path | None) -> NiftyConfig:
    """Load and validate ``path`` (YAML); ``None`` gives the built-in defaults."""
    if path is None:
        return parse_config({}, source="built-in defaults")
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read trading config {path}: {exc.strerror}.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        if isinstance(exc, yaml.reader.ReaderError):  # a control character: its own message spans lines
            where = f" at character {exc.position + 1}"
            problem = f"character {exc.character!r} is not allowed"
        else:
            problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise ConfigError(f"Trading config {path} is not valid YAML{where}: {problem}.") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"Trading config {path} must be a mapping of sections, not {type(data).__name__}.")
    return parse_config(data, source=str(path))
