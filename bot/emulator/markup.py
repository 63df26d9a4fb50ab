"""``reply_markup``: parsed the way the Bot API server parses it, with its error texts.

Inline keyboards get the checks that bite real bots: rows must be arrays of button objects, a button
needs ``text`` and exactly one action (a text-only button is refused), ``callback_data`` is 1-64 **bytes**
(UTF-8), a URL button needs an http(s)/tg URL. Every field is then checked against the spec's
``InlineKeyboardButton`` (types of ``web_app``, ``login_url``, ...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.emulator.envelope import ApiError, bad_request

if TYPE_CHECKING:
    from bot.emulator.validate import Upload, Validator

CALLBACK_DATA_MAX_BYTES = 64
_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def parse_reply_markup(
    value: Any, validator: Validator, files: Mapping[str, Upload]
) -> dict[str, Any] | None:
    """The markup as a dict (``None`` when empty), or ``ApiError`` with the server's description."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("Can't parse reply keyboard markup JSON object", kind="format") from None
    if not isinstance(value, dict):
        raise bad_request("Object expected as reply markup", kind="format")
    if "inline_keyboard" in value:
        rows = value["inline_keyboard"]
        _check_rows(rows, "inline_keyboard", "InlineKeyboardMarkup")
        checked = [[_inline_button(b, validator, files) for b in row] for row in rows]
        return {**value, "inline_keyboard": checked} if checked else None
    if "keyboard" in value:
        _check_rows(value["keyboard"], "keyboard", "ReplyKeyboardMarkup")
        return _generic(value, "ReplyKeyboardMarkup", validator, files)
    if "remove_keyboard" in value:
        return _generic(value, "ReplyKeyboardRemove", validator, files)
    if "force_reply" in value:
        return _generic(value, "ForceReply", validator, files)
    return None


def _check_rows(rows: Any, field: str, owner: str) -> None:
    if not isinstance(rows, list):
        raise bad_request(f'Field "{field}" of the {owner} must be an Array', kind="format")
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(f'Field "{field}" of the {owner} must be an Array of Arrays', kind="format")


def _button_error(message: str) -> ApiError:
    return bad_request(f"Can't parse inline keyboard button: {message}", kind="format")


def _inline_button(button: Any, validator: Validator, files: Mapping[str, Upload]) -> dict[str, Any]:
    from bot.emulator.validate import TypeProblem

    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise _button_error('Can\'t find field "text"')
    if not isinstance(button["text"], str | int | float) or isinstance(button["text"], bool):
        raise _button_error('Field "text" must be of type String')
    actions = [a for a in _ACTIONS if button.get(a) not in (None, "")]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if not str(button["text"]).strip():
        raise bad_request("BUTTON_TEXT_INVALID", kind="format")
    data = button.get("callback_data")
    if data is not None and data != "":
        if not isinstance(data, str):
            raise _button_error('Field "callback_data" must be of type String')
        if len(data.encode("utf-8")) > CALLBACK_DATA_MAX_BYTES:
            raise bad_request("BUTTON_DATA_INVALID", kind="format")
    url = button.get("url")
    if url:
        parts = urlsplit(str(url))
        if parts.scheme not in ("http", "https", "tg") or (parts.scheme != "tg" and not parts.hostname):
            raise bad_request("BUTTON_URL_INVALID", kind="format")
    try:
        checked = validator.coerce(button, ("InlineKeyboardButton",), "", files)
    except TypeProblem as exc:
        raise _button_error(str(exc)) from exc
    assert isinstance(checked, dict)
    return checked


def _generic(
    value: dict[str, Any], type_name: str, validator: Validator, files: Mapping[str, Upload]
) -> dict[str, Any]:
    from bot.emulator.validate import TypeProblem

    try:
        checked = validator.coerce(value, (type_name,), "reply_markup", files)
    except TypeProblem as exc:
        raise bad_request(str(exc), kind="format") from exc
    assert isinstance(checked, dict)
    return checked
