"""How Kite failures become typed errors (seed: ``_check_token_error()`` in ``core/nse_fetcher.py``).

``kiteconnect`` picks the exception class from the body's ``error_type``, not from the HTTP status
(``.code`` holds the status), and lets ``requests`` exceptions through unwrapped. Its own parse failures
(JSON that does not parse, an unknown Content-Type) arrive as ``DataException`` with the default code
502 whatever the real status was, so :class:`KiteCaller` records the real status of each response.

==========================================  ==========================================================
what the client raised                      typed error
==========================================  ==========================================================
``TokenException``                          ``AuthenticationError`` (daily session expired: /login)
any Kite exception with status 429          ``RateLimitedError`` (transient)
``NetworkException``                        transient ``DataFetchError``
``Data``/``General``/other, status >= 500   transient ``DataFetchError`` (a 502 HTML page included)
``Input``/``Permission``/other 4xx          non-transient ``DataFetchError``
body that does not parse, missing fields    non-transient ``DataFetchError`` naming what was wrong
``requests`` Timeout / ConnectionError      transient ``DataFetchError``
==========================================  ==========================================================

Messages never carry the api_key or the access token: every message is scrubbed of both.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from kiteconnect import exceptions as kex
from pydantic import ValidationError

from core.errors import AuthenticationError, DataFetchError, NiftyBaseError, RateLimitedError

SOURCE = "kite"
T = TypeVar("T")

LOGIN_HINT = "The daily Kite session has expired or is invalid; log in again with /login."
_CLIENT_PARSE_FAILURES = ("Couldn't parse the JSON response", "Unknown Content-Type")
_MALFORMED = (ValueError, KeyError, TypeError, IndexError, AttributeError, csv.Error, UnboundLocalError)
_MAX_DETAIL = 160


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` without any of ``secrets`` (short strings are left alone: they are not secrets)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _detail(exc: BaseException, secrets: tuple[str, ...]) -> str:
    text = " ".join(str(exc).split())
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1] + "…"
    return scrub(text, secrets)


def malformed(what: str, problem: str) -> DataFetchError:
    """The non-transient error for a Kite answer that arrived but does not have the expected shape."""
    return DataFetchError(f"Kite sent a malformed {what}: {problem}", source=SOURCE, transient=False)


def _check_token_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> AuthenticationError | None:
    """The trader-facing ``AuthenticationError`` if ``exc`` says the Kite session is dead, else None."""
    if isinstance(exc, kex.TokenException):
        return AuthenticationError(
            f"{LOGIN_HINT} (Kite said: {_detail(exc, secrets)})",
            source=SOURCE,
            context={"status": getattr(exc, "code", None)},
        )
    return None


def map_kite_error(
    exc: BaseException, what: str, *, status: int | None = None, secrets: tuple[str, ...] = ()
) -> NiftyBaseError:
    """The typed error for ``exc`` raised while Kite answered ``what``; ``status`` is the real HTTP status."""
    if isinstance(exc, NiftyBaseError):
        return exc
    token = _check_token_error(exc, secrets)
    if token is not None:
        return token
    detail = _detail(exc, secrets)
    if isinstance(exc, kex.KiteException):
        code = status if status is not None else exc.code
        ctx = {"status": code, "error_type": type(exc).__name__}
        if code == 429:
            return RateLimitedError(f"Kite is rate limiting {what} (429).", source=SOURCE, context=ctx)
        if code is not None and code >= 500:
            return DataFetchError(
                f"Kite failed on {what} (HTTP {code}): {detail}", source=SOURCE, transient=True, context=ctx
            )
        if isinstance(exc, kex.DataException) and str(exc).startswith(_CLIENT_PARSE_FAILURES):
            return malformed(what, detail)
        if isinstance(exc, kex.NetworkException):
            return DataFetchError(
                f"Kite had a network problem on {what}: {detail}", source=SOURCE, transient=True, context=ctx
            )
        return DataFetchError(
            f"Kite refused {what} ({type(exc).__name__}, HTTP {code}): {detail}",
            source=SOURCE,
            transient=False,
            context=ctx,
        )
    if isinstance(exc, requests.Timeout):
        return DataFetchError(f"Kite did not answer {what} in time.", source=SOURCE, transient=True)
    if isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return DataFetchError(
            f"Kite could not be reached for {what} ({type(exc).__name__}).", source=SOURCE, transient=True
        )
    if isinstance(exc, requests.RequestException):
        return DataFetchError(
            f"Kite request for {what} failed: {type(exc).__name__}", source=SOURCE, transient=False
        )
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return malformed(what, f"{where}: {first['msg']} ({exc.error_count()} problem(s))")
    if isinstance(exc, _MALFORMED):
        return malformed(what, f"{type(exc).__name__}: {detail}")
    return DataFetchError(
        f"Kite failed on {what}: {type(exc).__name__}: {detail}", source=SOURCE, transient=False
    )


class KiteCaller:
    """Runs a synchronous client call, remembering the real HTTP status of the response it got.

    ``install`` adds a response hook to the client's ``requests`` session; the status is kept per
    thread because calls run in worker threads (``asyncio.to_thread``).
    """

    def __init__(self, secrets: Callable[[], tuple[str, ...]]) -> None:
        self._local = threading.local()
        self._secrets = secrets

    def install(self, session: requests.Session) -> None:
        session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self._local.status = response.status_code
        return response

    def run(self, fn: Callable[[], T], what: str) -> T:
        """``fn()`` with any failure turned into the typed error (call it in a worker thread)."""
        self._local.status = None
        try:
            return fn()
        except Exception as exc:
            raise map_kite_error(
                exc, what, status=getattr(self._local, "status", None), secrets=self._secrets()
            ) from exc
