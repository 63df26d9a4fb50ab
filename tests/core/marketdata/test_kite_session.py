"""The daily Kite login: token validity, the request-token exchange and the stored session."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from core.clock import IST, FixedClock
from core.config.settings import Settings
from core.errors import AuthenticationError, ConfigError, DataFetchError
from core.market_hours import default_calendar
from core.marketdata.kite import KiteSource
from core.marketdata.kite_session import (
    KiteAuth,
    KiteSession,
    KiteSessionStore,
    TokenCheck,
    request_token_from,
    session_expiry,
)
from core.persistence.db import session_factory
from core.persistence.models.kite import KiteSessionRow
from tests.fakes.kite_server import FakeKiteMarket, kite_registry, kite_source, running, sqlite_sessions

CAL = default_calendar()
NOW = datetime(2026, 11, 18, 8, 5, tzinfo=IST)
API_KEY, API_SECRET, TOKEN = "kiteapikey1234", "kiteapisecret5678", "accesstokenABCDEF123456"
REDIRECT = "https://niftybot.example/kite/callback?action=login&type=login&status=success&request_token={}"


@pytest.fixture
def server():
    market = FakeKiteMarket(CAL, FixedClock(NOW))
    with running(market, api_key=API_KEY, api_secret=API_SECRET, access_token=TOKEN) as srv:
        yield srv


@pytest.fixture
def sessions(tmp_path):
    with sqlite_sessions(tmp_path / "kite.db") as factory:
        yield factory


def auth(server, secret: str = API_SECRET) -> KiteAuth:
    return KiteAuth(API_KEY, SecretStr(secret), root=server.url, timeout=5.0, registry=kite_registry())


# ---- the validity rule --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("obtained", "expires"),
    [
        (datetime(2026, 11, 18, 8, 5, tzinfo=IST), datetime(2026, 11, 19, 6, 0, tzinfo=IST)),
        (datetime(2026, 11, 18, 23, 59, tzinfo=IST), datetime(2026, 11, 19, 6, 0, tzinfo=IST)),
        (datetime(2026, 11, 18, 5, 30, tzinfo=IST), datetime(2026, 11, 18, 6, 0, tzinfo=IST)),
        (datetime(2026, 11, 18, 6, 0, tzinfo=IST), datetime(2026, 11, 19, 6, 0, tzinfo=IST)),
    ],
)
def test_a_token_lapses_at_the_next_0600_ist(obtained, expires):
    assert session_expiry(obtained) == expires


@pytest.mark.property
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(IST)))
def test_the_lapse_is_always_a_0600_within_a_day(obtained):
    lapse = session_expiry(obtained)
    assert obtained < lapse <= obtained + timedelta(days=1)
    local = lapse.astimezone(IST)
    assert (local.hour, local.minute, local.second, local.microsecond) == (6, 0, 0, 0)


@pytest.mark.parametrize(
    "text",
    [
        "abcDEF123456",
        "  abcDEF123456\n",
        REDIRECT.format("abcDEF123456"),
        "niftybot.example/cb?request_token=abcDEF123456&status=success",
        "?request_token=abcDEF123456",
    ],
)
def test_the_request_token_is_found_in_a_bare_token_or_the_redirect(text):
    assert request_token_from(text) == "abcDEF123456"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("https://niftybot.example/cb?status=cancelled&request_token=abcDEF123456", "did not succeed"),
        ("https://niftybot.example/cb?status=success", "no request_token"),
        ("not a token!", "does not look like"),
        ("", "does not look like"),
    ],
)
def test_what_is_not_a_request_token_is_refused_before_any_call(text, why):
    with pytest.raises(AuthenticationError, match=why):
        request_token_from(text)


# ---- through the real client ------------------------------------------------------------------------------
async def test_a_valid_token_is_confirmed_by_the_profile(server, sessions):
    src = kite_source(server, sessions, kite_registry())
    assert await src.is_kite_token_valid() == TokenCheck(True, user_id="ZX4821")
    assert server.calls("profile")[0].authorized


async def test_an_expired_token_is_not_valid_and_says_why(server, sessions):
    src = kite_source(server, sessions, kite_registry(), access_token="expiredtoken000000")
    check = await src.is_kite_token_valid()
    assert not check.valid and check.user_id is None and "/login" in check.reason
    assert len(server.calls("profile")) == 1
    none = await kite_source(server, sessions, kite_registry(), access_token="").is_kite_token_valid()
    assert not none.valid and "no Kite access token" in none.reason


async def test_network_trouble_is_raised_not_reported_as_an_invalid_token(server, sessions):
    src = kite_source(server, sessions, kite_registry(max_retries=0))
    server.stop()
    with pytest.raises(DataFetchError, match="could not be reached"):
        await src.is_kite_token_valid()


def test_the_login_url_is_zerodhas_whatever_the_api_root(server):
    url = auth(server).login_url()
    assert url == f"https://kite.zerodha.com/connect/login?api_key={API_KEY}&v=3"
    assert server.url not in url


@pytest.mark.parametrize("form", ["redirect", "bare"])
async def test_the_exchange_takes_a_redirect_url_or_a_bare_token(server, sessions, form):
    request_token = server.issue_request_token()
    text = REDIRECT.format(request_token) if form == "redirect" else request_token
    session = await auth(server).exchange(text)
    assert session.user_id == "ZX4821"
    assert session.login_time == NOW and session.login_time.tzinfo is not None
    access = session.access_token.get_secret_value()
    assert access in server.access_tokens and access not in repr(session)
    sent = server.calls("session")[0].params
    assert sent["request_token"] == [request_token] and API_SECRET not in str(sent)  # only its checksum
    src = kite_source(server, sessions, kite_registry(), access_token=access)
    assert (await src.is_kite_token_valid()).valid


async def test_a_used_request_token_or_a_wrong_secret_is_refused(server):
    used = server.issue_request_token()
    await auth(server).exchange(used)
    with pytest.raises(AuthenticationError, match="works once"):
        await auth(server).exchange(used)
    with pytest.raises(AuthenticationError, match="works once"):
        await auth(server, secret="wrongsecret0000").exchange(server.issue_request_token())
    assert len(server.calls("session")) == 3  # refused, not retried


async def test_a_refused_login_link_makes_no_call(server):
    with pytest.raises(AuthenticationError, match="did not succeed"):
        await auth(server).exchange("https://niftybot.example/cb?status=cancelled&request_token=abcDEF123456")
    assert server.requests == []


# ---- the session store -------------------------------------------------------------------------------
def _session(token: str = TOKEN, login: datetime = NOW) -> KiteSession:
    return KiteSession("ZX4821", SecretStr(token), login)


@pytest.mark.db
def test_the_store_gives_the_token_valid_now_and_none_after_0600(engine):
    store = KiteSessionStore(session_factory(engine))
    stored = store.save(_session(), NOW + timedelta(minutes=1))
    assert stored.valid_for == date(2026, 11, 18)
    assert stored.obtained_at == NOW  # Kite's login time, the earlier of the two
    assert stored.expires_at == datetime(2026, 11, 19, 6, 0, tzinfo=IST)
    assert store.current(NOW - timedelta(minutes=1)) is None
    assert store.current(datetime(2026, 11, 18, 15, 0, tzinfo=IST)).get_secret_value() == TOKEN
    assert store.current(datetime(2026, 11, 19, 5, 59, tzinfo=IST)).get_secret_value() == TOKEN
    assert store.current(datetime(2026, 11, 19, 6, 0, tzinfo=IST)) is None


@pytest.mark.db
def test_the_newest_login_wins_and_a_revoked_token_is_gone(engine):
    store = KiteSessionStore(session_factory(engine))
    store.save(_session("firsttoken1111"), NOW)
    store.save(_session("secondtoken2222", NOW + timedelta(hours=1)), NOW + timedelta(hours=1))
    noon = datetime(2026, 11, 18, 12, 0, tzinfo=IST)
    assert store.current(noon).get_secret_value() == "secondtoken2222"
    assert store.revoke(noon) == 2
    assert store.current(noon) is None


@pytest.mark.db
def test_lapsed_sessions_are_pruned_after_a_month(engine):
    factory = session_factory(engine)
    store = KiteSessionStore(factory)
    store.save(_session("oldtoken1111", NOW - timedelta(days=40)), NOW - timedelta(days=40))
    store.save(_session("weekoldtoken22", NOW - timedelta(days=7)), NOW - timedelta(days=7))
    store.save(_session(), NOW)
    with factory() as s:
        assert sorted(r.access_token for r in s.query(KiteSessionRow)) == [TOKEN, "weekoldtoken22"]


@pytest.mark.db
async def test_login_to_stored_token_never_logs_a_secret(engine, server, caplog):
    caplog.set_level(logging.DEBUG)
    factory = session_factory(engine)
    store = KiteSessionStore(factory)
    session = await auth(server).exchange(REDIRECT.format(server.issue_request_token()))
    stored = store.save(session, NOW)
    token = store.current(NOW + timedelta(hours=2))
    src = kite_source(server, factory, kite_registry(), access_token=token.get_secret_value())
    assert (await src.is_kite_token_valid()).valid
    access = token.get_secret_value()
    assert access == session.access_token.get_secret_value()
    assert "ZX4821" in caplog.text  # the flow was logged ...
    for secret in (access, API_SECRET):
        assert secret not in caplog.text  # ... without its secrets
        assert secret not in repr(stored) and secret not in repr(session) and secret not in repr(src)
    with factory() as s:
        row = s.query(KiteSessionRow).one()
        assert access not in repr(row)


async def test_the_source_is_built_from_settings_and_takes_the_days_token(server, sessions):
    settings = Settings(
        _env_file=None, kite_api_key=SecretStr(API_KEY), kite_access_token=None, kite_api_root=server.url
    )
    src = KiteSource.from_settings(settings, registry=kite_registry(), sessions=sessions, calendar=CAL)
    assert not (await src.is_kite_token_valid()).valid and server.requests == []
    src.set_access_token(SecretStr(TOKEN))  # what /login does after the exchange
    assert await src.is_kite_token_valid() == TokenCheck(True, user_id="ZX4821")
    with pytest.raises(ConfigError, match="KITE_API_KEY"):
        KiteSource.from_settings(
            Settings(_env_file=None), registry=kite_registry(), sessions=sessions, calendar=CAL
        )
