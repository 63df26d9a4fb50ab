"""Dated Claude prices (``core/data/llm_prices.yaml``) and the cost of one call in US dollars.

Prices are USD per million tokens. The API reports ``input_tokens`` without the cached part, so a
call's cost is::

    (input × input_price + output × output_price + cache_write_5m × write_5m_price
     + cache_write_1h × write_1h_price + cache_read × read_price) / 1,000,000

rounded half-up to 0.000001 USD (the precision stored). Cache writes without a TTL breakdown are
priced at the 5-minute rate (the TTL our ``cache_control`` asks for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from core.domain.money import to_decimal
from core.errors import ConfigError

MICRO_USD = Decimal("0.000001")
PER = Decimal(1_000_000)

Usd = Annotated[Decimal, BeforeValidator(to_decimal), Field(ge=0)]


class ModelPrice(BaseModel):
    """One dated row of the price table: USD per million tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    effective_from: date = Field(alias="from")
    input: Usd
    output: Usd
    cache_write_5m: Usd
    cache_write_1h: Usd
    cache_read: Usd


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one call as the API reports them (``input`` excludes cache reads and writes)."""

    input: int = 0
    output: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h


def cost_usd(usage: TokenUsage, price: ModelPrice) -> Decimal:
    """The call's cost in USD, rounded half-up to 0.000001 (see the module docstring)."""
    total = (
        usage.input * price.input
        + usage.output * price.output
        + usage.cache_write_5m * price.cache_write_5m
        + usage.cache_write_1h * price.cache_write_1h
        + usage.cache_read * price.cache_read
    )
    return (total / PER).quantize(MICRO_USD, rounding=ROUND_HALF_UP)


class PriceTable:
    """Per model, the rows sorted by date; ``price(model, day)`` is the row in force on ``day``."""

    def __init__(self, rows: dict[str, list[ModelPrice]]) -> None:
        self._rows = {m: sorted(r, key=lambda p: p.effective_from) for m, r in rows.items()}

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(sorted(self._rows))

    def price(self, model: str, day: date) -> ModelPrice | None:
        """The price in force on ``day`` (IST), or None when the model or the date is not covered."""
        current = None
        for row in self._rows.get(model, []):
            if row.effective_from <= day:
                current = row
        return current

    @classmethod
    def parse(cls, data: object, *, source: str = "<memory>") -> PriceTable:
        if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
            raise ConfigError(f"Price table {source} must have a 'models' mapping.")
        rows: dict[str, list[ModelPrice]] = {}
        for model, entries in data["models"].items():
            if not isinstance(entries, list) or not entries:
                raise ConfigError(f"Price table {source}: {model} needs a list of dated rows.")
            try:
                rows[str(model)] = [ModelPrice.model_validate(e) for e in entries]
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                raise ConfigError(f"Price table {source}: {model}: {problems}.") from None
        return cls(rows)

    @classmethod
    def load(cls, path: Path | None = None) -> PriceTable:
        """The table at ``path``, or the packaged ``core/data/llm_prices.yaml``."""
        if path is None:
            text = resources.files("core.data").joinpath("llm_prices.yaml").read_text("utf-8")
            source = "core/data/llm_prices.yaml"
        else:
            text, source = Path(path).read_text("utf-8"), str(path)
        return cls.parse(yaml.safe_load(text), source=source)
