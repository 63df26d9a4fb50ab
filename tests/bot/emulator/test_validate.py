"""Parameter checking against the spec: conversions the Bot API server makes and refusals it gives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.emulator.envelope import ApiError
from bot.emulator.spec import load_spec
from bot.emulator.validate import TypeProblem, Upload, Validator

SPEC = load_spec()
CHECK = Validator(SPEC)


def params(method: str, raw: dict[str, Any], files: dict[str, Upload] | None = None) -> dict[str, Any]:
    spec = SPEC.method(method)
    assert spec is not None
    return CHECK.params(spec, raw, files or {})


def refusal(method: str, raw: dict[str, Any]) -> str:
    with pytest.raises(ApiError) as caught:
        params(method, raw)
    assert caught.value.status == 400
    return caught.value.description


def test_form_strings_become_typed_values() -> None:
    got = params(
        "sendMessage",
        {
            "chat_id": "-1001",
            "text": "x",
            "disable_notification": "TRUE",
            "message_thread_id": "7",
            "protect_content": "0",
        },
    )
    assert got == {
        "chat_id": -1001,
        "text": "x",
        "disable_notification": True,
        "message_thread_id": 7,
        "protect_content": False,
    }


def test_a_username_is_a_valid_chat_id_and_numbers_are_valid_strings() -> None:
    assert params("sendMessage", {"chat_id": "@nifty_desk", "text": 12345})["text"] == "12345"


def test_empty_parameters_count_as_missing() -> None:
    assert refusal("sendMessage", {"chat_id": "", "text": "x"}) == "Bad Request: chat_id is empty"
    assert refusal("answerCallbackQuery", {}) == 'Bad Request: parameter "callback_query_id" is required'


@pytest.mark.parametrize(
    ("raw", "description"),
    [
        ({"message_id": "1.5"}, 'Bad Request: field "message_id" must be of type Integer'),
        ({"message_id": True}, 'Bad Request: field "message_id" must be of type Integer'),
        (
            {"message_id": 1, "disable_notification": "perhaps"},
            'Bad Request: field "disable_notification" must be of type Boolean',
        ),
        ({"message_id": 1, "reply_parameters": "{"}, "Bad Request: can't parse reply parameters JSON object"),
        (
            {"message_id": 1, "reply_parameters": {}},
            'Bad Request: can\'t find field "message_id" in ReplyParameters "reply_parameters"',
        ),
        (
            {"message_id": 1, "reply_parameters": {"message_id": "x"}},
            'Bad Request: field "reply_parameters.message_id" must be of type Integer',
        ),
    ],
)
def test_wrong_types_are_refused_with_the_field_named(raw: dict[str, Any], description: str) -> None:
    assert refusal("copyMessage", {"chat_id": 1, "from_chat_id": 2, **raw}) == description


def test_objects_sent_as_json_text_are_decoded_and_checked_deeply() -> None:
    scope = json.dumps({"type": "chat", "chat_id": "42"})
    got = params(
        "setMyCommands", {"commands": json.dumps([{"command": "start", "description": "go"}]), "scope": scope}
    )
    assert got["scope"] == {"type": "chat", "chat_id": 42}  # the union member BotCommandScopeChat was chosen
    admins = params(
        "setMyCommands", {"commands": "[]", "scope": {"type": "chat_administrators", "chat_id": "@desk"}}
    )
    assert admins["scope"]["chat_id"] == "@desk"
    assert got["commands"] == [{"command": "start", "description": "go"}]


def test_a_union_member_must_match_one_of_its_types() -> None:
    description = refusal("setMyCommands", {"commands": "[]", "scope": {"chat_id": 1}})
    assert description == 'Bad Request: field "scope" must be a valid BotCommandScope'


def test_files_come_from_parts_directly_or_through_attach_uris() -> None:
    part = Upload("photo", "chart.png", "image/png", b"\x89PNG")
    assert params("sendPhoto", {"chat_id": 1}, {"photo": part})["photo"] is part
    assert params("sendPhoto", {"chat_id": 1, "photo": "attach://p1"}, {"p1": part})["photo"] is part
    assert params("sendPhoto", {"chat_id": 1, "photo": "AgACAgIAAx"})["photo"] == "AgACAgIAAx"  # a file_id
    with pytest.raises(TypeProblem, match="no file part named 'p9'"):
        CHECK.coerce("attach://p9", ("InputFile",), "photo", {})


def test_unknown_parameters_are_ignored_like_telegram_does() -> None:
    assert params("getMe", {"whatever": "1"}) == {}
