"""The conversation the emulator keeps: users, chats, messages, uploaded files and pending updates.

Plain data, no HTTP. Message ids count from 1 per chat; update ids rise by one from ``first_update_id``.
``date`` fields are Unix seconds taken from the injected clock. A message keeps what the bot sent
(``source_text``, ``parse_mode``) and what Telegram made of it (``text`` + ``entities``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.html_check import Entity
from core.clock import Clock

DEFAULT_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


@dataclass
class UserInfo:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False
    language_code: str | None = None

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


@dataclass
class ChatInfo:
    """A chat; ``type`` is private, group or supergroup; ``members`` maps user id to status."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    is_forum: bool = False
    members: dict[int, str] = field(default_factory=dict)

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.first_name or "User"
        else:
            out["title"] = self.title or f"Chat {self.id}"
        if self.username:
            out["username"] = self.username
        if self.is_forum:
            out["is_forum"] = True
        return out

    def full_info(self) -> dict[str, Any]:
        """``ChatFullInfo`` with the fields Bot API 10.1 requires."""
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {**self.to_api(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


@dataclass
class StoredFile:
    """An uploaded file: the bytes as received, and the ids handed back to the bot."""

    file_id: str
    file_unique_id: str
    data: bytes
    filename: str
    content_type: str
    width: int = 0
    height: int = 0

    @property
    def path(self) -> str:
        return f"files/{self.file_unique_id}/{self.filename}"


@dataclass
class StoredMessage:
    """One message in a chat, as it stands now (after edits); ``deleted`` ones are kept for inspection."""

    message_id: int
    chat: ChatInfo
    sender: UserInfo
    date: int
    from_bot: bool
    thread_id: int | None = None
    text: str | None = None
    entities: tuple[Entity, ...] = ()
    caption: str | None = None
    caption_entities: tuple[Entity, ...] = ()
    reply_markup: dict[str, Any] | None = None
    photo: StoredFile | None = None
    document: StoredFile | None = None
    parse_mode: str | None = None
    source_text: str | None = None
    reply_to: int | None = None
    edit_date: int | None = None
    edits: int = 0
    deleted: bool = False

    @property
    def plain(self) -> str:
        """The text, or the caption of a media message."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """Inline keyboard rows (button dicts as sent), empty without an inline keyboard."""
        if not self.reply_markup:
            return []
        return [list(row) for row in self.reply_markup.get("inline_keyboard", [])]

    def button_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row if b.get("callback_data")]

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.thread_id is not None:
            out["message_thread_id"] = self.thread_id
            out["is_topic_message"] = True
        if self.edit_date is not None:
            out["edit_date"] = self.edit_date
        if self.text is not None:
            out["text"] = self.text
            if self.entities:
                out["entities"] = [e.to_dict() for e in self.entities]
        if self.photo is not None:
            out["photo"] = [
                {
                    "file_id": self.photo.file_id,
                    "file_unique_id": self.photo.file_unique_id,
                    "width": self.photo.width,
                    "height": self.photo.height,
                    "file_size": len(self.photo.data),
                }
            ]
        if self.document is not None:
            out["document"] = {
                "file_id": self.document.file_id,
                "file_unique_id": self.document.file_unique_id,
                "file_name": self.document.filename,
                "mime_type": self.document.content_type,
                "file_size": len(self.document.data),
            }
        if self.caption is not None:
            out["caption"] = self.caption
            if self.caption_entities:
                out["caption_entities"] = [e.to_dict() for e in self.caption_entities]
        if self.reply_markup is not None:
            out["reply_markup"] = self.reply_markup
        return out


@dataclass
class PendingUpdate:
    update_id: int
    kind: str
    payload: dict[str, Any]

    def to_api(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}


class Conversation:
    """All state of one emulated bot: who exists, what was said, what the bot has not fetched yet."""

    def __init__(self, bot: UserInfo, clock: Clock, *, first_update_id: int = 1) -> None:
        self.bot = bot
        self.clock = clock
        self.users: dict[int, UserInfo] = {bot.id: bot}
        self.chats: dict[int, ChatInfo] = {}
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self.updates: list[PendingUpdate] = []
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATES
        self._next_update_id = first_update_id
        self._next_message_id: dict[int, int] = {}
        self._next_query = 1

    def next_query_id(self) -> str:
        """A callback query id: unique, opaque digits as Telegram sends them."""
        self._next_query += 1
        return str(4_000_000_000_000_000 + self._next_query)

    def now(self) -> int:
        return int(self.clock.now().timestamp())

    def add_user(self, user: UserInfo) -> UserInfo:
        known = self.users.setdefault(user.id, user)
        return known

    def add_chat(self, chat: ChatInfo) -> ChatInfo:
        return self.chats.setdefault(chat.id, chat)

    def new_message(self, chat: ChatInfo, sender: UserInfo, **fields: Any) -> StoredMessage:
        message_id = self._next_message_id.get(chat.id, 1)
        self._next_message_id[chat.id] = message_id + 1
        message = StoredMessage(
            message_id=message_id,
            chat=chat,
            sender=sender,
            date=self.now(),
            from_bot=sender.id == self.bot.id,
            **fields,
        )
        self.messages[(chat.id, message_id)] = message
        return message

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        found = self.messages.get((chat_id, message_id))
        return None if found is None or found.deleted else found

    def chat_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id and not m.deleted]

    def store_file(
        self, data: bytes, filename: str, content_type: str, *, size: tuple[int, int] = (0, 0)
    ) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        unique = "AQAD" + digest[:16]
        stored = StoredFile(f"EMU{digest[:40]}", unique, data, filename or "file", content_type, *size)
        self.files[stored.file_id] = stored
        return stored

    def add_update(self, kind: str, payload: dict[str, Any]) -> PendingUpdate | None:
        """Queue an update; like Telegram, types the bot did not ask for are not stored at all."""
        if kind not in self.allowed_updates:
            return None
        update = PendingUpdate(self._next_update_id, kind, payload)
        self._next_update_id += 1
        self.updates.append(update)
        return update

    def set_allowed(self, kinds: Iterable[str] | None) -> None:
        if kinds is None:
            return
        chosen = frozenset(kinds)
        self.allowed_updates = chosen or DEFAULT_UPDATES
        self.updates = [u for u in self.updates if u.kind in self.allowed_updates]

    def confirm(self, offset: int) -> None:
        """getUpdates ``offset=N``: updates below N are confirmed and dropped; N < 0 keeps the last -N."""
        if offset < 0:
            self.updates = self.updates[offset:]
        elif offset:
            self.updates = [u for u in self.updates if u.update_id >= offset]

    def pending(self, limit: int) -> list[PendingUpdate]:
        return self.updates[: max(1, min(limit, 100))]
