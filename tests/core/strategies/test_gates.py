"""Every gate: passes with a reason, fails with a reason a trader can read."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, time
from decimal import Decimal

import pytest

from core.clock import IST
from core.config.schema import parse_config
from core.domain.market import DataStatus, PartInfo
from core.domain.trading import LimitCheck, RiskState, RiskStatus, StrategyKind
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.simulator import SimulatedMarket
from core.strategies import gates
from core.strategies.gates import GateContext, run_gates
from core.strategies.structures import StructureParams, build_structure
from tests.factories import bull_put

CAL = default_calendar()
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=IST)
CONFIG = parse_config({})
_MARKET = SimulatedMarket(CAL, seed=7)
SNAP = asyncio.run(SnapshotEngine(_MARKET, CAL, CONFIG, iv_history=_MARKET).build(NOW))
STRUCT = build_structure(StrategyKind.BULL_PUT_CREDIT, SNAP.chain(), SNAP.spot.last, NOW, StructureParams())


def risk(**kw) -> RiskState:
    base = dict(
        status=RiskStatus.ACTIVE,
        reasons=(),
        paused=False,
        paused_by=None,
        tripped=(),
        tripped_at=None,
        trading_day=NOW.date(),
        realized_today=Decimal(0),
        unrealized=Decimal(0),
        equity=Decimal("1000000"),
        peak_equity=Decimal("1000000"),
        checks=(
            LimitCheck("daily_loss", Decimal(0), Decimal("20000"), False),
            LimitCheck("drawdown", Decimal(0), Decimal("80000"), False),
        ),
    )
    base.update(kw)
    return RiskState(**base)


def ctx(**kw) -> GateContext:
    base = dict(
        now=NOW,
        calendar=CAL,
        config=CONFIG,
        snapshot=SNAP,
        risk=risk(),
        open_positions=(),
        algorithm="range",
        structure=STRUCT,
        lots=1,
    )
    base.update(kw)
    return GateContext(**base)


def test_all_gates_pass_on_a_calm_morning():
    results = run_gates(ctx())
    assert [g.name for g in results if not g.passed] == []
    assert all(g.reason for g in results)
    assert len(results) == len(gates.ALL_GATES) == 11


@pytest.mark.parametrize(
    ("moment", "why"),
    [
        (datetime(2026, 11, 24, 11, 0, tzinfo=IST), "closed"),  # Guru Nanak Jayanti holiday
        (datetime(2026, 11, 25, 9, 20, tzinfo=IST), "entry window"),
        (datetime(2026, 11, 25, 15, 0, tzinfo=IST), "entry window"),
        (datetime(2026, 11, 28, 11, 0, tzinfo=IST), "closed"),  # Saturday
    ],
)
def test_market_open_refuses_outside_the_session_and_the_entry_window(moment, why):
    g = gates.market_open(ctx(now=moment))
    assert not g.passed and why in g.reason


def test_expiry_cutoff_blocks_same_day_entries_after_the_cutoff():
    on_expiry = replace(STRUCT, expiry=NOW.date())
    assert gates.expiry_cutoff(ctx(structure=on_expiry, now=NOW.replace(hour=12, minute=59))).passed
    late = gates.expiry_cutoff(ctx(structure=on_expiry, now=NOW.replace(hour=13, minute=0)))
    assert not late.passed and "13:00" in late.reason
    past = gates.expiry_cutoff(ctx(structure=replace(STRUCT, expiry=NOW.date().replace(day=24))))
    assert not past.passed and "passed" in past.reason


def test_data_fresh_names_every_stale_or_failed_part():
    parts = dict(SNAP.parts)
    parts["chain"] = PartInfo("kite", DataStatus.STALE, NOW, None)
    parts["vix"] = PartInfo("kite", DataStatus.FAILED, None, "timeout")
    g = gates.data_fresh(ctx(snapshot=replace(SNAP, parts=parts)))
    assert not g.passed and "chain: stale" in g.reason and "vix: failed (timeout)" in g.reason
    old = gates.data_fresh(ctx(now=NOW.replace(minute=10)))
    assert not old.passed and "old" in old.reason


def test_vol_known_names_the_unknown_percentile():
    g = gates.vol_known(ctx(snapshot=replace(SNAP, vol=replace(SNAP.vol, rv_percentile=None))))
    assert not g.passed and "RV percentile" in g.reason
    assert "no vol snapshot" in gates.vol_known(ctx(snapshot=replace(SNAP, vol=None))).reason


def test_the_daily_loss_gate_refuses_a_trade_whose_max_loss_exceeds_what_is_left():
    nearly = risk(
        checks=(
            LimitCheck("daily_loss", Decimal("18000"), Decimal("20000"), False),
            LimitCheck("drawdown", Decimal(0), Decimal("80000"), False),
        )
    )
    g = gates.daily_loss(ctx(risk=nearly))
    assert STRUCT.max_loss > Decimal("2000")
    assert not g.passed and "₹2,000.00 left" in g.reason
    tripped = risk(tripped=("daily_loss",), status=RiskStatus.HALTED)
    assert "admin must reset" in gates.daily_loss(ctx(risk=tripped)).reason


def test_the_drawdown_gate_fails_once_the_limit_is_reached():
    at_limit = risk(
        checks=(
            LimitCheck("daily_loss", Decimal(0), Decimal("20000"), False),
            LimitCheck("drawdown", Decimal("80000"), Decimal("80000"), True),
        )
    )
    g = gates.drawdown(ctx(risk=at_limit))
    assert not g.passed and "reached" in g.reason


def test_max_positions_lots_and_margin():
    three = [bull_put(id=i, short=23000 + 100 * i, long=22900 + 100 * i) for i in range(1, 4)]
    assert "3 positions open (limit 3)" in gates.max_positions(ctx(open_positions=three)).reason
    assert not gates.lots_limit(ctx(lots=11)).passed
    poor = risk(equity=Decimal("50000"))
    g = gates.margin(ctx(risk=poor))
    assert not g.passed and "50%" in g.reason


def test_no_duplicate_refuses_the_same_structure_on_the_same_expiry():
    same = bull_put(id=9, short=STRUCT.legs[1].contract.strike, long=STRUCT.legs[0].contract.strike)
    same = replace(same, expiry=STRUCT.expiry)
    g = gates.no_duplicate(ctx(open_positions=[same]))
    assert not g.passed and "#9" in g.reason


def test_not_paused():
    g = gates.not_paused(ctx(risk=risk(paused=True, paused_by=5)))
    assert not g.passed and "/resume" in g.reason


def test_the_entry_window_is_configurable():
    config = parse_config(
        {"options_desk": {"entry_window_start": time(9, 16), "entry_window_end": time(15, 0)}}
    )
    assert gates.market_open(ctx(config=config, now=NOW.replace(hour=9, minute=20))).passed
