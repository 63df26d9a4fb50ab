"""Structure invariants on Black-76 chains of any level, vol, time and spread (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.domain.trading import StrategyKind, Structure, Unbuildable
from core.paper.fills import fill_entry
from core.strategies.structures import StructureParams, build_structure

from .chains import NOW, model_chain
from .invariants import check_structure

chains = st.builds(
    model_chain,
    spot=st.floats(18_000, 30_000),
    sigma=st.floats(0.08, 0.40),
    days=st.floats(1.0, 30.0),
    spread=st.floats(0.0, 0.03),
)
params = st.builds(
    StructureParams,
    short_delta=st.floats(0.10, 0.35),
    long_delta=st.floats(0.35, 0.65),
    width=st.sampled_from([50.0, 100.0, 150.0, 200.0, 300.0]),
    buffer=st.sampled_from([0.0, 50.0, 150.0]),
    delta_tolerance=st.just(0.10),
)


def structures_keep_their_invariants(chain, p, kind, slippage):
    result = build_structure(kind, chain, chain.spot, NOW, p)
    if isinstance(result, Unbuildable):
        assert result.reason and result.kind is kind
    assume(isinstance(result, Structure))
    check_structure(result, chain, chain.spot, p)
    # A paper entry lands between the natural price and the mid, for any slippage.
    fill = fill_entry(result.legs, 1, result.lot_size, slippage)
    assert result.net_natural * result.lot_size <= fill.net_premium <= result.net_mid * result.lot_size
    for leg in fill.legs:
        assert leg.bid <= leg.price <= leg.ask


_cases = {
    "chain": chains,
    "p": params,
    "kind": st.sampled_from(list(StrategyKind)),
    "slippage": st.integers(0, 5),
}


@pytest.mark.property
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(**_cases)
def test_structures_keep_their_invariants(chain, p, kind, slippage):
    structures_keep_their_invariants(chain, p, kind, slippage)


@pytest.mark.slow
@pytest.mark.property
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(**_cases)
def test_structures_keep_their_invariants_long(chain, p, kind, slippage):
    structures_keep_their_invariants(chain, p, kind, slippage)


@pytest.mark.property
@settings(max_examples=40, deadline=None)
@given(chain=chains, short_delta=st.floats(0.10, 0.30))
def test_credit_spreads_build_on_a_clean_chain(chain, short_delta):
    """With a wide window, 50-point strikes and tight quotes, a 100-point credit spread exists."""
    p = StructureParams(short_delta=short_delta, delta_tolerance=0.15, width=100.0)
    for kind in (StrategyKind.BULL_PUT_CREDIT, StrategyKind.BEAR_CALL_CREDIT):
        result = build_structure(kind, chain, chain.spot, NOW, p)
        if isinstance(result, Unbuildable):
            # The only acceptable refusals on a model chain: a far wing too cheap to be bid.
            assert "has no bid" in result.reason, result.reason
            continue
        check_structure(result, chain, chain.spot, p)
        assert result.pop is not None and 0 < result.pop < 1
