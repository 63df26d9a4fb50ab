"""Test-wide fixtures: the loopback-only network guard and databases on both backends."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text

from core.persistence.db import make_engine, normalise_url

# Session-wide: no test secret in any captured output, failure report, log file or export.
pytest_plugins = ["tests.security.secret_scan"]

# ---- hypothesis: CI runs a fixed example sequence so a red run is reproducible -----------------
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    # A shared 2-core machine makes generation timing noisy; speed is measured in benchmarks instead.
    suppress_health_check=[HealthCheck.too_slow],
)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

# ---- network guard ------------------------------------------------------------------------------
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkBlockedError(RuntimeError):
    """A test tried to reach a host that is not on loopback."""


def _is_loopback(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX socket path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkBlockedError(f"tests may only connect to loopback, not {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkBlockedError(f"tests may only connect to loopback, not {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if name not in (None, "localhost", ""):
        try:
            ipaddress.ip_address(name)
        except ValueError as exc:
            raise NetworkBlockedError(f"tests may not resolve external host names ({name!r})") from exc
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo


# ---- databases ----------------------------------------------------------------------------------
POSTGRES_URL = os.environ.get("NIFTYBOT_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("NIFTYBOT_REQUIRE_POSTGRES") == "1"


def _postgres_reachable() -> str | None:
    if not POSTGRES_URL:
        return "NIFTYBOT_TEST_POSTGRES_URL is not set"
    try:
        eng = create_engine(normalise_url(POSTGRES_URL), connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
    except Exception as exc:  # any failure means: cannot run the PostgreSQL half
        return f"PostgreSQL at NIFTYBOT_TEST_POSTGRES_URL is unreachable: {type(exc).__name__}"
    return None


_PG_PROBLEM: str | None = None
_PG_PROBED = False


def postgres_problem() -> str | None:
    global _PG_PROBLEM, _PG_PROBED
    if not _PG_PROBED:
        _PG_PROBLEM, _PG_PROBED = _postgres_reachable(), True
    return _PG_PROBLEM


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_POSTGRES and postgres_problem():
        raise pytest.UsageError(
            f"NIFTYBOT_REQUIRE_POSTGRES=1 but {postgres_problem()}; CI must run the PostgreSQL tests"
        )


def _fresh_postgres_schema() -> tuple[Engine, str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = make_engine(
        POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=10, max_overflow=20
    )
    return engine, schema


def _drop_postgres_schema(schema: str) -> None:
    admin = create_engine(normalise_url(POSTGRES_URL))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    """An engine on an empty database, once per backend (PostgreSQL: a private schema)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        yield engine
        engine.dispose()
        return
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    engine, schema = _fresh_postgres_schema()
    try:
        yield engine
    finally:
        engine.dispose()
        _drop_postgres_schema(schema)


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A migrated database on each backend."""
    from core.persistence.db import upgrade

    upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def empty_engine_factory(request: pytest.FixtureRequest, tmp_path: Any, empty_engine: Engine) -> Any:
    """Makes further migrated databases on the same backend as ``empty_engine`` (for copy tests)."""
    from core.persistence.db import upgrade

    made: list[tuple[Engine, str | None]] = []
    backend = empty_engine.dialect.name

    def make() -> Engine:
        if backend == "sqlite":
            eng = make_engine(f"sqlite:///{tmp_path / f'extra{len(made)}.db'}")
            made.append((eng, None))
        else:
            eng, schema = _fresh_postgres_schema()
            made.append((eng, schema))
        upgrade(eng)
        return eng

    yield make
    for eng, schema in made:
        eng.dispose()
        if schema:
            _drop_postgres_schema(schema)
