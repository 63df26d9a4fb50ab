"""Who may do what. Roles come from settings (TELEGRAM_ADMIN_IDS / TRADER_IDS / VIEWER_IDS).

An admin is also a trader and a viewer; a trader is also a viewer. Everyone else is a stranger: one
polite refusal the first time (remembered in the database, so a restart does not re-open the
conversation), then silence; every attempt is logged with the user id and what they tried.
Button presses are checked the same way as commands — PTB's CallbackQueryHandler has no user filter.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.render.help import Role
from core.config.settings import Settings
from core.persistence.db import transaction
from core.persistence.models.bot import StrangerRow

log = logging.getLogger("niftybot.auth")


class Roles:
    def __init__(self, settings: Settings) -> None:
        self.admins = frozenset(settings.telegram_admin_ids)
        self.traders = frozenset(settings.telegram_trader_ids) | self.admins
        self.viewers = frozenset(settings.telegram_viewer_ids) | self.traders

    def role_of(self, user_id: int | None) -> Role | None:
        if user_id is None:
            return None
        if user_id in self.admins:
            return Role.ADMIN
        if user_id in self.traders:
            return Role.TRADER
        if user_id in self.viewers:
            return Role.VIEWER
        return None

    def allows(self, user_id: int | None, needed: Role) -> bool:
        role = self.role_of(user_id)
        return role is not None and role.can(needed)


def first_refusal(factory: sessionmaker[Session], user_id: int, now: datetime, what: str) -> bool:
    """Record a stranger's attempt; True only the first time (so the bot answers once)."""
    log.warning("refused user %s: %s", user_id, what[:80])
    with transaction(factory) as session:
        row = session.get(StrangerRow, user_id)
        if row is None:
            session.add(StrangerRow(user_id=user_id, first_seen=now, last_seen=now, attempts=1))
            return True
        row.last_seen = now
        row.attempts += 1
        return False
