"""What people do in the emulated chats: send a message, press an inline button.

Each action stores what a Telegram client would produce and queues the update the bot will fetch. A
``/command`` at a word start gets a ``bot_command`` entity (UTF-16 offsets), as Telegram marks it.
Chats are private when ``chat_id == user_id``; otherwise a negative id is a group (a supergroup if
``-100...`` or if a topic ``thread_id`` is given, which makes it a forum).
"""

from __future__ import annotations

import re
from typing import Any

from bot.emulator.html_check import Entity, utf16_len
from bot.emulator.state import ChatInfo, Conversation, StoredMessage, UserInfo

_BOT_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])")


def command_entities(text: str) -> tuple[Entity, ...]:
    """``bot_command`` entities for every ``/command`` in ``text`` (offsets in UTF-16 units)."""
    return tuple(
        Entity("bot_command", utf16_len(text[: m.start()]), utf16_len(m.group()))
        for m in _BOT_COMMAND.finditer(text)
    )


def chat_for(conv: Conversation, chat_id: int, user: UserInfo, *, forum: bool) -> ChatInfo:
    """The chat with ``chat_id``, created on first use with a type that fits its id."""
    chat = conv.chats.get(chat_id)
    if chat is None:
        if chat_id > 0:
            chat = ChatInfo(chat_id, "private", first_name=user.first_name, username=user.username)
        else:
            supergroup = forum or str(chat_id).startswith("-100")
            chat = ChatInfo(chat_id, "supergroup" if supergroup else "group", title=f"Group {chat_id}")
        conv.add_chat(chat)
    if forum and chat.type != "private":
        chat.is_forum = True
        chat.type = "supergroup"
    chat.members.setdefault(user.id, "member")
    return chat


def user_message(
    conv: Conversation,
    chat_id: int,
    user: UserInfo,
    text: str,
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
) -> StoredMessage:
    """Store a user's text message and queue its ``message`` update."""
    if not text:
        raise ValueError("a Telegram message cannot be empty")
    chat = chat_for(conv, chat_id, user, forum=thread_id is not None)
    message = conv.new_message(
        chat, user, text=text, entities=command_entities(text), thread_id=thread_id, reply_to=reply_to
    )
    payload = message.to_api()
    if reply_to is not None:
        original = conv.message(chat.id, reply_to)
        if original is not None:
            payload["reply_to_message"] = original.to_api()
    conv.add_update("message", payload)
    return message


def button_press(
    conv: Conversation, chat_id: int, user: UserInfo, message_id: int, callback_data: str
) -> tuple[str, dict[str, Any]]:
    """Queue a ``callback_query`` for a button that exists on that message; (query id, payload)."""
    message = conv.message(chat_id, message_id)
    if message is None:
        raise LookupError(f"chat {chat_id} has no message {message_id}")
    available = message.button_data()
    if callback_data not in available:
        raise LookupError(
            f"message {message_id} in chat {chat_id} has no button with callback_data {callback_data!r}; "
            f"it has {available}"
        )
    chat_for(conv, chat_id, user, forum=False)
    query_id = conv.next_query_id()
    payload = {
        "id": query_id,
        "from": user.to_api(),
        "message": message.to_api(),
        "chat_instance": str(abs(chat_id) * 7919 % 10**12),
        "data": callback_data,
    }
    conv.add_update("callback_query", payload)
    return query_id, payload
