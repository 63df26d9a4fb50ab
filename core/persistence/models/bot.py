"""Rows the Telegram front end keeps: the message outbox, job runs, chat preferences, strangers seen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.persistence.models.base import Base, UTCDateTime


class OutboxMessageRow(Base):
    """A push message: recorded before it is sent, marked sent after (see bot/outbox.py)."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    op: Mapped[str] = mapped_column(String(8), nullable=False, default="send")  # send | photo | edit
    target_message_id: Mapped[int | None] = mapped_column(BigInteger)  # for edits
    ref: Mapped[str | None] = mapped_column(String(64), index=True)  # e.g. "suggestion:12"
    dedupe_key: Mapped[str] = mapped_column(String(160), nullable=False, unique=True)
    text: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    keyboard: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    silent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, index=True)  # pending/sent/failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)


class JobRunRow(Base):
    """One scheduled job on one trading day: the unique key makes a job run at most once a day."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "run_key", name="uq_job_runs_job_run_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(40), nullable=False)
    run_key: Mapped[str] = mapped_column(String(40), nullable=False)  # the IST trading day, or day+slot
    trading_day: Mapped[date] = mapped_column(Date, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), nullable=False)  # running/ok/failed
    detail: Mapped[str | None] = mapped_column(Text)


class ChatPrefsRow(Base):
    __tablename__ = "chat_prefs"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    modes: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)
    quiet_hours: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    quiet_start: Mapped[str] = mapped_column(String(5), nullable=False, default="22:00")
    quiet_end: Mapped[str] = mapped_column(String(5), nullable=False, default="07:00")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)


class StrangerRow(Base):
    """Users not on any role list who wrote to the bot: refused once, then ignored (and logged)."""

    __tablename__ = "strangers"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
