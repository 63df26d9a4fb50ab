"""Typed access to an algorithm's ``params`` from the trading config, with defaults and clear errors."""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import ConfigError


class Params:
    def __init__(
        self,
        algorithm: str,
        defaults: Mapping[str, float | int],
        given: Mapping[str, float | int | str | bool],
    ) -> None:
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise ConfigError(
                f"algorithms.{algorithm}.params: unknown parameter(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(defaults))}"
            )
        self.algorithm = algorithm
        self._values: dict[str, float | int] = dict(defaults)
        for key, value in given.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"algorithms.{algorithm}.params.{key} must be a number, not {value!r}")
            self._values[key] = value

    def num(self, key: str) -> float:
        return float(self._values[key])

    def whole(self, key: str) -> int:
        return int(self._values[key])

    def as_dict(self) -> dict[str, float | int | str]:
        return {k: v for k, v in self._values.items()}
