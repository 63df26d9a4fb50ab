"""The persistent outbox: every push message is recorded before it is sent and marked sent after.

- ``enqueue`` adds a row in the caller's transaction with a unique ``dedupe_key`` (e.g. the event id
  and the chat), so an event dispatched twice, or a job re-run after a restart, records one message.
- ``flush`` sends pending rows in order. Per chat it keeps Telegram's pace (1 message/s in a private
  chat, 20/min in a group); PTB's AIORateLimiter handles the global limit and retries 429s. A 429 that
  survives those retries is waited out (``not_before`` = now + retry_after), never dropped. A message
  Telegram refuses to parse is re-sent as plain text and the error logged; other permanent refusals
  (chat not found, bot blocked) are marked failed with the reason.
- Telegram itself failing (a network error or timeout, a 5xx, an answer that is not JSON, the token
  refused) is an outage, not a bad message: the flush stops at the first such error (no hammering),
  the row waits with exponential backoff (capped at ``MAX_BACKOFF`` seconds) and is never given up, so
  an outage of any length loses nothing. ``/health`` shows the outage while it lasts
  (:meth:`OutboxSender.delivery_problem`), and when sends work again the admins get ONE note saying
  when delivery failed and that the held messages are going out (the only alert Telegram can carry
  about itself).
- After a crash, rows still ``pending`` go out on the next flush: nothing is lost. (The one window for
  a duplicate is a crash between Telegram's answer and the commit that marks the row sent.)
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from core.clock import IST, Clock
from core.persistence.db import transaction
from core.persistence.models.bot import OutboxMessageRow

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
PRIVATE_GAP = 1.0  # seconds between messages to one private chat
GROUP_GAP = 3.0  # 20 per minute in a group
MAX_BACKOFF = 60  # seconds between retries of a row while Telegram is failing
OUTAGE_NOTE_AFTER = 3  # failed sends before a recovery is worth a note to the admins

_TAG = re.compile(r"<[^>]+>")


def plain_text(html_text: str) -> str:
    """The visible text of a Telegram-HTML message (tags dropped, entities decoded)."""
    return html.unescape(_TAG.sub("", html_text))


@dataclass(frozen=True)
class Outgoing:
    chat_id: int
    kind: str
    dedupe_key: str
    text: str | None = None
    photo: bytes | None = None
    keyboard: InlineKeyboardMarkup | None = None
    thread_id: int | None = None
    silent: bool = False
    ref: str | None = None
    op: str = "send"  # send | photo | edit
    target_message_id: int | None = None


def enqueue(session: Session, msg: Outgoing, now: datetime) -> bool:
    """Record ``msg`` unless a message with its dedupe key exists; True if recorded."""
    exists = session.scalar(select(OutboxMessageRow.id).where(OutboxMessageRow.dedupe_key == msg.dedupe_key))
    if exists is not None:
        return False
    session.add(
        OutboxMessageRow(
            created_at=now,
            chat_id=msg.chat_id,
            thread_id=msg.thread_id,
            kind=msg.kind,
            op=msg.op,
            target_message_id=msg.target_message_id,
            ref=msg.ref,
            dedupe_key=msg.dedupe_key,
            text=msg.text,
            photo=msg.photo,
            keyboard=msg.keyboard.to_dict() if msg.keyboard is not None else None,
            silent=msg.silent,
            status=PENDING,
            attempts=0,
        )
    )
    return True


def rewrite_pending(session: Session, ref: str, text: str, keyboard: InlineKeyboardMarkup | None) -> int:
    """Give the not-yet-sent text messages recorded under ``ref`` new content (a suggestion decided
    while its message was still queued goes out decided, not with live Approve buttons); returns how
    many rows changed. A row already on its way is caught by the sender, which edits the message once
    it is marked sent (see ``OutboxSender._mark_sent``)."""
    rows = session.scalars(
        select(OutboxMessageRow).where(
            OutboxMessageRow.ref == ref,
            OutboxMessageRow.status == PENDING,
            OutboxMessageRow.op == "send",
        )
    )
    markup = keyboard.to_dict() if keyboard is not None else None
    n = 0
    for row in rows:
        if row.text != text or row.keyboard != markup:
            row.text, row.keyboard = text, markup
            n += 1
    return n


def sent_messages(session: Session, ref: str) -> list[tuple[int, int]]:
    """(chat_id, message_id) of the sent messages recorded under ``ref`` (to edit them later)."""
    rows = session.execute(
        select(OutboxMessageRow.chat_id, OutboxMessageRow.telegram_message_id).where(
            OutboxMessageRow.ref == ref,
            OutboxMessageRow.status == SENT,
            OutboxMessageRow.op != "edit",
            OutboxMessageRow.telegram_message_id.is_not(None),
        )
    )
    return [(int(c), int(m)) for c, m in rows if m is not None]


class OutboxSender:
    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Clock,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        on_result: Callable[[str, bool], None] | None = None,
        private_gap: float = PRIVATE_GAP,
        group_gap: float = GROUP_GAP,
        admins: list[int] | tuple[int, ...] = (),
    ) -> None:
        self.factory = factory
        self.clock = clock
        self.private_gap, self.group_gap = private_gap, group_gap
        self._monotonic = monotonic
        self._last: dict[int, float] = {}
        self._lock = asyncio.Lock()
        self.on_result = on_result  # (kind, ok) for metrics
        self.on_retry_after: Callable[[], None] | None = None
        self.retry_after_seen = 0
        self.admins = tuple(dict.fromkeys(admins))
        # The current Telegram outage as seen from here (None when sends work).
        self.failing_since: datetime | None = None
        self.failures = 0
        self.last_failure: str | None = None

    # ---- Telegram's health as the sends see it --------------------------------------------------
    def note_failure(self, exc: BaseException) -> None:
        """A call to Telegram failed on Telegram's side (also used by the bot's error handler)."""
        if self.failing_since is None:
            self.failing_since = self.clock.now()
        self.failures += 1
        self.last_failure = f"{type(exc).__name__}: {exc}"[:160]

    def delivery_problem(self) -> str | None:
        """What ``/health`` says while sends to Telegram are failing, else None."""
        if self.failing_since is None:
            return None
        return (
            f"sends failing since {self.failing_since.astimezone(IST):%H:%M} IST ({self.failures} "
            f"failed, last: {self.last_failure}); messages are held and retried"
        )

    def _note_success(self) -> None:
        if self.failing_since is None:
            return
        since, failures, last = self.failing_since, self.failures, self.last_failure
        self.failing_since, self.failures, self.last_failure = None, 0, None
        if failures < OUTAGE_NOTE_AFTER or not self.admins:
            return
        now = self.clock.now()
        text = (
            f"📨 <b>Telegram delivery is back</b> at {now.astimezone(IST):%H:%M} IST: sends failed from "
            f"{since.astimezone(IST):%H:%M} ({failures} failed, last: {html.escape(last or '')}). "
            "Held messages are going out now; nothing was dropped."
        )
        try:
            with transaction(self.factory) as s:
                for admin in self.admins:
                    enqueue(
                        s,
                        Outgoing(admin, "errors", f"telegram-back:{since.isoformat()}:{admin}", text=text),
                        now,
                    )
        except Exception:
            log.exception("could not record the Telegram recovery note")

    def backlog(self) -> int:
        with transaction(self.factory, write=False) as s:
            return len(list(s.scalars(select(OutboxMessageRow.id).where(OutboxMessageRow.status == PENDING))))

    async def _pace(self, chat_id: int) -> None:
        gap = self.group_gap if chat_id < 0 else self.private_gap
        last = self._last.get(chat_id)
        if last is not None:
            wait = last + gap - self._monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        self._last[chat_id] = self._monotonic()

    async def flush(self, bot: Bot, limit: int = 50) -> int:
        """Send what is due; returns the number of rows sent. One flush at a time."""
        async with self._lock:
            now = self.clock.now()
            with transaction(self.factory, write=False) as s:
                rows = list(
                    s.scalars(
                        select(OutboxMessageRow)
                        .where(OutboxMessageRow.status == PENDING)
                        .order_by(OutboxMessageRow.id)
                        .limit(limit)
                    )
                )
                s.expunge_all()
            sent = 0
            blocked: set[int] = set()
            for row in rows:
                if row.chat_id in blocked or (row.not_before is not None and row.not_before > now):
                    blocked.add(row.chat_id)  # keep each chat's order
                    continue
                await self._pace(row.chat_id)
                outcome = await self._send_one(bot, row)
                if outcome is True:
                    sent += 1
                    self._note_success()
                elif outcome is None:  # Telegram is failing: the other rows wait for the backoff too
                    break
                else:
                    blocked.add(row.chat_id)
            return sent

    async def _send_one(self, bot: Bot, row: OutboxMessageRow) -> bool | None:
        """True: sent; False: this chat waits or the row failed for good; None: Telegram is failing."""
        markup = InlineKeyboardMarkup.de_json(row.keyboard, bot) if row.keyboard else None
        try:
            message_id = await self._deliver(bot, row, markup, plain=False)
        except RetryAfter as exc:
            self.retry_after_seen += 1
            self.note_failure(exc)
            if self.on_retry_after:
                self.on_retry_after()
            wait = (
                exc.retry_after
                if isinstance(exc.retry_after, (int, float))
                else exc.retry_after.total_seconds()
            )
            self._update(row.id, not_before=self.clock.now() + timedelta(seconds=float(wait)), error=str(exc))
            log.warning("outbox %s: 429, waiting %ss", row.id, wait)
            return False
        except BadRequest as exc:
            text = str(exc)
            if row.op == "edit" and "not modified" in text.lower():
                self._mark_sent(row.id, row.target_message_id)
                return True
            if "parse" in text.lower() and "entit" in text.lower():
                log.error(
                    "outbox %s: Telegram refused the formatting (%s); sending as plain text", row.id, text
                )
                try:
                    message_id = await self._deliver(bot, row, markup, plain=True)
                except (BadRequest, Forbidden) as exc2:
                    self._fail(row, str(exc2))
                    return False
                self._mark_sent(row.id, message_id)
                return True
            self._fail(row, text)
            return False
        except Forbidden as exc:
            self._fail(row, str(exc))
            return False
        except TelegramError as exc:  # network, timeout, 5xx, not JSON, token refused: Telegram's side
            self.note_failure(exc)
            attempts = row.attempts + 1
            backoff = min(2**attempts, MAX_BACKOFF)
            self._update(
                row.id,
                not_before=self.clock.now() + timedelta(seconds=backoff),
                error=str(exc),
                attempts=attempts,
            )
            log.warning("outbox %s: Telegram failed (%s), retry in %ss", row.id, exc, backoff)
            return None
        self._mark_sent(row.id, message_id, row)
        return True

    async def _deliver(
        self, bot: Bot, row: OutboxMessageRow, markup: InlineKeyboardMarkup | None, *, plain: bool
    ) -> int:
        text = row.text or ""
        mode: str | None = None if plain else "HTML"
        if plain:
            text = plain_text(text)
        common: dict[str, Any] = {"chat_id": row.chat_id, "reply_markup": markup}
        if row.op == "edit":
            assert row.target_message_id is not None
            result = await bot.edit_message_text(
                text=text, message_id=row.target_message_id, parse_mode=mode, **common
            )
            return row.target_message_id if result is True else int(result.message_id)  # type: ignore[union-attr]
        common["message_thread_id"] = row.thread_id
        common["disable_notification"] = row.silent
        if row.op == "photo" and row.photo is not None:
            msg = await bot.send_photo(
                photo=InputFile(row.photo, filename="chart.png"),
                caption=text or None,
                parse_mode=mode,
                **common,
            )
        else:
            msg = await bot.send_message(text=text, parse_mode=mode, **common)
        return int(msg.message_id)

    def _mark_sent(self, row_id: int, message_id: int | None, sent: OutboxMessageRow | None = None) -> None:
        """Mark the row sent. ``sent``: the row as it was read for sending; if its content was
        rewritten meanwhile (``rewrite_pending``), the message just sent is edited to the new content."""
        with transaction(self.factory) as s:
            row = s.get(OutboxMessageRow, row_id)
            if row is not None:
                row.status, row.sent_at, row.telegram_message_id = SENT, self.clock.now(), message_id
                row.attempts += 1
                kind = row.kind
                if (
                    sent is not None
                    and message_id is not None
                    and row.op == "send"
                    and (row.text != sent.text or row.keyboard != sent.keyboard)
                ):
                    s.add(
                        OutboxMessageRow(
                            created_at=self.clock.now(),
                            chat_id=row.chat_id,
                            kind="edit",
                            op="edit",
                            target_message_id=message_id,
                            ref=row.ref,
                            dedupe_key=f"rewritten:{row.id}",
                            text=row.text,
                            keyboard=row.keyboard,
                            silent=False,
                            status=PENDING,
                            attempts=0,
                        )
                    )
        if self.on_result:
            self.on_result(kind, True)

    def _fail(self, row: OutboxMessageRow, error: str) -> None:
        log.error("outbox %s to chat %s failed: %s", row.id, row.chat_id, error)
        with transaction(self.factory) as s:
            r = s.get(OutboxMessageRow, row.id)
            if r is not None:
                r.status, r.last_error = FAILED, error[:500]
                r.attempts += 1
        if self.on_result:
            self.on_result(row.kind, False)

    def _update(self, row_id: int, *, not_before: datetime, error: str, attempts: int | None = None) -> None:
        with transaction(self.factory) as s:
            r = s.get(OutboxMessageRow, row_id)
            if r is not None:
                r.not_before, r.last_error = not_before, error[:500]
                if attempts is not None:
                    r.attempts = attempts
