"""Bot API methods that send, edit and delete messages.

Each handler takes parameters already checked against the spec (``Validator.params``) and answers what
Telegram answers, or raises ``ApiError`` with Telegram's description. Editing follows Telegram's rules:
the new text is parsed like a new message; an edit that omits ``reply_markup`` removes the inline
keyboard; an edit that changes nothing is refused with "message is not modified".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from bot.emulator import formatting
from bot.emulator.envelope import bad_request
from bot.emulator.media import checked_photo
from bot.emulator.state import ChatInfo, Conversation, StoredFile, StoredMessage
from bot.emulator.validate import Upload

Handler = Callable[[dict[str, Any]], Awaitable[Any]]

NOT_MODIFIED = (
    "Message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def find_chat(conv: Conversation, chat_id: int | str) -> ChatInfo:
    """The chat a ``chat_id`` names (an id or ``@username``), or Telegram's "chat not found"."""
    if isinstance(chat_id, str):
        wanted = chat_id.removeprefix("@").lower()
        found = next((c for c in conv.chats.values() if (c.username or "").lower() == wanted), None)
    else:
        found = conv.chats.get(chat_id)
    if found is None:
        raise bad_request("Chat not found", kind="state")
    return found


class MessageMethods:
    """sendMessage, sendPhoto, sendDocument, edit*, deleteMessage(s), sendChatAction, (un)pin."""

    def __init__(self, conv: Conversation, *, strict_html: bool) -> None:
        self.conv = conv
        self.strict = strict_html
        self.chat_actions: list[tuple[int, str]] = []
        self.pinned: dict[int, list[int]] = {}

    def table(self) -> dict[str, Handler]:
        return {
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "editMessageText": self.edit_text,
            "editMessageCaption": self.edit_caption,
            "editMessageReplyMarkup": self.edit_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "sendChatAction": self.send_chat_action,
            "pinChatMessage": self.pin,
            "unpinChatMessage": self.unpin,
        }

    # ---- sending ------------------------------------------------------------------------------
    def _thread(self, chat: ChatInfo, p: dict[str, Any]) -> int | None:
        thread = p.get("message_thread_id")
        if thread is None:
            return None
        if not chat.is_forum or thread <= 0:
            raise bad_request("Message thread not found", kind="state")
        return int(thread)

    def _reply_to(self, chat: ChatInfo, p: dict[str, Any]) -> StoredMessage | None:
        params = p.get("reply_parameters")
        if not params:
            return None
        target = self.conv.message(int(params.get("chat_id", chat.id)), int(params["message_id"]))
        if target is None and not params.get("allow_sending_without_reply"):
            raise bad_request("Message to be replied not found", kind="state")
        return target

    def _new(self, p: dict[str, Any], **fields: Any) -> dict[str, Any]:
        chat = find_chat(self.conv, p["chat_id"])
        thread = self._thread(chat, p)
        reply_to = self._reply_to(chat, p)
        markup = p.get("reply_markup")
        inline = markup if markup and "inline_keyboard" in markup else None
        message = self.conv.new_message(
            chat,
            self.conv.bot,
            thread_id=thread,
            reply_markup=inline,
            parse_mode=p.get("parse_mode"),
            reply_to=reply_to.message_id if reply_to else None,
            **fields,
        )
        return message.to_api()

    async def send_message(self, p: dict[str, Any]) -> Any:
        parsed = formatting.message_text(p, strict=self.strict)
        find_chat(self.conv, p["chat_id"])
        return self._new(p, text=parsed.text, entities=parsed.entities, source_text=p["text"])

    def _file(self, value: Upload | str, *, photo: bool) -> StoredFile:
        if isinstance(value, Upload):
            size = checked_photo(value.data) if photo else (0, 0)
            return self.conv.store_file(value.data, value.filename, value.content_type, size=size)
        if value in self.conv.files:
            return self.conv.files[value]
        if value.startswith(("http://", "https://")):
            raise bad_request("Failed to get HTTP URL content", kind="state")
        raise bad_request("Wrong file identifier/HTTP URL specified", kind="state")

    async def send_photo(self, p: dict[str, Any]) -> Any:
        find_chat(self.conv, p["chat_id"])
        cap = formatting.caption(p, strict=self.strict)
        stored = self._file(p["photo"], photo=True)
        return self._new(
            p,
            photo=stored,
            caption=cap.text if cap else None,
            caption_entities=cap.entities if cap else (),
            source_text=p.get("caption"),
        )

    async def send_document(self, p: dict[str, Any]) -> Any:
        find_chat(self.conv, p["chat_id"])
        cap = formatting.caption(p, strict=self.strict)
        stored = self._file(p["document"], photo=False)
        return self._new(
            p,
            document=stored,
            caption=cap.text if cap else None,
            caption_entities=cap.entities if cap else (),
            source_text=p.get("caption"),
        )

    # ---- editing ------------------------------------------------------------------------------
    def _target(self, p: dict[str, Any], what: str = "edit") -> StoredMessage:
        if "inline_message_id" in p:
            raise bad_request("MESSAGE_ID_INVALID", kind="state")
        if "chat_id" not in p:
            raise bad_request("chat_id is empty")
        if "message_id" not in p:
            raise bad_request("Message identifier is not specified")
        chat = find_chat(self.conv, p["chat_id"])
        message = self.conv.message(chat.id, int(p["message_id"]))
        if message is None:
            raise bad_request(f"Message to {what} not found", kind="state")
        if what == "edit" and not message.from_bot:
            raise bad_request("Message can't be edited", kind="state")
        return message

    def _apply(self, old: StoredMessage, new: StoredMessage) -> dict[str, Any]:
        same = (new.text, new.entities, new.caption, new.caption_entities, new.reply_markup) == (
            old.text,
            old.entities,
            old.caption,
            old.caption_entities,
            old.reply_markup,
        )
        if same:
            raise bad_request(NOT_MODIFIED, kind="state")
        new.edit_date = self.conv.now()
        new.edits = old.edits + 1
        self.conv.messages[(old.chat.id, old.message_id)] = new
        return new.to_api()

    @staticmethod
    def _inline(p: dict[str, Any]) -> dict[str, Any] | None:
        markup = p.get("reply_markup")
        return markup if markup and "inline_keyboard" in markup else None

    async def edit_text(self, p: dict[str, Any]) -> Any:
        old = self._target(p)
        parsed = formatting.message_text(p, strict=self.strict)
        if old.text is None:
            raise bad_request("There is no text in the message to edit", kind="state")
        new = replace(
            old,
            text=parsed.text,
            entities=parsed.entities,
            reply_markup=self._inline(p),
            parse_mode=p.get("parse_mode"),
            source_text=p["text"],
        )
        return self._apply(old, new)

    async def edit_caption(self, p: dict[str, Any]) -> Any:
        old = self._target(p)
        cap = formatting.caption(p, strict=self.strict)
        if old.photo is None and old.document is None:
            raise bad_request("There is no caption in the message to edit", kind="state")
        new = replace(
            old,
            caption=cap.text if cap else None,
            caption_entities=cap.entities if cap else (),
            reply_markup=self._inline(p),
            parse_mode=p.get("parse_mode"),
            source_text=p.get("caption"),
        )
        return self._apply(old, new)

    async def edit_reply_markup(self, p: dict[str, Any]) -> Any:
        old = self._target(p)
        return self._apply(old, replace(old, reply_markup=self._inline(p)))

    async def delete_message(self, p: dict[str, Any]) -> Any:
        message = self._target(p, "delete")
        message.deleted = True
        return True

    async def delete_messages(self, p: dict[str, Any]) -> Any:
        chat = find_chat(self.conv, p["chat_id"])
        for message_id in p["message_ids"]:
            message = self.conv.message(chat.id, int(message_id))
            if message is not None:
                message.deleted = True
        return True

    # ---- chat actions and pins ----------------------------------------------------------------
    async def send_chat_action(self, p: dict[str, Any]) -> Any:
        chat = find_chat(self.conv, p["chat_id"])
        if p["action"] not in CHAT_ACTIONS:
            raise bad_request("Wrong parameter action in request", kind="format")
        self._thread(chat, p)
        self.chat_actions.append((chat.id, p["action"]))
        return True

    async def pin(self, p: dict[str, Any]) -> Any:
        message = self._target(p, "pin")
        self.pinned.setdefault(message.chat.id, []).append(message.message_id)
        return True

    async def unpin(self, p: dict[str, Any]) -> Any:
        chat = find_chat(self.conv, p["chat_id"])
        pins = self.pinned.get(chat.id, [])
        if "message_id" in p and int(p["message_id"]) in pins:
            pins.remove(int(p["message_id"]))
        elif pins:
            pins.pop()
        return True
