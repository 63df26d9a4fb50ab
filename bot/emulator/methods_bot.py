"""Bot API methods about the bot itself: updates (long polling), webhook, commands, callbacks, chats.

``getUpdates`` long-polls: with no pending update it waits up to ``timeout`` seconds for one. ``offset``
confirms (forgets) every update below it, as Telegram does; a second concurrent ``getUpdates`` ends the
first with 409 Conflict, and ``getUpdates`` while a webhook is set is refused with 409 as well.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.envelope import ApiError, bad_request
from bot.emulator.methods_messages import Handler, find_chat
from bot.emulator.state import Conversation

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass
class CallbackRecord:
    """A button press the emulator produced, and the bot's answer to it (``None`` until answered)."""

    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    answer: dict[str, Any] | None = None


@dataclass
class BotSettings:
    """What the bot configured: webhook, commands per (scope, language), other Boolean setters."""

    webhook_url: str = ""
    webhook_allowed: list[str] | None = None
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    other: dict[str, dict[str, Any]] = field(default_factory=dict)


def scope_key(scope: dict[str, Any] | None) -> str:
    """A stable key for a ``BotCommandScope`` (``default`` when absent)."""
    if not scope:
        return "default"
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


class BotMethods:
    """getMe, getUpdates, webhooks, commands, answerCallbackQuery, getChat, getChatMember, getFile."""

    def __init__(self, conv: Conversation, settings: BotSettings) -> None:
        self.conv = conv
        self.settings = settings
        self.callbacks: dict[str, CallbackRecord] = {}
        self._arrived = asyncio.Event()
        self._poll_generation = 0

    def table(self) -> dict[str, Handler]:
        return {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "answerCallbackQuery": self.answer_callback_query,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "getFile": self.get_file,
            "close": self.true,
            "logOut": self.true,
        }

    def notify(self) -> None:
        """Wake long polls: an update was queued (or the server is stopping)."""
        self._arrived.set()
        self._arrived = asyncio.Event()

    async def true(self, p: dict[str, Any]) -> Any:
        return True

    async def get_me(self, p: dict[str, Any]) -> Any:
        return {
            **self.conv.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, p: dict[str, Any]) -> Any:
        if self.settings.webhook_url:
            raise ApiError(409, CONFLICT_WEBHOOK, kind="state")
        self._poll_generation += 1
        generation = self._poll_generation
        self.notify()  # an older poll still waiting learns it was superseded
        self.conv.confirm(int(p.get("offset", 0)))
        if "allowed_updates" in p:
            self.conv.set_allowed(p["allowed_updates"])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, float(p.get("timeout", 0)))
        while True:
            batch = self.conv.pending(int(p.get("limit", 100)))
            if batch:
                return [u.to_api() for u in batch]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            arrived = self._arrived
            try:
                await asyncio.wait_for(arrived.wait(), remaining)
            except TimeoutError:
                return []
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_OTHER_POLL, kind="state")

    async def set_webhook(self, p: dict[str, Any]) -> Any:
        url = p["url"]
        if url and not url.startswith("https://"):
            raise bad_request("Bad webhook: An HTTPS URL must be provided for webhook", kind="format")
        self.settings.webhook_url = url
        self.settings.webhook_allowed = p.get("allowed_updates")
        if p.get("drop_pending_updates"):
            self.conv.updates.clear()
        return True

    async def delete_webhook(self, p: dict[str, Any]) -> Any:
        self.settings.webhook_url = ""
        if p.get("drop_pending_updates"):
            self.conv.updates.clear()
        return True

    async def get_webhook_info(self, p: dict[str, Any]) -> Any:
        info: dict[str, Any] = {
            "url": self.settings.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.conv.updates),
        }
        if self.settings.webhook_url and self.settings.webhook_allowed is not None:
            info["allowed_updates"] = self.settings.webhook_allowed
        return info

    async def set_my_commands(self, p: dict[str, Any]) -> Any:
        commands = p["commands"]
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH", kind="format")
        for c in commands:
            if not _COMMAND.match(c["command"]):
                raise bad_request("BOT_COMMAND_INVALID", kind="format")
            if not 1 <= len(c["description"].strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID", kind="format")
        key = (scope_key(p.get("scope")), p.get("language_code", ""))
        self.settings.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def get_my_commands(self, p: dict[str, Any]) -> Any:
        return self.settings.commands.get((scope_key(p.get("scope")), p.get("language_code", "")), [])

    async def delete_my_commands(self, p: dict[str, Any]) -> Any:
        self.settings.commands.pop((scope_key(p.get("scope")), p.get("language_code", "")), None)
        return True

    async def answer_callback_query(self, p: dict[str, Any]) -> Any:
        record = self.callbacks.get(p["callback_query_id"])
        if record is None or record.answer is not None:
            raise bad_request(
                "Query is too old and response timeout expired or query ID is invalid", kind="state"
            )
        if len(p.get("text", "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG", kind="format")
        record.answer = {k: p[k] for k in ("text", "show_alert", "url", "cache_time") if k in p}
        return True

    async def get_chat(self, p: dict[str, Any]) -> Any:
        return find_chat(self.conv, p["chat_id"]).full_info()

    async def get_chat_member(self, p: dict[str, Any]) -> Any:
        chat = find_chat(self.conv, p["chat_id"])
        user = self.conv.users.get(int(p["user_id"]))
        if user is None:
            raise bad_request("User not found", kind="state")
        status = chat.members.get(user.id, "member" if chat.id == user.id else "left")
        return _member(status, user.to_api())

    async def get_chat_administrators(self, p: dict[str, Any]) -> Any:
        chat = find_chat(self.conv, p["chat_id"])
        return [
            _member(status, self.conv.users[uid].to_api())
            for uid, status in chat.members.items()
            if status in ("creator", "administrator") and uid in self.conv.users
        ]

    async def get_chat_member_count(self, p: dict[str, Any]) -> Any:
        chat = find_chat(self.conv, p["chat_id"])
        return max(1, sum(1 for s in chat.members.values() if s not in ("left", "kicked")))

    async def get_file(self, p: dict[str, Any]) -> Any:
        stored = self.conv.files.get(p["file_id"])
        if stored is None:
            raise bad_request("Invalid file_id", kind="state")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }


def _member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        out["is_anonymous"] = False
    if status == "administrator":
        rights = [
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
        ]
        out.update({"can_be_edited": False, "is_anonymous": False, **dict.fromkeys(rights, True)})
    if status == "kicked":
        out["until_date"] = 0
    return out
