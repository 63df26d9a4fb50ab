"""The Bot API surface over raw HTTP: envelopes, request encodings, long polling, webhooks."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from bot.emulator import DEFAULT_TOKEN, TelegramEmulator

CHAT = 42


@pytest.fixture
async def api(emu: TelegramEmulator) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=f"{emu.base_url}{DEFAULT_TOKEN}/", timeout=5) as client:
        yield client  # type: ignore[misc]


async def test_get_me_answers_in_telegrams_envelope(api: httpx.AsyncClient) -> None:
    answer = await api.get("getMe")
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is True
    assert body["result"]["id"] == 123456789 and body["result"]["is_bot"] is True


@pytest.mark.parametrize("encoding", ["query", "json", "form", "multipart"])
async def test_every_request_encoding_is_understood(
    emu: TelegramEmulator, api: httpx.AsyncClient, encoding: str
) -> None:
    emu.add_chat(CHAT)
    params = {"chat_id": str(CHAT), "text": "<i>hi</i>", "parse_mode": "HTML", "disable_notification": "true"}
    if encoding == "query":
        answer = await api.get("sendMessage", params=params)
    elif encoding == "json":
        answer = await api.post("sendMessage", json={**params, "chat_id": CHAT, "disable_notification": True})
    elif encoding == "form":
        answer = await api.post("sendMessage", data=params)
    else:
        answer = await api.post("sendMessage", data=params, files={"unused": ("a.txt", b"x", "text/plain")})
    assert answer.json()["result"]["text"] == "hi"
    assert answer.json()["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 2}]


async def test_broken_json_is_a_bad_request(emu: TelegramEmulator, api: httpx.AsyncClient) -> None:
    answer = await api.post("sendMessage", content=b"{nope", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["description"].startswith("Bad Request: can't parse JSON encoded request")


async def test_wrong_types_are_refused_and_recorded(emu: TelegramEmulator, api: httpx.AsyncClient) -> None:
    emu.add_chat(CHAT)
    answer = await api.post(
        "sendMessage", json={"chat_id": CHAT, "text": "x", "disable_notification": "maybe"}
    )
    assert answer.json() == {
        "ok": False,
        "error_code": 400,
        "description": 'Bad Request: field "disable_notification" must be of type Boolean',
    }
    bad_entity = await api.post(
        "sendMessage", json={"chat_id": CHAT, "text": "x", "entities": [{"type": "bold"}]}
    )
    assert 'find field "offset"' in bad_entity.json()["description"]
    assert len(emu.violations) == 2


async def test_updates_stay_until_an_offset_confirms_them(
    emu: TelegramEmulator, api: httpx.AsyncClient
) -> None:
    emu.user_sends(CHAT, CHAT, "one")
    emu.user_sends(CHAT, CHAT, "two")
    first = (await api.post("getUpdates", json={"timeout": 0})).json()["result"]
    assert [u["message"]["text"] for u in first] == ["one", "two"]
    again = (await api.post("getUpdates", json={"timeout": 0})).json()["result"]
    assert again == first  # nothing confirmed yet
    rest = (await api.post("getUpdates", json={"offset": first[0]["update_id"] + 1})).json()["result"]
    assert [u["message"]["text"] for u in rest] == ["two"]
    assert (await api.post("getUpdates", json={"offset": rest[0]["update_id"] + 1})).json()["result"] == []


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(
    emu: TelegramEmulator, api: httpx.AsyncClient
) -> None:
    poll = asyncio.create_task(api.post("getUpdates", json={"timeout": 10}))
    await asyncio.sleep(0.05)
    assert not poll.done()
    emu.user_sends(CHAT, CHAT, "wake up")
    answer = await asyncio.wait_for(poll, 2)
    assert answer.json()["result"][0]["message"]["text"] == "wake up"


async def test_a_long_poll_without_updates_ends_after_its_timeout(api: httpx.AsyncClient) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await api.post("getUpdates", json={"timeout": 1})  # whole seconds: timeout is an Integer
    assert answer.json()["result"] == []
    assert 0.9 <= loop.time() - started < 3


async def test_a_second_poller_ends_the_first_with_a_conflict(api: httpx.AsyncClient) -> None:
    first = asyncio.create_task(api.post("getUpdates", json={"timeout": 5}))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(api.post("getUpdates", json={"timeout": 0}))
    ended = await asyncio.wait_for(first, 2)
    assert ended.status_code == 409
    assert ended.json()["description"].startswith("Conflict: terminated by other getUpdates request")
    assert (await second).status_code == 200


async def test_allowed_updates_filters_what_is_stored(emu: TelegramEmulator, api: httpx.AsyncClient) -> None:
    await api.post("getUpdates", json={"timeout": 0, "allowed_updates": ["callback_query"]})
    emu.user_sends(CHAT, CHAT, "ignored")
    assert (await api.post("getUpdates", json={"timeout": 0})).json()["result"] == []
    await api.post(
        "getUpdates", data={"timeout": "0", "allowed_updates": json.dumps([])}
    )  # [] = the default set
    emu.user_sends(CHAT, CHAT, "seen")
    result = (await api.post("getUpdates", json={"timeout": 0})).json()["result"]
    assert [u["message"]["text"] for u in result] == ["seen"]


async def test_get_updates_is_refused_while_a_webhook_is_set(
    emu: TelegramEmulator, api: httpx.AsyncClient
) -> None:
    refused = await api.post("setWebhook", json={"url": "http://plain.example.org/hook"})
    assert (
        refused.json()["description"] == "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    )
    assert (await api.post("setWebhook", json={"url": "https://bot.example.org/hook"})).json()[
        "result"
    ] is True
    info = (await api.get("getWebhookInfo")).json()["result"]
    assert info["url"] == "https://bot.example.org/hook"
    conflict = await api.post("getUpdates")
    assert conflict.status_code == 409
    await api.post("deleteWebhook", json={"drop_pending_updates": True})
    assert (await api.post("getUpdates", json={"timeout": 0})).status_code == 200


async def test_boolean_setters_the_emulator_does_not_model_still_succeed(
    emu: TelegramEmulator, api: httpx.AsyncClient
) -> None:
    answer = await api.post("setMyDescription", json={"description": "NIFTY paper desk"})
    assert answer.json() == {"ok": True, "result": True}
    assert emu.unimplemented == ["setMyDescription"]
    refused = await api.post("getStarTransactions")
    assert refused.status_code == 501 and emu.violations[-1].method == "getStarTransactions"


async def test_chat_info_and_membership(emu: TelegramEmulator, api: httpx.AsyncClient) -> None:
    emu.user_sends(-100777, 5, "hi", first_name="Asha")
    emu.set_member(-100777, 5, "administrator")
    chat = (await api.post("getChat", json={"chat_id": -100777})).json()["result"]
    assert chat["type"] == "supergroup" and chat["accent_color_id"] == 0
    member = (await api.post("getChatMember", json={"chat_id": -100777, "user_id": 5})).json()["result"]
    assert member["status"] == "administrator" and member["user"]["first_name"] == "Asha"
    assert (await api.post("getChat", json={"chat_id": -1})).json()[
        "description"
    ] == "Bad Request: chat not found"


async def test_answering_a_callback_twice_is_too_old(emu: TelegramEmulator, api: httpx.AsyncClient) -> None:
    emu.add_chat(CHAT)
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    sent = (await api.post("sendMessage", json={"chat_id": CHAT, "text": "x", "reply_markup": markup})).json()
    query = emu.user_presses(CHAT, CHAT, sent["result"]["message_id"], "go")
    assert (await api.post("answerCallbackQuery", json={"callback_query_id": query})).json()["result"] is True
    again = await api.post("answerCallbackQuery", json={"callback_query_id": query})
    assert again.json()["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
