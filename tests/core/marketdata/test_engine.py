"""The snapshot engine: one failing source never takes the others down; freshness is judged."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.clock import IST
from core.config.schema import NiftyConfig
from core.domain.market import DataStatus
from core.errors import TradingBlockedError
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine, require_fresh
from core.marketdata.simulator import SimulatedMarket

CAL = default_calendar()
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=IST)


class Broken(SimulatedMarket):
    """The simulator with chosen parts failing."""

    def __init__(self, failing: set[str]) -> None:
        super().__init__(CAL, seed=7)
        self.failing = failing

    async def chain(self, *args, **kwargs):
        if "chain" in self.failing:
            raise ConnectionError("chain endpoint down")
        return await super().chain(*args, **kwargs)

    async def global_cues(self, now):
        if "global" in self.failing:
            raise TimeoutError("yahoo timed out")
        return await super().global_cues(now)


async def test_a_full_snapshot_from_the_simulator_is_fresh_everywhere():
    market = SimulatedMarket(CAL, seed=7)
    snap = await SnapshotEngine(market, CAL, NiftyConfig(), iv_history=market).build(NOW)
    assert {p.status for p in snap.parts.values()} == {DataStatus.FRESH}
    assert len(snap.chains) == 3  # two weeklies and the monthly
    near = snap.chain()
    assert near.analytics is not None and near.analytics.atm_iv is not None
    assert near.frame["iv"].notna().mean() > 0.9
    assert snap.vol is not None and snap.vol.known
    require_fresh(snap)


async def test_failing_sources_are_recorded_and_the_rest_still_arrive():
    market = Broken({"chain", "global"})
    snap = await SnapshotEngine(market, CAL, NiftyConfig(), iv_history=market).build(NOW)
    assert snap.spot is not None and snap.vix is not None and snap.technicals is not None
    assert snap.parts["chain"].status is DataStatus.FAILED
    assert "chain endpoint down" in snap.parts["chain"].error
    assert snap.parts["global"].status is DataStatus.FAILED
    assert snap.parts["spot"].status is DataStatus.FRESH
    with pytest.raises(TradingBlockedError) as blocked:
        require_fresh(snap)
    assert any(r.startswith("chain: failed") for r in blocked.value.reasons)


async def test_old_quotes_during_the_session_are_stale():
    market = SimulatedMarket(CAL, seed=7)
    engine = SnapshotEngine(market, CAL, NiftyConfig(), iv_history=market)
    snap = await engine.build(NOW)
    # Judge the same quotes ten minutes later: spot (limit 120 s) is stale.
    later = NOW.replace(minute=10)
    assert engine._status(snap.spot.timestamp, 120, later) is DataStatus.STALE


async def test_without_iv_history_the_vol_snapshot_is_unknown_not_neutral():
    market = SimulatedMarket(CAL, seed=7)
    snap = await SnapshotEngine(market, CAL, NiftyConfig(), iv_history=None).build(NOW)
    assert snap.vol is not None
    assert snap.vol.iv_percentile is None
    assert snap.parts["vol"].status is DataStatus.UNKNOWN
    with pytest.raises(TradingBlockedError, match="not fresh"):
        require_fresh(snap)


class Counted(SimulatedMarket):
    """The simulator, noting when the last chain was quoted (after that the build only computes)."""

    def __init__(self) -> None:
        super().__init__(CAL, seed=7)
        self.chains_asked = 0

    async def chain(self, *args, **kwargs):
        frame = await super().chain(*args, **kwargs)
        self.chains_asked += 1
        return frame


async def test_the_build_lets_other_tasks_run_between_its_computing_steps():
    """IV, Greeks and analytics per expiry, the technicals and the vol picture are 30-60 ms of CPU in
    all: a bot must answer commands between them, not after all of them."""
    import asyncio

    market = Counted()
    engine = SnapshotEngine(market, CAL, NiftyConfig(), iv_history=market)
    expiries = len(engine._chain_expiries(await market.expiries(NOW)))
    turns_after_quotes = 0
    done = False

    async def other_user() -> None:
        nonlocal turns_after_quotes
        while not done:
            if market.chains_asked == expiries:
                turns_after_quotes += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other_user())
    try:
        snap = await engine.build(NOW)
    finally:
        done = True
        await task
    assert len(snap.chains) == expiries == 3
    # one turn after each expiry's computation, one before the technicals, one before the vol picture
    assert turns_after_quotes >= expiries + 2
