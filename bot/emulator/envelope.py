"""Telegram's answer envelope and the typed error every emulator method raises.

Success: ``{"ok": true, "result": ...}`` with HTTP 200. Failure: HTTP status = ``error_code`` and
``{"ok": false, "error_code": 400, "description": "Bad Request: ..."}``; a flood wait adds
``"parameters": {"retry_after": N}`` (seconds), which PTB turns into ``telegram.error.RetryAfter``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web


class ApiError(Exception):
    """An error answer; ``description`` is the full text Telegram would send (with its prefix)."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        kind: str = "state",
        strict_only: bool = False,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.kind = kind
        self.strict_only = strict_only

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status)


def bad_request(message: str, *, kind: str = "spec", strict_only: bool = False) -> ApiError:
    """A 400 whose text follows the Bot API server: ``Bad Request: `` + message, first letter lowered.

    Like the server, an all-caps error code such as ``BUTTON_DATA_INVALID`` keeps its case.
    ``kind`` says why: ``spec`` (malformed request), ``format`` (text, entities, markup, limits),
    ``state`` (the request is well formed but the conversation does not allow it). ``strict_only``
    marks a refusal the emulator makes on Telegram's documented rules where the live server is lenient.
    """
    if len(message) >= 2 and (message[1] == "_" or message[1].isupper()):
        text = message
    else:
        text = message[:1].lower() + message[1:]
    return ApiError(400, f"Bad Request: {text}", kind=kind, strict_only=strict_only)


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after, kind="fault"
    )


def server_error(status: int) -> ApiError:
    text = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(
        status, "Internal Server Error"
    )
    return ApiError(status, text, kind="fault")


def not_found() -> ApiError:
    return ApiError(404, "Not Found", kind="spec")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", kind="spec")


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})
