"""``niftybot login``: the daily Kite login from the terminal (the same flow as /login in the chat)."""

from __future__ import annotations

import argparse
import asyncio
import getpass

from core.cli.common import add_config_arg, migrated_engine, settings_and_config
from core.clock import SystemClock
from core.errors import ConfigError
from core.persistence.db import session_factory


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("login", help="log in to Kite for the day and store the access token")
    add_config_arg(p)
    p.add_argument("token", nargs="?", help="the redirect URL or request token (asked for when omitted)")
    p.set_defaults(handler=_login)


def _login(args: argparse.Namespace) -> int:
    from core.marketdata.kite_session import KiteAuth, KiteSessionStore
    from core.resilience import GuardRegistry

    settings, config = settings_and_config(args)
    if settings.kite_api_key is None or settings.kite_api_secret is None:
        raise ConfigError("KITE_API_KEY and KITE_API_SECRET must be set for the Kite login.")
    registry = GuardRegistry(config.engine)
    auth = KiteAuth(
        settings.kite_api_key,
        settings.kite_api_secret,
        root=settings.kite_api_root,
        timeout=7.0,
        registry=registry,
    )
    pasted = args.token
    if not pasted:
        print(f"Open this link, log in, and paste the address you are sent to:\n{auth.login_url()}")
        pasted = getpass.getpass("redirect URL or request token (hidden): ")
    session = asyncio.run(auth.exchange(pasted.strip()))
    stored = KiteSessionStore(session_factory(migrated_engine(settings))).save(session, SystemClock().now())
    print(f"Kite session stored for {session.user_id}; valid until {stored.expires_at:%d %b %Y %H:%M} IST.")
    return 0
