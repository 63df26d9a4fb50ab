"""The daily Kite login: the login URL, the request-token exchange and the stored access token.

Kite's flow: the trader opens :meth:`KiteAuth.login_url`, logs in at Zerodha and is redirected to the
app's redirect URL with ``?request_token=...&status=success``. :meth:`KiteAuth.exchange` trades that
request token (valid a few minutes, once) for an access token with the api secret.

Validity rule implemented by :func:`session_expiry`: an access token lapses at the first 06:00 IST
strictly after it was obtained (Zerodha flushes sessions every morning around then). A token obtained
at 08:00 IST on day D therefore serves D's session and lapses at 06:00 on D+1; one obtained at 05:30
lapses half an hour later. ``valid_for`` is the IST day whose 06:00 opens the token's window (D for
any login between 06:00 on D and 06:00 on D+1). Kite may also end a session early (logout, password
change): a TokenException then means "log in again" whatever the store says; :meth:`revoke` records it.

The access token is a secret: it is a ``SecretStr`` everywhere, never logged and never in a repr.
It is stored in the database in plain text (the database is as private as the ``.env``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

from kiteconnect import KiteConnect
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.clock import IST, ensure_aware
from core.errors import AuthenticationError
from core.logging_config import RedactionFilter
from core.marketdata.kite_errors import SOURCE, KiteCaller, malformed
from core.persistence.db import transaction
from core.persistence.models.kite import KiteSessionRow
from core.resilience.guard import GuardRegistry

log = logging.getLogger(__name__)

LAPSE_TIME = time(6, 0)  # IST
KEEP_DAYS = 30  # lapsed sessions older than this are deleted on the next save
_REQUEST_TOKEN = re.compile(r"^[A-Za-z0-9]{6,64}$")


@dataclass(frozen=True)
class TokenCheck:
    """Result of :meth:`KiteSource.is_kite_token_valid`: ``user_id`` when valid, ``reason`` when not."""

    valid: bool
    user_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class KiteSession:
    """What a successful exchange returns; ``access_token`` is masked in any repr."""

    user_id: str
    access_token: SecretStr
    login_time: datetime | None  # aware IST, as Kite reported it


@dataclass(frozen=True)
class StoredKiteSession:
    user_id: str
    access_token: SecretStr
    valid_for: date
    obtained_at: datetime
    expires_at: datetime


def session_expiry(obtained_at: datetime) -> datetime:
    """The first 06:00 IST strictly after the aware moment ``obtained_at``."""
    local = obtained_at.astimezone(IST)
    lapse = datetime.combine(local.date(), LAPSE_TIME, IST)
    return lapse if local < lapse else datetime.combine(local.date() + timedelta(days=1), LAPSE_TIME, IST)


def request_token_from(text: str) -> str:
    """The request token in ``text``: a bare token or the whole redirect URL Kite sent the trader to."""
    raw = text.strip()
    token = raw
    if "://" in raw or "request_token=" in raw or "?" in raw:
        query = parse_qs(urlsplit(raw).query or raw.split("?", 1)[-1])
        status = (query.get("status") or [""])[0]
        if status and status != "success":
            raise AuthenticationError(
                f"The Kite login did not succeed (status={status}); open the login link again.", source=SOURCE
            )
        tokens = query.get("request_token") or []
        if not tokens:
            raise AuthenticationError(
                "That link has no request_token; paste the whole address Kite redirected you to.",
                source=SOURCE,
            )
        token = tokens[0]
    if not _REQUEST_TOKEN.match(token):
        raise AuthenticationError(
            "That does not look like a Kite request token (letters and digits only) or a redirect link.",
            source=SOURCE,
        )
    return token


class _SessionPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user_id: str = Field(min_length=1)
    access_token: SecretStr = Field(min_length=1)
    login_time: datetime | None = None


class KiteAuth:
    """Login URL and request-token exchange with the real client (``root`` is the API root)."""

    def __init__(
        self,
        api_key: SecretStr | str,
        api_secret: SecretStr | str,
        *,
        root: str,
        timeout: float,
        registry: GuardRegistry,
    ) -> None:
        self._api_key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._secret = api_secret if isinstance(api_secret, SecretStr) else SecretStr(api_secret)
        self._root, self._timeout, self._registry = root, timeout, registry

    def __repr__(self) -> str:
        return f"KiteAuth(root={self._root!r})"

    def login_url(self) -> str:
        """Zerodha's login page for this app (the client builds it from its fixed login host)."""
        return str(KiteConnect(api_key=self._api_key).login_url())

    async def exchange(self, request_token_or_url: str) -> KiteSession:
        """Trade a request token (or the redirect URL holding it) for the day's access token."""
        token = request_token_from(request_token_or_url)
        secrets = (self._api_key, self._secret.get_secret_value(), token)
        caller = KiteCaller(lambda: secrets)
        kite = KiteConnect(api_key=self._api_key, root=self._root, timeout=self._timeout)
        caller.install(kite.reqsession)
        what = "the login (request token exchange)"

        def run() -> dict[str, object]:
            return dict(kite.generate_session(token, api_secret=self._secret.get_secret_value()))

        async def attempt() -> dict[str, object]:
            return await asyncio.to_thread(caller.run, run, what)

        try:
            data = await self._registry.guard(SOURCE, "kite_other").call(attempt, what=what)
        except AuthenticationError:
            raise AuthenticationError(
                "Kite refused the login: a request token works once and only for a few minutes. "
                "Open the login link again and send the new redirect link.",
                source=SOURCE,
            ) from None
        try:
            payload = _SessionPayload.model_validate(data)
        except ValidationError as exc:  # no chaining: the payload holds the token
            fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
            raise malformed(what, f"missing or bad {fields}") from None
        login = ensure_aware(payload.login_time, IST) if payload.login_time else None
        RedactionFilter.register([payload.access_token.get_secret_value()])
        log.info("Kite login exchanged for user %s", payload.user_id)
        return KiteSession(payload.user_id, payload.access_token, login)


