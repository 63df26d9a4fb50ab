"""Every structure from the simulated market at several moments of a day, then filled and charged."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest

from core.clock import IST
from core.config.schema import NiftyConfig
from core.domain.market import MarketSnapshot
from core.domain.trading import Action, StrategyKind, Structure, Unbuildable
from core.errors import DataValidationError
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.simulator import SimulatedMarket
from core.paper.charges import compute_charges
from core.paper.fills import fill_entry, fill_exit
from core.strategies.legs import requote_legs
from core.strategies.structures import StructureParams, build_structure

from .invariants import check_structure

CAL = default_calendar()
DAY = [datetime(2026, 11, 25, h, m, tzinfo=IST) for h, m in ((9, 20), (11, 0), (13, 30), (15, 35))]
EXPIRY_DAY = datetime(2026, 12, 1, 10, 0, tzinfo=IST)  # Tuesday: the nearest weekly expires today
PARAMS = StructureParams()


@pytest.fixture(scope="module")
def snapshots() -> dict[datetime, MarketSnapshot]:
    market = SimulatedMarket(CAL, seed=7)
    engine = SnapshotEngine(market, CAL, NiftyConfig(), iv_history=market)

    async def build_all() -> dict[datetime, MarketSnapshot]:
        return {at: await engine.build(at) for at in (*DAY, EXPIRY_DAY)}

    return asyncio.run(build_all())


@pytest.mark.parametrize("at", DAY, ids=lambda d: d.strftime("%H:%M"))
@pytest.mark.parametrize("kind", list(StrategyKind))
def test_every_structure_builds_from_the_simulated_chain(snapshots, at, kind):
    snap = snapshots[at]
    chain = snap.chain()
    assert chain is not None and chain.expiry.isoformat() == "2026-12-01"
    s = build_structure(kind, chain, snap.spot.last, at, PARAMS)
    assert isinstance(s, Structure), getattr(s, "reason", s)
    check_structure(s, chain, snap.spot.last, PARAMS)
    n_short = sum(leg.action is Action.SELL for leg in s.legs)
    exposure = D("0.02") * D(repr(snap.spot.last)) * 65 * n_short
    assert s.margin == (s.max_loss + exposure).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert s.pop is not None


def test_the_monthly_chain_builds_too(snapshots):
    snap = snapshots[DAY[1]]
    monthly = max(snap.chains, key=lambda c: c.expiry)
    s = build_structure(StrategyKind.IRON_CONDOR, monthly, snap.spot.last, DAY[1], PARAMS)
    assert isinstance(s, Structure), getattr(s, "reason", s)
    check_structure(s, monthly, snap.spot.last, PARAMS)
    near = build_structure(StrategyKind.IRON_CONDOR, snap.chain(), snap.spot.last, DAY[1], PARAMS)
    assert s.width == near.width and s.net_mid > near.net_mid  # more time, more premium


def test_a_buffer_in_atrs_keeps_the_short_strikes_away(snapshots):
    snap = snapshots[DAY[1]]
    atr = snap.technicals.atr
    assert atr is not None and atr > 0
    params = StructureParams(buffer=3 * atr, short_delta=0.10)
    s = build_structure(StrategyKind.IRON_CONDOR, snap.chain(), snap.spot.last, DAY[1], params)
    assert isinstance(s, Structure), getattr(s, "reason", s)
    check_structure(s, snap.chain(), snap.spot.last, params)
    put, call = s.legs[1].contract.strike, s.legs[2].contract.strike
    assert put <= snap.spot.last - 3 * atr and call >= snap.spot.last + 3 * atr


def test_on_expiry_day_the_margin_carries_the_extra_exposure(snapshots):
    snap = snapshots[EXPIRY_DAY]
    chain = snap.chain()
    assert chain.expiry == EXPIRY_DAY.date()
    results = {k: build_structure(k, chain, snap.spot.last, EXPIRY_DAY, PARAMS) for k in StrategyKind}
    for result in results.values():
        if isinstance(result, Unbuildable):
            assert result.reason  # each refusal says why
        else:
            check_structure(result, chain, snap.spot.last, PARAMS)
    s = results[StrategyKind.BULL_PUT_CREDIT]
    assert isinstance(s, Structure), getattr(s, "reason", s)
    assert s.margin == (s.max_loss + D("0.04") * D(repr(snap.spot.last)) * 65).quantize(D("0.01"))


def test_quotes_from_11_00_are_stale_at_11_05(snapshots):
    snap = snapshots[DAY[1]]
    later = DAY[1] + timedelta(minutes=5)
    for kind in StrategyKind:
        result = build_structure(kind, snap.chain(), snap.spot.last, later, PARAMS)
        assert isinstance(result, Unbuildable)
        assert "is stale: 5 min old (limit 3 min)" in result.reason


def test_a_position_opened_at_11_00_and_closed_at_13_30_is_filled_and_charged(snapshots):
    open_snap, close_snap = snapshots[DAY[1]], snapshots[DAY[2]]
    s = build_structure(StrategyKind.IRON_CONDOR, open_snap.chain(), open_snap.spot.last, DAY[1], PARAMS)
    assert isinstance(s, Structure)
    entry = fill_entry(s.legs, lots=2, lot_size=s.lot_size, slippage_ticks=1)
    assert [f.quantity for f in entry.legs] == [130] * 4
    assert D(0) < entry.net_premium <= s.net_mid * 130  # slippage only ever costs
    assert entry.net_premium >= s.net_natural * 130
    current = requote_legs(s.legs, close_snap.chain())
    assert [leg.action for leg in current] == [leg.action for leg in s.legs]
    assert current != s.legs  # the quotes moved
    exit_ = fill_exit(current, lots=2, lot_size=s.lot_size, slippage_ticks=1)
    assert [f.action for f in exit_.legs] == [leg.action.opposite for leg in s.legs]
    gross = entry.net_premium + exit_.net_premium
    charges = compute_charges(entry.legs, DAY[1]) + compute_charges(exit_.legs, DAY[2])
    assert charges.brokerage == D("160.00")  # 8 orders
    assert charges.total > 0
    assert -s.max_loss * 2 <= gross <= s.max_profit * 2  # inside the structure's bounds


def test_requoting_a_contract_the_chain_does_not_list_leaves_it_unfillable(snapshots):
    snap = snapshots[DAY[1]]
    s = build_structure(StrategyKind.BULL_PUT_CREDIT, snap.chain(), snap.spot.last, DAY[1], PARAMS)
    monthly = max(snap.chains, key=lambda c: c.expiry)  # a different expiry: none of the symbols
    current = requote_legs(s.legs, monthly)
    assert all(leg.bid is None and leg.ask is None for leg in current)
    with pytest.raises(DataValidationError, match="has no bid and no offer"):
        fill_exit(current, 1, 65)
