"""Typed errors (seed: ``core/error_types.py``).

Every error carries a message fit to show a trader verbatim; details for logs go in ``context``.

    NiftyBaseError
    ├── ConfigError              a setting or the trading config is invalid
    ├── DataFetchError           a source could not be reached or answered badly
    │   ├── RateLimitedError     the source said 429 / too many requests (transient)
    │   └── SourceUnavailableError  the source's circuit breaker is open
    ├── DataValidationError      data arrived but failed validation (NaN, crossed, stale ...)
    ├── AuthenticationError      credentials missing or expired (e.g. the daily Kite token)
    ├── TradingBlockedError      a gate refused a trade; ``reasons`` lists why
    ├── CalendarCoverageError    no NSE holiday list for the year asked about (fail closed)
    └── StateError               a stored state or import file is broken or inconsistent
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class NiftyBaseError(Exception):
    """Base of every project error; ``str(err)`` is safe to show a user."""

    user_message: str

    def __init__(self, message: str, *, context: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.user_message = message
        self.context: dict[str, Any] = dict(context or {})


class ConfigError(NiftyBaseError):
    """The trading config or a deployment setting is invalid."""


class DataFetchError(NiftyBaseError):
    """A market-data source failed; ``source`` names it."""

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        transient: bool = True,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, context=context)
        self.source = source
        self.transient = transient


class RateLimitedError(DataFetchError):
    """The source answered 429; ``retry_after`` seconds when it said."""

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        retry_after: float | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, source=source, transient=True, context=context)
        self.retry_after = retry_after


class SourceUnavailableError(DataFetchError):
    """The source's circuit breaker is open; calls are refused without trying."""


class DataValidationError(NiftyBaseError):
    """Data failed validation; ``errors`` lists each problem."""

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[str] = (),
        context: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, context=context)
        self.errors = list(errors)


class AuthenticationError(NiftyBaseError):
    """Credentials are missing, wrong or expired."""

    def __init__(self, message: str, *, source: str = "", context: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, context=context)
        self.source = source


class TradingBlockedError(NiftyBaseError):
    """Trading is not allowed now; ``reasons`` says why, one line each."""

    def __init__(
        self,
        message: str,
        *,
        reasons: Sequence[str] = (),
        context: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, context=context)
        self.reasons = list(reasons)


class CalendarCoverageError(NiftyBaseError):
    """The NSE calendar has no holiday list for the year asked about."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"The NSE holiday list for {year} is not loaded; trading days in {year} are unknown. "
            "Add the year to core/data/nse_calendar.yaml.",
            context={"year": year},
        )
        self.year = year


class StateError(NiftyBaseError):
    """A stored state or an import file is broken or inconsistent."""