class KiteSessionStore:
    """Access tokens in ``kite_sessions``; :meth:`current` gives the one valid now (rule above)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def save(self, session: KiteSession, now: datetime) -> StoredKiteSession:
        """Store ``session`` obtained at ``now`` (or at Kite's earlier login time)."""
        obtained = min(now, session.login_time) if session.login_time else now
        expires = session_expiry(obtained)
        valid_for = (expires - timedelta(days=1)).date()
        token = session.access_token.get_secret_value()
        RedactionFilter.register([token])
        with transaction(self._sessions) as s:
            s.execute(
                delete(KiteSessionRow).where(KiteSessionRow.expires_at < now - timedelta(days=KEEP_DAYS))
            )
            s.add(
                KiteSessionRow(
                    user_id=session.user_id,
                    access_token=token,
                    valid_for=valid_for,
                    obtained_at=obtained,
                    expires_at=expires,
                )
            )
        log.info("Kite session for %s stored; valid until %s", session.user_id, expires.isoformat())
        return StoredKiteSession(session.user_id, session.access_token, valid_for, obtained, expires)

    def current_session(self, now: datetime) -> StoredKiteSession | None:
        """The newest unrevoked session valid at ``now``."""
        with self._sessions() as s:
            row = s.scalars(
                select(KiteSessionRow)
                .where(
                    KiteSessionRow.obtained_at <= now,
                    KiteSessionRow.expires_at > now,
                    KiteSessionRow.revoked_at.is_(None),
                )
                .order_by(KiteSessionRow.obtained_at.desc(), KiteSessionRow.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        RedactionFilter.register([row.access_token])
        return StoredKiteSession(
            row.user_id,
            SecretStr(row.access_token),
            row.valid_for,
            row.obtained_at.astimezone(IST),
            row.expires_at.astimezone(IST),
        )

    def current(self, now: datetime) -> SecretStr | None:
        """The access token valid at ``now``, or None (log in again)."""
        stored = self.current_session(now)
        return stored.access_token if stored is not None else None

    def revoke(self, now: datetime) -> int:
        """Mark every session still valid at ``now`` as revoked (Kite said the token is dead)."""
        with transaction(self._sessions) as s:
            result = s.execute(
                update(KiteSessionRow)
                .where(KiteSessionRow.expires_at > now, KiteSessionRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            log.warning("revoked %d Kite session(s): Kite refused the access token", count)
        return count
