"""The snapshot engine (seed: ``core/engine.py``): gathers every source at once into a MarketSnapshot.

Sources are awaited together with ``asyncio.gather(..., return_exceptions=True)``: one failing source
never takes the others down; each failure is logged with its source and kept in the snapshot's
``parts`` as FAILED. Freshness of each part is judged against ``EngineConfig.staleness``.

Two cheaper paths serve the replay (``core/replay``) without changing what a snapshot says:
- ``cache_daily``: the day's inputs that the port defines as fixed within a session (daily NIFTY and
  VIX bars *before today*, the IV history, the overnight global cues) are fetched once per IST day and
  reused; failures are never cached. Off by default: a live Yahoo feed can publish yesterday's bar late.
- :meth:`SnapshotEngine.build_quotes`: a quotes-only snapshot for marking positions (spot, VIX and the
  source's rows for the given expiries; no IV/Greeks, chain analytics, candles, vol or cues).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import pandas as pd

from core.analytics.chain import analyse_chain, enrich_chain, time_to_expiry
from core.analytics.indicators import atr, compute_technicals
from core.analytics.vol_distribution import build_vol_snapshot
from core.clock import IST
from core.config.schema import NiftyConfig
from core.domain.market import (
    ChainSnapshot,
    DataStatus,
    GlobalCue,
    IndexQuote,
    MarketSnapshot,
    PartInfo,
    Technicals,
    VolSnapshot,
)
from core.errors import DataValidationError, TradingBlockedError
from core.market_hours import NSECalendar
from core.marketdata.ports import INDIA_VIX, NIFTY, MarketDataSource

log = logging.getLogger(__name__)

TRADING_PARTS = ("spot", "vix", "chain", "vol")


class IVHistoryProvider(Protocol):
    def iv_history(self, now: datetime, days: int = 252) -> pd.Series: ...


@dataclass(frozen=True)
class _Failure:
    error: BaseException

    @property
    def text(self) -> str:
        return f"{type(self.error).__name__}: {self.error}"


@dataclass(frozen=True)
class DailyInputs:
    """What a full build fetched for the day's fixed inputs (the recorder stores these).

    ``nifty`` has daily close/high/low, ``vix`` daily close (percent units), both indexed by date and
    ending before ``day``; ``iv_history`` is daily ATM IV (decimal); ``cues`` the overnight markets.
    A part is ``None`` when its fetch failed.
    """

    day: date
    nifty: pd.DataFrame | None
    vix: pd.DataFrame | None
    iv_history: pd.Series | None
    cues: tuple[GlobalCue, ...] | None


class SnapshotEngine:
    """Builds one MarketSnapshot from a MarketDataSource with the analytics core."""

    def __init__(
        self,
        source: MarketDataSource,
        calendar: NSECalendar,
        config: NiftyConfig,
        iv_history: IVHistoryProvider | None = None,
        *,
        cache_daily: bool = False,
    ) -> None:
        self.source = source
        self.calendar = calendar
        self.config = config
        self.iv_history = iv_history
        self.cache_daily = cache_daily
        self.last_daily: DailyInputs | None = None  # the latest full build's daily inputs
        self.last_expiries: list[date] | None = None  # the listed expiries of the latest full build

    def _cached(self, day: date) -> DailyInputs | None:
        d = self.last_daily
        return d if self.cache_daily and d is not None and d.day == day else None

    async def _daily(self, what: str, coro: Any, cached: Any) -> Any:
        if cached is not None:
            coro.close()  # never awaited: the day's value is known
            return cached
        return await self._safe(what, coro)

    def _iv_series(self, now: datetime, cached: DailyInputs | None) -> pd.Series:
        if cached is not None and cached.iv_history is not None:
            return cached.iv_history
        if self.iv_history is None:
            return pd.Series(dtype=float)
        return self.iv_history.iv_history(now)

    async def _safe(self, what: str, coro: Any) -> Any:
        try:
            return await coro
        except Exception as exc:  # a failing source is data, not a crash
            log.warning("source %s failed for %s: %s", self.source.name, what, exc)
            return _Failure(exc)

    def _status(self, as_of: datetime | None, limit_seconds: int, now: datetime) -> DataStatus:
        if as_of is None:
            return DataStatus.UNKNOWN
        market_open = self.calendar.is_market_open(now)
        if not market_open:
            return DataStatus.FRESH  # outside the session the last close is the freshest there is
        return DataStatus.FRESH if (now - as_of).total_seconds() <= limit_seconds else DataStatus.STALE

    def _chain_expiries(self, expiries: list[date]) -> list[date]:
        desk = self.config.options_desk
        weekly = expiries[: desk.weekly_expiries]
        monthly = [e for e in expiries if self.calendar.monthly_expiry(e.year, e.month) == e]
        return sorted({*weekly, *monthly[: desk.monthly_expiries]})

    async def build(self, now: datetime) -> MarketSnapshot:
        if now.tzinfo is None:
            raise ValueError("build needs an aware datetime")
        src, limits = self.source, self.config.engine.staleness
        today = now.astimezone(IST).date()
        cached = self._cached(today)
        spot, vix, expiries, candles, nifty_d, vix_d, cues = await asyncio.gather(
            self._safe("spot", src.index_quote(NIFTY, now)),
            self._safe("vix", src.index_quote(INDIA_VIX, now)),
            self._safe("expiries", src.expiries(now)),
            self._safe("candles", src.candles(now)),
            self._daily("nifty daily", src.daily_history(NIFTY, now, 300), cached and cached.nifty),
            self._daily("vix daily", src.daily_history(INDIA_VIX, now, 300), cached and cached.vix),
            self._daily("global cues", src.global_cues(now), cached and cached.cues),
        )
        if isinstance(cues, tuple):
            cues = list(cues)
        self.last_expiries = list(expiries) if isinstance(expiries, list) else None
        parts: dict[str, PartInfo] = {}
        names: dict[str, str] = getattr(src, "part_sources", {})

        def source_of(key: str) -> str:
            return names.get(key, src.name)

        def part(key: str, value: Any, as_of: datetime | None, limit: int) -> None:
            if isinstance(value, _Failure):
                parts[key] = PartInfo(source_of(key), DataStatus.FAILED, None, value.text)
            else:
                parts[key] = PartInfo(source_of(key), self._status(as_of, limit, now), as_of)

        spot_q = spot if isinstance(spot, IndexQuote) else None
        vix_q = vix if isinstance(vix, IndexQuote) else None
        part("spot", spot, spot_q.timestamp if spot_q else None, limits.spot_seconds)
        part("vix", vix, vix_q.timestamp if vix_q else None, limits.vix_seconds)

        chains: list[ChainSnapshot] = []
        if spot_q is not None and isinstance(expiries, list):
            chains, chain_info = await self._chains(spot_q, self._chain_expiries(expiries), now)
            parts["chain"] = chain_info
        else:
            why = expiries.text if isinstance(expiries, _Failure) else "spot unavailable"
            parts["chain"] = PartInfo(source_of("chain"), DataStatus.FAILED, None, why)

        technicals: Technicals | None = None
        if isinstance(candles, pd.DataFrame):
            await _yield()
            technicals = compute_technicals(candles) if not candles.empty else None
            if technicals is not None and isinstance(nifty_d, pd.DataFrame):
                technicals = replace(technicals, daily_atr=daily_atr(nifty_d))
            part("candles", candles, technicals.as_of if technicals else None, limits.candles_seconds)
        else:
            part("candles", candles, None, limits.candles_seconds)

        global_cues = tuple(cues) if isinstance(cues, list) else ()
        known_cues = [c for c in global_cues if c.last is not None]
        parts["global"] = (
            PartInfo(source_of("global"), DataStatus.FAILED, None, cues.text)
            if isinstance(cues, _Failure)
            else PartInfo(source_of("global"), DataStatus.FRESH if known_cues else DataStatus.UNKNOWN, now)
        )

        await _yield()
        history = self._iv_series(now, cached) if isinstance(nifty_d, pd.DataFrame) else None
        self.last_daily = DailyInputs(
            today,
            nifty_d if isinstance(nifty_d, pd.DataFrame) else None,
            vix_d if isinstance(vix_d, pd.DataFrame) else None,
            history,
            global_cues if isinstance(cues, list) else None,
        )
        vol = self._vol(nifty_d, vix_d, chains, now, history)
        parts["vol"] = (
            PartInfo(source_of("vol"), DataStatus.FRESH, now)
            if vol is not None and vol.known
            else PartInfo(
                source_of("vol"), DataStatus.UNKNOWN, None, "; ".join(vol.warnings) if vol else "no history"
            )
        )
        return MarketSnapshot(
            taken_at=now,
            spot=spot_q,
            vix=vix_q,
            chains=tuple(chains),
            candles=candles if isinstance(candles, pd.DataFrame) else None,
            technicals=technicals,
            global_cues=global_cues,
            vol=vol,
            parts=parts,
        )

    async def build_quotes(
        self, now: datetime, expiries: Sequence[date], strikes: Mapping[date, Collection[float]] | None = None
    ) -> MarketSnapshot:
        """A quotes-only snapshot for marking positions at ``now``.

        It has spot, VIX and the chains of ``expiries`` with the source's columns only (no ``mid``,
        IV or Greeks; ``analytics`` is None): the monitor marks from ``ChainSnapshot.quotes``.
        Candles, technicals, the vol picture and global cues are absent, so their parts are missing
        and the snapshot cannot pass the trading gates: it is for the monitor, never for a scan or an
        approval. With ``strikes`` (per expiry) and a source that can quote single strikes
        (``chain_at``), only those rows are quoted.
        """
        if now.tzinfo is None:
            raise ValueError("build_quotes needs an aware datetime")
        src, limits = self.source, self.config.engine.staleness
        spot, vix = await asyncio.gather(
            self._safe("spot", src.index_quote(NIFTY, now)),
            self._safe("vix", src.index_quote(INDIA_VIX, now)),
        )
        names: dict[str, str] = getattr(src, "part_sources", {})
        parts: dict[str, PartInfo] = {}
        spot_q = spot if isinstance(spot, IndexQuote) else None
        vix_q = vix if isinstance(vix, IndexQuote) else None
        for key, got, q, limit in (
            ("spot", spot, spot_q, limits.spot_seconds),
            ("vix", vix, vix_q, limits.vix_seconds),
        ):
            parts[key] = (
                PartInfo(names.get(key, src.name), DataStatus.FAILED, None, got.text)
                if isinstance(got, _Failure)
                else PartInfo(
                    names.get(key, src.name),
                    self._status(q.timestamp if q else None, limit, now),
                    q.timestamp if q else None,
                )
            )
        chains: list[ChainSnapshot] = []
        wanted = sorted(set(expiries))
        if spot_q is not None and wanted:
            chains, parts["chain"] = await self._chains(
                spot_q, wanted, now, quotes_only=True, strikes=strikes
            )
        return MarketSnapshot(taken_at=now, spot=spot_q, vix=vix_q, chains=tuple(chains), parts=parts)

    async def _raw_chains(
        self,
        spot: IndexQuote,
        expiries: list[date],
        now: datetime,
        strikes: Mapping[date, Collection[float]] | None = None,
    ) -> list[Any]:
        """One frame (or failure) per expiry; a source with ``chains`` quotes them all in one batch, one
        with ``chain_at`` quotes only the given strikes."""
        window = self.config.options_desk.strike_window
        at = getattr(self.source, "chain_at", None)
        if strikes is not None and at is not None:
            return list(
                await asyncio.gather(
                    *(self._safe(f"quotes {e}", at(e, sorted(strikes.get(e, ())), now)) for e in expiries)
                )
            )
        batch = getattr(self.source, "chains", None)
        if batch is not None:
            got = await self._safe("chains", batch(expiries, spot.last, window, now))
            if isinstance(got, _Failure):
                return [got for _ in expiries]
            missing = _Failure(LookupError("expiry not quoted"))
            return [got.get(e, missing) for e in expiries]
        return list(
            await asyncio.gather(
                *(self._safe(f"chain {e}", self.source.chain(e, spot.last, window, now)) for e in expiries)
            )
        )

    async def _chains(
        self,
        spot: IndexQuote,
        expiries: list[date],
        now: datetime,
        *,
        quotes_only: bool = False,
        strikes: Mapping[date, Collection[float]] | None = None,
    ) -> tuple[list[ChainSnapshot], PartInfo]:
        raw = await self._raw_chains(spot, expiries, now, strikes)
        eng = self.config.engine
        out: list[ChainSnapshot] = []
        errors: list[str] = []
        newest: datetime | None = None
        for expiry, frame in zip(expiries, raw, strict=True):
            if isinstance(frame, _Failure):
                errors.append(f"{expiry}: {frame.text}")
                continue
            t = time_to_expiry(now, expiry, self.calendar.fo_close_time(expiry))
            if quotes_only:
                enriched = (
                    frame  # the source's columns only: the monitor reads bid/ask (ChainSnapshot.quotes)
                )
                analytics = None
            else:
                enriched = enrich_chain(frame, spot.last, t, eng.risk_free_rate, eng.dividend_yield)
                analytics = (
                    analyse_chain(enriched, spot.last, expiry, t, eng.risk_free_rate, eng.dividend_yield)
                    if len(enriched)
                    else None
                )
            out.append(ChainSnapshot("NIFTY", expiry, spot.last, now, enriched, analytics))
            if not quotes_only:
                await _yield()
            if len(frame):
                stamp = pd.Timestamp(frame["quote_time"].max()).to_pydatetime()
                newest = stamp if newest is None or stamp > newest else newest
        if not out:
            return out, PartInfo(
                self._chain_source(), DataStatus.FAILED, None, "; ".join(errors) or "no chains"
            )
        status = self._status(newest, self.config.engine.staleness.chain_seconds, now)
        return out, PartInfo(self._chain_source(), status, newest, "; ".join(errors) or None)

    def _chain_source(self) -> str:
        names: dict[str, str] = getattr(self.source, "part_sources", {})
        return names.get("chain", self.source.name)

    def _vol(
        self,
        nifty_d: Any,
        vix_d: Any,
        chains: list[ChainSnapshot],
        now: datetime,
        history: pd.Series | None = None,
    ) -> VolSnapshot | None:
        if not isinstance(nifty_d, pd.DataFrame):
            return None
        vix_frame = vix_d if isinstance(vix_d, pd.DataFrame) else pd.DataFrame()
        atm_iv = None
        if chains and chains[0].analytics is not None:
            atm_iv = chains[0].analytics.atm_iv
        if history is None:
            history = self._iv_series(now, None)
        try:
            return build_vol_snapshot(
                nifty_d, vix_frame, history, now.astimezone(IST).date(), self.calendar, atm_iv
            )
        except DataValidationError as exc:
            log.warning("vol snapshot unknown: %s", exc)
            return None


async def _yield() -> None:
    """Let the event loop run what is ready between the build's CPU-bound steps (one expiry's IV,
    Greeks and analytics; the technicals; the vol picture): a full build is 30-60 ms of computation,
    and done in one go it held every command behind it (docs/benchmarks.md, "Load")."""
    await asyncio.sleep(0)


def daily_atr(daily: pd.DataFrame, window: int = 14) -> float | None:
    """Wilder ATR on daily bars (close, high, low); None with too little or unusable history."""
    needed = {"close", "high", "low"}
    if not needed <= set(daily.columns) or len(daily) < window:
        return None
    bars = daily[["high", "low", "close"]].dropna()
    if len(bars) < window:
        return None
    value = float(atr(bars, window).iloc[-1])
    return value if math.isfinite(value) and value > 0 else None


def require_fresh(snapshot: MarketSnapshot, parts: tuple[str, ...] = TRADING_PARTS) -> None:
    """Raise TradingBlockedError naming every required part that is not fresh."""
    problems = snapshot.stale_parts(parts)
    if problems:
        raise TradingBlockedError("Trading is blocked: market data is not fresh.", reasons=problems)


def snapshot_age(snapshot: MarketSnapshot, now: datetime) -> timedelta:
    return now - snapshot.taken_at


def cue(snapshot: MarketSnapshot, symbol: str) -> GlobalCue | None:
    return next((c for c in snapshot.global_cues if c.symbol == symbol), None)


def finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)
