"""The three algorithms: Atlas's regime table and 9 parameters, no trades on unknown data, real picks."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.clock import IST
from core.config.schema import NiftyConfig, parse_config
from core.domain.market import VolRegime
from core.domain.trading import RiskState, RiskStatus, StrategyKind
from core.errors import ConfigError
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.simulator import SimulatedMarket
from core.strategies.atlas import BOUNDS, PARAM_NAMES, REGIME_TABLE, Atlas, choose_kind, derive_params
from core.strategies.base import AlgoContext
from core.strategies.range_bound import RangeSeller
from core.strategies.registry import build_algorithms
from core.strategies.signals import Trend
from core.strategies.trend import TrendFollower

CAL = default_calendar()
CFG = NiftyConfig()
RISK = RiskState(
    RiskStatus.ACTIVE,
    (),
    False,
    None,
    (),
    None,
    date(2026, 10, 14),
    Decimal(0),
    Decimal(0),
    Decimal(10**6),
    Decimal(10**6),
)
MARKET = SimulatedMarket(CAL, seed=7)
ENGINE = SnapshotEngine(MARKET, CAL, CFG, iv_history=MARKET)


def snapshot(at: datetime):
    return asyncio.run(ENGINE.build(at))


def ctx(name: str, snap, at: datetime, config: NiftyConfig = CFG) -> AlgoContext:
    return AlgoContext(at, CAL, config, config.algorithms[name], snap, RISK, [])


NEUTRAL = Trend(0.0, 0, 0.1, ())
BULL = Trend(1.0, 4, 0.6, ())
BEAR = Trend(-0.75, 3, 0.9, ())


def test_the_regime_table_covers_every_known_regime_with_all_nine_parameters():
    assert set(REGIME_TABLE) == {r for r in VolRegime if r is not VolRegime.UNKNOWN}
    assert len(PARAM_NAMES) == 9
    for params in REGIME_TABLE.values():
        assert set(params.as_dict()) == set(PARAM_NAMES)


def test_higher_volatility_sells_further_out_with_wider_wings():
    order = [VolRegime.NORMAL, VolRegime.ELEVATED, VolRegime.HIGH, VolRegime.EXTREME]
    deltas = [REGIME_TABLE[r].short_delta for r in order]
    wings = [REGIME_TABLE[r].wing_width for r in order]
    assert deltas == sorted(deltas, reverse=True)
    assert wings == sorted(wings)


@given(
    regime=st.sampled_from([r for r in VolRegime if r is not VolRegime.UNKNOWN]),
    strength=st.floats(0, 1),
    direction=st.floats(-1, 1),
)
def test_derived_parameters_stay_inside_their_bounds(regime, strength, direction):
    p = derive_params(regime, Trend(direction, 2, strength, ()))
    for name in PARAM_NAMES:
        lo, hi = BOUNDS[name]
        assert lo <= float(getattr(p, name)) <= hi


def test_configured_bounds_clamp_the_table():
    p = derive_params(VolRegime.NORMAL, NEUTRAL, {"short_delta_max": 0.15, "wing_width_min": 150})
    assert p.short_delta == 0.15 and p.wing_width == 150
    with pytest.raises(ConfigError, match="short_delta_min"):
        derive_params(VolRegime.NORMAL, NEUTRAL, {"short_delta_min": 0.3, "short_delta_max": 0.2})


def test_a_strong_trend_widens_the_buffer_and_shortens_the_hold():
    calm = derive_params(VolRegime.ELEVATED, NEUTRAL)
    strong = derive_params(VolRegime.ELEVATED, BEAR)
    assert strong.buffer_atr > calm.buffer_atr
    assert strong.max_sessions == calm.max_sessions - 1


@pytest.mark.parametrize(
    ("regime", "trend", "kind"),
    [
        (VolRegime.LOW, BULL, StrategyKind.BULL_CALL_DEBIT),
        (VolRegime.LOW, BEAR, StrategyKind.BEAR_PUT_DEBIT),
        (VolRegime.LOW, NEUTRAL, None),
        (VolRegime.NORMAL, NEUTRAL, StrategyKind.IRON_CONDOR),
        (VolRegime.ELEVATED, BULL, StrategyKind.BULL_PUT_CREDIT),
        (VolRegime.HIGH, BEAR, StrategyKind.BEAR_CALL_CREDIT),
        (VolRegime.EXTREME, NEUTRAL, None),
    ],
)
def test_atlas_picks_the_structure_for_the_regime_and_trend(regime, trend, kind):
    assert choose_kind(regime, trend) is kind


@pytest.mark.parametrize("algo", [Atlas(), TrendFollower(), RangeSeller()], ids=lambda a: a.name)
@pytest.mark.parametrize("missing", ["vol", "iv_percentile"])
def test_no_algorithm_trades_on_an_unknown_vol_picture(algo, missing):
    at = datetime(2026, 10, 14, 13, 0, tzinfo=IST)
    snap = snapshot(at)
    snap = (
        replace(snap, vol=None)
        if missing == "vol"
        else replace(snap, vol=replace(snap.vol, iv_percentile=None))
    )
    result = algo.propose(ctx(algo.name, snap, at))
    assert result.candidates == ()
    assert result.notes and ("unknown" in result.notes[0])


@pytest.mark.parametrize(
    ("algo", "at", "kind"),
    [
        (Atlas(), datetime(2026, 10, 14, 13, 0, tzinfo=IST), StrategyKind.IRON_CONDOR),
        (RangeSeller(), datetime(2026, 10, 14, 13, 0, tzinfo=IST), StrategyKind.IRON_CONDOR),
        (TrendFollower(), datetime(2026, 11, 5, 10, 30, tzinfo=IST), StrategyKind.BEAR_PUT_DEBIT),
    ],
    ids=lambda x: getattr(x, "name", str(x)),
)
def test_each_algorithm_makes_a_complete_suggestion_on_a_simulated_day(algo, at, kind):
    result = algo.propose(ctx(algo.name, snapshot(at), at))
    assert len(result.candidates) == 1, result.notes
    c = result.candidates[0]
    assert c.structure.kind is kind
    assert 0 <= c.score <= 100
    assert c.score == pytest.approx(sum(comp.points for comp in c.components), abs=0.2)
    assert all(0 <= comp.points <= comp.max_points for comp in c.components)
    assert c.exit_plan.profit_target > 0 and 0 < c.exit_plan.stop_loss <= c.structure.max_loss
    # The rationale is built from the numbers it cites.
    assert f"{c.structure.legs[0].contract.strike:.0f}" in c.rationale
    assert c.lots >= 1


def test_atlas_reports_its_nine_parameters_and_the_regime():
    at = datetime(2026, 10, 14, 13, 0, tzinfo=IST)
    c = Atlas().propose(ctx("atlas", snapshot(at), at)).candidates[0]
    assert set(PARAM_NAMES) <= set(c.params) and c.params["regime"] in {r.value for r in VolRegime}


def test_unknown_algorithm_params_are_a_config_error():
    config = parse_config({"algorithms": {"range": {"params": {"short_delt": 0.2}}}})
    at = datetime(2026, 10, 14, 13, 0, tzinfo=IST)
    with pytest.raises(ConfigError, match="short_delt"):
        RangeSeller().propose(ctx("range", snapshot(at), at, config))


def test_the_registry_builds_the_enabled_algorithms_and_refuses_unknown_names():
    config = parse_config({"algorithms": {"atlas": {"enabled": False}}})
    assert [a.name for a in build_algorithms(config)] == ["trend", "range"]
    with pytest.raises(ConfigError, match="unknown algorithm"):
        build_algorithms(parse_config({"algorithms": {"zeus": {}}}))
