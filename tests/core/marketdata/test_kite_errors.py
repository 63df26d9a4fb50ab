"""Kite failures become typed errors; retries, the breaker and secrets behave (real client, fake server)."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests
from kiteconnect import exceptions as kex

from core.clock import IST, FixedClock
from core.errors import (
    AuthenticationError,
    DataFetchError,
    RateLimitedError,
    SourceUnavailableError,
)
from core.market_hours import default_calendar
from core.marketdata.kite import KiteSource
from core.marketdata.kite_errors import _check_token_error, map_kite_error
from core.marketdata.ports import NIFTY
from core.resilience.breaker import BreakerState
from tests.fakes.kite_server import (
    FakeKiteMarket,
    Fault,
    Sleeps,
    Ticker,
    kite_registry,
    kite_source,
    running,
    sqlite_sessions,
)

CAL = default_calendar()
NOW = datetime(2026, 11, 18, 11, 0, 30, tzinfo=IST)
API_KEY, TOKEN = "kiteapikey1234", "accesstokenABCDEF123456"


@pytest.fixture
def server():
    with running(FakeKiteMarket(CAL, FixedClock(NOW)), api_key=API_KEY, access_token=TOKEN) as srv:
        yield srv


@pytest.fixture
def sessions(tmp_path):
    with sqlite_sessions(tmp_path / "kite.db") as factory:
        yield factory


# ---- the mapping table ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exc", "status", "kind", "transient"),
    [
        (kex.NetworkException("Too many requests", code=429), 429, RateLimitedError, True),
        (kex.GeneralException("Too many requests", code=429), 429, RateLimitedError, True),
        (kex.NetworkException("Gateway timed out", code=504), 504, DataFetchError, True),
        (kex.NetworkException("OMS unreachable", code=503), None, DataFetchError, True),
        (kex.DataException("Bad response from OMS", code=502), 502, DataFetchError, True),
        (kex.GeneralException("Something went wrong", code=500), 500, DataFetchError, True),
        (
            kex.DataException("Unknown Content-Type (text/html) with response: (<html>)"),
            502,
            DataFetchError,
            True,
        ),
        (kex.GeneralException("Route not found", code=404), 404, DataFetchError, False),
        (kex.InputException("Invalid `instrument_token`.", code=400), 400, DataFetchError, False),
        (kex.PermissionException("Insufficient permission", code=403), 403, DataFetchError, False),
        (
            kex.DataException("Couldn't parse the JSON response received from the server: b'{'"),
            200,
            DataFetchError,
            False,
        ),
        (requests.ConnectTimeout("connect timed out"), None, DataFetchError, True),
        (requests.ReadTimeout("read timed out"), None, DataFetchError, True),
        (requests.ConnectionError("refused"), None, DataFetchError, True),
        (requests.exceptions.InvalidURL("bad url"), None, DataFetchError, False),
        (KeyError("strike"), 200, DataFetchError, False),
        (ValueError("invalid literal for int()"), 200, DataFetchError, False),
        (RuntimeError("surprise"), None, DataFetchError, False),
    ],
)
def test_each_failure_maps_to_one_typed_error(exc, status, kind, transient):
    err = map_kite_error(exc, "quotes", status=status)
    assert type(err) is kind
    assert err.transient is transient and err.source == "kite"


def test_a_token_exception_is_the_daily_login_whatever_the_status():
    for status in (403, 400, None):
        err = map_kite_error(
            kex.TokenException("Incorrect `api_key` or `access_token`."), "quotes", status=status
        )
        assert isinstance(err, AuthenticationError) and err.source == "kite"
        assert "daily Kite session" in str(err) and "/login" in str(err)
    assert _check_token_error(kex.InputException("bad input")) is None


def test_secrets_never_reach_a_message():
    secrets = (API_KEY, TOKEN)
    leaky = [
        kex.TokenException(f"token {API_KEY}:{TOKEN} is invalid"),
        kex.InputException(f"bad access_token={TOKEN}"),
        kex.GeneralException(f"server echoed {API_KEY}", code=500),
        ValueError(f"cannot parse {TOKEN}"),
    ]
    for exc in leaky:
        text = str(map_kite_error(exc, "quotes", secrets=secrets))
        assert API_KEY not in text and TOKEN not in text and "***" in text


# ---- through the real client --------------------------------------------------------------------------
async def test_a_429_is_retried_then_raised_as_rate_limited(server, sessions):
    sleeps = Sleeps()
    src = kite_source(server, sessions, kite_registry(quote_rate=100, max_retries=2, sleep=sleeps))
    server.inject("quote", Fault.RATE_LIMIT, times=3)
    with pytest.raises(RateLimitedError, match="429"):
        await src.index_quote(NIFTY, NOW)
    assert len(server.calls("quote")) == 3 and len(sleeps.waits) == 2


async def test_a_single_429_is_absorbed_by_a_retry(server, sessions):
    src = kite_source(server, sessions, kite_registry(quote_rate=100))
    server.inject("quote", Fault.RATE_LIMIT, times=1)
    quote = await src.index_quote(NIFTY, NOW)
    assert quote.last > 0 and len(server.calls("quote")) == 2


@pytest.mark.parametrize("how", ["injected", "wrong token"])
async def test_a_token_exception_asks_for_login_and_is_not_retried(server, sessions, how):
    registry = kite_registry(quote_rate=100, threshold=1)
    token = TOKEN if how == "injected" else "expiredtoken000000"
    src = kite_source(server, sessions, registry, access_token=token)
    if how == "injected":
        server.inject("quote", Fault.TOKEN)
    with pytest.raises(AuthenticationError) as err:
        await src.index_quote(NIFTY, NOW)
    assert "/login" in str(err.value) and err.value.source == "kite"
    assert TOKEN not in str(err.value) and API_KEY not in str(err.value)
    assert len(server.calls("quote")) == 1
    assert registry.breaker("kite").state is BreakerState.CLOSED  # a token problem is not an outage


@pytest.mark.parametrize(("fault", "status"), [(Fault.SERVER_ERROR, "500"), (Fault.BAD_GATEWAY, "502")])
async def test_server_errors_are_transient_and_retried(server, sessions, fault, status):
    src = kite_source(server, sessions, kite_registry(quote_rate=100, max_retries=2))
    server.inject("quote", fault, times=None)
    with pytest.raises(DataFetchError, match=status) as err:
        await src.index_quote(NIFTY, NOW)
    assert err.value.transient
    assert len(server.calls("quote")) == 3


async def test_an_input_exception_is_not_retried(server, sessions):
    src = kite_source(server, sessions, kite_registry(quote_rate=100))
    server.inject("quote", Fault.INPUT)
    with pytest.raises(DataFetchError, match="InputException") as err:
        await src.index_quote(NIFTY, NOW)
    assert not err.value.transient and len(server.calls("quote")) == 1


async def _index(src: KiteSource) -> object:
    return await src.index_quote(NIFTY, NOW)


async def _expiries(src: KiteSource) -> object:
    return await src.expiries(NOW)


async def _candles(src: KiteSource) -> object:
    return await src.candles(NOW)


async def _profile(src: KiteSource) -> object:
    return await src.is_kite_token_valid()


@pytest.mark.parametrize(
    ("endpoint", "call", "fault", "names"),
    [
        ("quote", _index, Fault.MALFORMED, "index quotes"),
        ("quote", _index, Fault.INCOMPLETE, "last_price"),
        ("instruments", _expiries, Fault.MALFORMED, "instruments"),
        ("instruments", _expiries, Fault.INCOMPLETE, "strike"),
        ("historical", _candles, Fault.MALFORMED, "minute candles"),
        ("historical", _candles, Fault.INCOMPLETE, "IndexError"),
        ("profile", _profile, Fault.INCOMPLETE, "user_id"),
    ],
)
async def test_a_malformed_body_is_a_non_transient_error_naming_the_problem(
    server, sessions, endpoint, call, fault, names
):
    src = kite_source(server, sessions, kite_registry(quote_rate=100))
    server.inject(endpoint, fault)
    with pytest.raises(DataFetchError, match="malformed") as err:
        await call(src)
    assert names in str(err.value)
    assert not err.value.transient and len(server.calls(endpoint)) == 1


async def test_a_malformed_option_quote_names_the_field(server, sessions):
    src = kite_source(server, sessions, kite_registry(quote_rate=100))
    await src.expiries(NOW)
    server.inject("quote", Fault.INCOMPLETE)
    with pytest.raises(
        DataFetchError,
        match=r"malformed quotes of 18 options: NFO:NIFTY26D01\d+CE.last_price: Field required",
    ) as err:
        await src.chain(datetime(2026, 12, 1).date(), 23700.0, 4, NOW)
    assert not err.value.transient


async def test_connection_refused_is_transient_and_opens_the_breaker_until_recovery(server, sessions):
    ticker = Ticker()
    registry = kite_registry(quote_rate=100, max_retries=1, threshold=2, recovery=30, monotonic=ticker)
    src = kite_source(server, sessions, registry)
    server.stop()
    for _ in range(2):
        with pytest.raises(DataFetchError, match="could not be reached") as err:
            await src.index_quote(NIFTY, NOW)
        assert err.value.transient
    breaker = registry.breaker("kite")
    assert breaker.state is BreakerState.OPEN
    server.start()  # the same port again
    with pytest.raises(SourceUnavailableError):
        await src.is_kite_token_valid()  # every Kite endpoint shares the breaker
    assert server.requests == []
    ticker.advance(31)
    assert (await src.index_quote(NIFTY, NOW)).last > 0
    assert breaker.state is BreakerState.CLOSED


async def test_a_slow_answer_times_out_as_transient_and_trips_the_breaker(server, sessions):
    ticker = Ticker()
    registry = kite_registry(quote_rate=100, max_retries=1, threshold=2, recovery=30, monotonic=ticker)
    src = kite_source(server, sessions, registry, timeout=0.3)
    server.inject("quote", Fault.SLOW, times=None, delay=3.0)
    for _ in range(2):
        with pytest.raises(DataFetchError, match="in time") as err:
            await src.index_quote(NIFTY, NOW)
        assert err.value.transient
    assert len(server.calls("quote")) == 4  # two attempts per call
    assert registry.breaker("kite").state is BreakerState.OPEN
    server.clear_faults()
    ticker.advance(31)
    assert (await src.index_quote(NIFTY, NOW)).last > 0
    assert registry.breaker("kite").state is BreakerState.CLOSED
