"""What every built structure must satisfy, whatever chain it came from."""

from __future__ import annotations

from decimal import Decimal

from core.domain.market import ChainSnapshot
from core.domain.trading import Action, StrategyKind, Structure
from core.strategies.legs import price_of
from core.strategies.structures import StructureParams


def check_structure(s: Structure, chain: ChainSnapshot, spot: float, params: StructureParams) -> None:
    lot = Decimal(s.lot_size)
    strikes = [leg.contract.strike for leg in s.legs]
    assert strikes == sorted(strikes)
    assert len(s.legs) == (4 if s.kind is StrategyKind.IRON_CONDOR else 2)
    # Every leg is a listed contract, quoted as the chain quotes it.
    frame = chain.frame.set_index("tradingsymbol")
    for leg in s.legs:
        row = frame.loc[leg.contract.tradingsymbol]
        assert (float(row["strike"]), row["option_type"]) == (leg.contract.strike, leg.contract.option_type)
        assert (leg.bid, leg.ask) == (price_of(row["bid"]), price_of(row["ask"]))
        assert leg.bid <= leg.mid <= leg.ask
    # Strike choice.
    shorts = [leg for leg in s.legs if leg.action is Action.SELL]
    longs = [leg for leg in s.legs if leg.action is Action.BUY]
    if s.is_credit:
        for leg in shorts:
            assert abs(abs(leg.delta) - params.short_delta) <= params.delta_tolerance + 1e-12
            if leg.contract.option_type == "PE":
                assert leg.contract.strike <= spot - params.buffer
            else:
                assert leg.contract.strike >= spot + params.buffer
    else:
        (long,) = longs
        assert abs(abs(long.delta) - params.long_delta) <= params.delta_tolerance + 1e-12
    # Money: the two extremes add up to the width, at mid.
    assert s.max_profit > 0 and s.max_loss > 0
    assert s.max_profit + s.max_loss == s.width * lot
    if s.is_credit:
        assert s.net_mid > 0
        assert s.max_profit == (s.net_mid * lot).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert 0 < s.credit_to_width < 1
    else:
        assert 0 < -s.net_mid < s.width
        assert s.credit_to_width is None
    if s.kind is StrategyKind.IRON_CONDOR:
        put_wing = s.legs[1].contract.strike - s.legs[0].contract.strike
        call_wing = s.legs[3].contract.strike - s.legs[2].contract.strike
        assert s.width == Decimal(str(max(put_wing, call_wing)))
        assert s.max_loss == s.width * lot - s.max_profit
    assert s.net_natural <= s.net_mid  # crossing the spread never pays better than mid
    # Breakevens lie between the strikes: one per vertical.
    assert len(s.breakevens) == (2 if s.kind is StrategyKind.IRON_CONDOR else 1)
    assert all(min(strikes) <= be <= max(strikes) for be in s.breakevens)
    assert s.pop is None or 0.0 <= s.pop <= 1.0
    # Margin: max loss plus exposure on the short legs only.
    assert s.margin > s.max_loss
    assert all(v == v for v in (s.net_delta, s.net_gamma, s.net_vega, s.net_theta))  # no NaN
