"""The algorithms the desk knows, by name (``algorithms.<name>`` in the trading config)."""

from __future__ import annotations

from core.config.schema import NiftyConfig
from core.errors import ConfigError
from core.strategies.atlas import Atlas
from core.strategies.base import Algorithm
from core.strategies.range_bound import RangeSeller
from core.strategies.trend import TrendFollower

KNOWN: dict[str, type[Atlas] | type[TrendFollower] | type[RangeSeller]] = {
    "atlas": Atlas,
    "trend": TrendFollower,
    "range": RangeSeller,
}


def build_algorithms(config: NiftyConfig, only: list[str] | None = None) -> list[Algorithm]:
    """Instances of the enabled algorithms (or of ``only``), in config order; unknown names are an error."""
    unknown = sorted(set(config.algorithms) - set(KNOWN))
    if unknown:
        raise ConfigError(
            f"unknown algorithm(s) in the trading config: {', '.join(unknown)}; known: {', '.join(KNOWN)}"
        )
    names = only if only is not None else [n for n, a in config.algorithms.items() if a.enabled]
    bad = sorted(set(names) - set(KNOWN))
    if bad:
        raise ConfigError(f"unknown algorithm(s): {', '.join(bad)}; known: {', '.join(KNOWN)}")
    return [KNOWN[n]() for n in names]
