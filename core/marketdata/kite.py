"""``MARKET_DATA=kite``: the MarketDataSource on Zerodha's Kite Connect (seed: ``core/nse_fetcher.py``).

The real ``kiteconnect`` client is synchronous, so each call runs in a worker thread
(``asyncio.to_thread``) inside ``registry.guard("kite", endpoint)``: ``kite_quote`` (1 request/s, shared
by /quote, /quote/ltp and /quote/ohlc), ``kite_historical`` (3/s) and ``kite_other`` (10/s). All three
share the ``kite`` circuit breaker. Errors are typed by :mod:`core.marketdata.kite_errors`; payloads
are checked by :mod:`core.marketdata.kite_payloads`; contracts come from the daily instruments dump
(:mod:`core.marketdata.kite_instruments`); ``oi_change`` follows :mod:`core.marketdata.kite_oi`.

Indices: ``NSE:NIFTY 50`` (token 256265) and ``NSE:INDIA VIX`` (token 264969). Times: Kite's quote
timestamps are naive IST and are made aware; candles come back aware (+05:30) and are shown in IST.
Global cues are not Kite's: a composite source routes them to Yahoo.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TypeVar

import pandas as pd
from kiteconnect import KiteConnect
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from core.clock import IST
from core.config.settings import Settings
from core.domain.market import GlobalCue, IndexQuote, OptionContract
from core.errors import AuthenticationError, ConfigError, DataFetchError, DataValidationError
from core.market_hours import NSECalendar
from core.marketdata.kite_errors import SOURCE, KiteCaller, _check_token_error
from core.marketdata.kite_instruments import InstrumentsCache, KiteInstrumentsRepository, NiftyContracts
from core.marketdata.kite_oi import OiBaseline
from core.marketdata.kite_payloads import (
    INDEX_KEYS,
    OptionQuote,
    Profile,
    candles_frame,
    chain_frame,
    index_quotes,
    last_prices,
    nifty_options_from_csv,
    option_quotes,
)
from core.marketdata.kite_session import TokenCheck
from core.marketdata.ports import INDIA_VIX, NIFTY
from core.resilience.guard import GuardRegistry

log = logging.getLogger(__name__)
T = TypeVar("T")

INDEX_TOKENS = {NIFTY: 256265, INDIA_VIX: 264969}
QUOTE_BATCH = 500  # instruments per /quote call (Kite's limit)
LTP_BATCH = 1000  # instruments per /quote/ltp call
DAY_SPAN = 2000  # calendar days per historical "day" request (Kite's limit)
_STAMP = "%Y-%m-%d %H:%M:%S"  # historical from/to: naive IST

__all__ = ["KiteSource", "TokenCheck", "_check_token_error"]


def _local(now: datetime) -> datetime:
    """``now`` in IST; a naive ``now`` is a caller bug, not a time to guess."""
    if now.tzinfo is None:
        raise ValueError("the Kite source needs an aware datetime for now")
    return now.astimezone(IST)


def _plain(value: SecretStr | str | None) -> str:
    if value is None:
        return ""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class KiteSource:
    """NIFTY quotes, chains, candles and history from Kite; ``now`` is always an aware datetime."""

    name = SOURCE

    def __init__(
        self,
        api_key: SecretStr | str,
        access_token: SecretStr | str | None,
        *,
        root: str,
        timeout: float,
        registry: GuardRegistry,
        sessions: sessionmaker[Session],
        calendar: NSECalendar,
    ) -> None:
        """``timeout`` (seconds) is the client's; keep it below the guards' timeout so threads end first."""
        self._api_key = _plain(api_key)
        self._kite = KiteConnect(api_key=self._api_key, root=root, timeout=timeout)
        self._caller = KiteCaller(self._secrets)
        self._caller.install(self._kite.reqsession)
        self.set_access_token(access_token)
        self._root = root
        self._registry = registry
        self._calendar = calendar
        self._instruments = InstrumentsCache(KiteInstrumentsRepository(sessions), self._download_dump)
        self._oi = OiBaseline(sessions, calendar)
        self._index_inflight: dict[datetime, asyncio.Task[dict[str, IndexQuote]]] = {}

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        registry: GuardRegistry,
        sessions: sessionmaker[Session],
        calendar: NSECalendar,
        access_token: SecretStr | None = None,
    ) -> KiteSource:
        """Build from KITE_API_KEY, KITE_ACCESS_TOKEN (or a stored token) and KITE_API_ROOT."""
        if settings.kite_api_key is None:
            raise ConfigError("MARKET_DATA=kite needs KITE_API_KEY (and a daily login for the access token).")
        limits = registry.config.rate_limits
        guard_timeout = min(
            limits[k].timeout_seconds for k in ("kite_quote", "kite_other", "kite_historical")
        )
        return cls(
            settings.kite_api_key,
            access_token or settings.kite_access_token,
            root=settings.kite_api_root,
            timeout=max(guard_timeout - 0.5, 0.5),
            registry=registry,
            sessions=sessions,
            calendar=calendar,
        )

    def __repr__(self) -> str:
        return f"KiteSource(root={self._root!r})"

    def set_access_token(self, token: SecretStr | str | None) -> None:
        """Use a new access token (after the daily /login)."""
        self._token = _plain(token)
        self._kite.set_access_token(self._token or None)

    def _secrets(self) -> tuple[str, ...]:
        return (self._api_key, self._token)

    def _check_token_error(self, exc: BaseException) -> AuthenticationError | None:
        """The /login ``AuthenticationError`` when ``exc`` is Kite's TokenException, else None."""
        return _check_token_error(exc, self._secrets())

    async def _call(self, endpoint: str, what: str, fn: Callable[[], T]) -> T:
        """``fn()`` (client call and parsing) in a thread under the ``kite`` guard for ``endpoint``."""
        if not self._token:
            raise AuthenticationError("There is no Kite session yet; log in with /login.", source=SOURCE)

        async def attempt() -> T:
            return await asyncio.to_thread(self._caller.run, fn, what)

        return await self._registry.guard(SOURCE, endpoint).call(attempt, what=what)

    # ---- session ----------------------------------------------------------------------------------
    async def is_kite_token_valid(self) -> TokenCheck:
        """Ask ``/user/profile``: valid with the user id, or not valid with the reason.

        Network trouble raises the typed ``DataFetchError``; only a token problem returns ``valid=False``.
        """
        if not self._token:
            return TokenCheck(False, reason="no Kite access token is set; log in with /login")
        try:
            profile = await self._call(
                "kite_other", "profile", lambda: Profile.model_validate(self._kite.profile())
            )
        except AuthenticationError as exc:
            return TokenCheck(False, reason=str(exc))
        return TokenCheck(True, user_id=profile.user_id)

    # ---- index quotes -----------------------------------------------------------------------------
    async def index_quote(self, symbol: str, now: datetime) -> IndexQuote:
        """NIFTY 50 or India VIX; both come from one /quote call shared by callers with the same ``now``."""
        if symbol not in INDEX_KEYS:
            raise DataFetchError(
                f"The Kite source quotes {NIFTY} and {INDIA_VIX}, not {symbol!r}.",
                source=SOURCE,
                transient=False,
            )
        _local(now)
        task = self._index_inflight.get(now)
        if task is None:
            task = asyncio.ensure_future(self._fetch_index_quotes())
            self._index_inflight[now] = task
            task.add_done_callback(lambda t: self._index_done(now, t))
        return (await asyncio.shield(task))[symbol]

    def _index_done(self, now: datetime, task: asyncio.Task[dict[str, IndexQuote]]) -> None:
        if self._index_inflight.get(now) is task:
            del self._index_inflight[now]
        if not task.cancelled():
            task.exception()  # retrieved here so an abandoned failure is not reported as unhandled

    async def _fetch_index_quotes(self) -> dict[str, IndexQuote]:
        keys = list(INDEX_KEYS.values())
        return await self._call("kite_quote", "index quotes", lambda: index_quotes(self._kite.quote(keys)))

    # ---- contracts and chains ---------------------------------------------------------------------
    async def contracts(self, now: datetime) -> NiftyContracts:
        """Today's NIFTY option contracts: memory, else the database cache, else a fresh download."""
        return await self._instruments.get(_local(now))

    async def _download_dump(self) -> list[OptionContract]:
        return await self._call("kite_other", "NFO instruments dump", self._nifty_dump)

    async def expiries(self, now: datetime) -> list[date]:
        """Listed expiries from today on, nearest first (today's is dropped after the F&O close)."""
        local = _local(now)
        listed = (await self.contracts(now)).expiries(local.date())
        return [e for e in listed if local < datetime.combine(e, self._calendar.fo_close_time(e), IST)]

    async def chain(self, expiry: date, center: float, window: int, now: datetime) -> pd.DataFrame:
        """One expiry's chain (see :meth:`chains`)."""
        return (await self.chains([expiry], center, window, now))[expiry]

    async def chains(
        self, expiries: list[date], center: float, window: int, now: datetime
    ) -> dict[date, pd.DataFrame]:
        """Chains of ``window`` listed strikes each side of the one nearest ``center`` for every expiry.

        All options are quoted together, QUOTE_BATCH per /quote call (the fewest calls). Each frame has
        exactly CHAIN_INPUT_COLUMNS; an expiry Kite does not list gives an empty frame.
        """
        if not (isinstance(center, (int, float)) and math.isfinite(center) and center > 0) or window < 0:
            raise DataValidationError(
                f"A chain needs a finite positive centre and a window of 0 or more "
                f"(got {center!r}, {window}).",
                errors=["bad chain request"],
            )
        _local(now)
        book = await self.contracts(now)
        picked = {e: book.chain_contracts(e, center, window) for e in dict.fromkeys(expiries)}
        for e, cs in picked.items():
            if not cs:
                log.warning("Kite lists no NIFTY options expiring %s", e)
        keys = list(dict.fromkeys(f"{c.exchange}:{c.tradingsymbol}" for cs in picked.values() for c in cs))
        quotes: dict[str, OptionQuote] = {}
        for i in range(0, len(keys), QUOTE_BATCH):
            batch = keys[i : i + QUOTE_BATCH]
            fetch = functools.partial(self._option_quotes, batch)
            quotes.update(await self._call("kite_quote", f"quotes of {len(batch)} options", fetch))
        if len(quotes) < len(keys):
            log.warning("Kite quoted %d of %d NIFTY options asked for", len(quotes), len(keys))
        tokens = {f"{c.exchange}:{c.tradingsymbol}": c.instrument_token for cs in picked.values() for c in cs}
        ois = {tokens[k]: int(q.oi) for k, q in quotes.items() if k in tokens}
        base = await asyncio.to_thread(self._oi.for_quotes, now, ois)
        return {e: chain_frame(cs, quotes, base) for e, cs in picked.items()}

    def _nifty_dump(self) -> list[OptionContract]:
        """The NFO dump through the client's request path (auth, errors), parsed by us: see
        :func:`nifty_options_from_csv` for why ``KiteConnect.instruments()`` is not used to parse it."""
        return nifty_options_from_csv(self._kite._get("market.instruments", url_args={"exchange": "NFO"}))

    def _option_quotes(self, keys: list[str]) -> dict[str, OptionQuote]:
        return option_quotes(self._kite.quote(keys))

    def _candles(self, token: int, start: datetime, end: datetime, interval: str, what: str) -> pd.DataFrame:
        """Candles of ``token`` from ``start`` to ``end`` (sent as naive IST, as Kite expects)."""
        records = self._kite.historical_data(
            token, start.astimezone(IST).strftime(_STAMP), end.astimezone(IST).strftime(_STAMP), interval
        )
        return candles_frame(records, what)

    def _last_prices(self, keys: list[str]) -> dict[str, float]:
        return last_prices(self._kite.ltp(keys))

    async def last_prices(self, instruments: Sequence[str]) -> dict[str, float]:
        """Last traded prices of ``"EXCHANGE:SYMBOL"`` keys via /quote/ltp (LTP_BATCH per call)."""
        keys = list(dict.fromkeys(instruments))
        out: dict[str, float] = {}
        for i in range(0, len(keys), LTP_BATCH):
            batch = keys[i : i + LTP_BATCH]
            fetch = functools.partial(self._last_prices, batch)
            out.update(await self._call("kite_quote", f"last prices of {len(batch)}", fetch))
        return out

    # ---- history ----------------------------------------------------------------------------------
    async def candles(self, now: datetime) -> pd.DataFrame:
        """Today's completed one-minute NIFTY candles up to ``now``, indexed by aware IST bar start."""
        local = _local(now)
        session = self._calendar.session(local.date())
        if session is None or local < session.open:
            return candles_frame([], "minute candles")
        end = min(local, session.close)
        fetch = functools.partial(
            self._candles, INDEX_TOKENS[NIFTY], session.open, end, "minute", "NIFTY minute candles"
        )
        frame = await self._call("kite_historical", "NIFTY minute candles", fetch)
        done = (frame.index >= session.open) & (frame.index + pd.Timedelta(minutes=1) <= pd.Timestamp(local))
        return frame[done]

    async def daily_history(self, symbol: str, now: datetime, days: int) -> pd.DataFrame:
        """Daily bars (close, high, low) of NIFTY or VIX before today, indexed by naive dates."""
        if symbol not in INDEX_TOKENS:
            raise DataFetchError(
                f"The Kite source has history for {NIFTY} and {INDIA_VIX}, not {symbol!r}.",
                source=SOURCE,
                transient=False,
            )
        today = _local(now).date()
        start = today - timedelta(days=math.ceil(days * 7 / 5) + 30)  # weekends and holidays
        frames: list[pd.DataFrame] = []
        cursor = start
        while cursor < today:
            stop = min(cursor + timedelta(days=DAY_SPAN - 1), today - timedelta(days=1))
            first = datetime.combine(cursor, time(0, 0), IST)
            last = datetime.combine(stop, time(23, 59, 59), IST)
            what = f"{symbol} daily history"
            fetch = functools.partial(self._candles, INDEX_TOKENS[symbol], first, last, "day", what)
            frames.append(await self._call("kite_historical", what, fetch))
            cursor = stop + timedelta(days=1)
        frame = pd.concat(frames) if frames else candles_frame([], "daily history")
        frame.index = pd.DatetimeIndex(frame.index).tz_localize(None).normalize()
        frame = frame[~frame.index.duplicated(keep="last")]
        return frame[frame.index < pd.Timestamp(today)][["close", "high", "low"]].tail(days)

    async def global_cues(self, now: datetime) -> list[GlobalCue]:
        raise DataFetchError(
            "Kite does not provide global cues (S&P 500, crude, USD/INR ...); they come from Yahoo.",
            source=SOURCE,
            transient=False,
        )
