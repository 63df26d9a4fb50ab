"""Charts: the data steps are checked as numbers; the drawings as real PNGs of a sane size."""

from __future__ import annotations

import math
import struct
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from bot.render import charts
from bot.render.market import chain_photo
from bot.render.pnl import pnl_photo
from bot.render.positions import position_payoff_photo
from bot.render.suggestions import payoff_photo
from core.analytics.greeks import PayoffLeg
from tests.bot.render import factories as f

PNG = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


def test_payoff_of_a_bull_put_spread_has_the_textbook_shape() -> None:
    s = f.suggestion()
    data = charts.payoff_data(charts.suggestion_legs(s), f.SPOT)
    credit = 19.10 * 65
    assert data.max_profit == pytest.approx(credit)
    assert data.max_loss == pytest.approx(100 * 65 - credit)
    assert data.breakevens == pytest.approx((23900 - 19.10,))
    assert set(data.strikes) <= set(data.prices.tolist())  # kinks are drawn exactly
    assert data.prices.min() < 23800 and data.prices.max() > f.SPOT
    above = data.pnl[data.prices >= 23900]
    below = data.pnl[data.prices <= 23800]
    assert np.allclose(above, credit) and np.allclose(below, credit - 6500)


def test_payoff_scales_with_lots_and_uses_entry_prices_for_positions() -> None:
    two = charts.payoff_data(charts.suggestion_legs(f.suggestion(lots=2)), f.SPOT)
    assert two.max_profit == pytest.approx(2 * 19.10 * 65)
    p = f.position()
    data = charts.payoff_data(charts.position_legs(p), None)
    assert data.max_profit == pytest.approx(float(p.entry_premium))
    assert data.spot is None


def test_payoff_of_an_iron_condor_has_two_breakevens() -> None:
    s = f.suggestion(structure=f.iron_condor_structure())
    data = charts.payoff_data(charts.suggestion_legs(s), f.SPOT)
    assert len(data.breakevens) == 2
    assert data.max_profit == pytest.approx(41.40 * 65)
    assert data.breakevens == pytest.approx(s.structure.breakevens)


def test_payoff_needs_legs_with_prices() -> None:
    with pytest.raises(ValueError, match="at least one leg"):
        charts.payoff_data([], f.SPOT)
    leg = replace(f.bull_put_structure().legs[0], mid=None, bid=None)
    s = f.suggestion(structure=replace(f.bull_put_structure(), legs=(leg,)))
    with pytest.raises(ValueError, match="no price"):
        charts.suggestion_legs(s)


def test_smile_takes_puts_below_the_forward_and_calls_above() -> None:
    data = charts.smile_data(f.chain(), each_side=3)
    assert data.pivot == pytest.approx(24072.8)
    assert data.strikes.tolist() == [23900.0, 23950.0, 24000.0, 24050.0, 24100.0, 24150.0, 24200.0]
    below = data.strikes < data.pivot
    assert np.array_equal(data.otm_iv[below], data.put_iv[below])
    assert np.array_equal(data.otm_iv[~below], data.call_iv[~below])
    frame = f.chain_frame()
    ce_2400 = frame[(frame.strike == 24000.0) & (frame.option_type == "CE")].iloc[0]
    assert data.call_iv[2] == pytest.approx(ce_2400.iv * 100)
    assert data.call_oi[2] == ce_2400.oi
    assert data.max_pain == 24000.0


def test_smile_keeps_unknown_iv_as_nan_and_uses_every_strike_when_asked() -> None:
    data = charts.smile_data(f.chain(), each_side=None)
    assert len(data.strikes) == 13
    assert math.isnan(data.put_iv[-1])  # 24,350 PE has no IV
    assert not np.isnan(data.call_oi).any()


def test_equity_data_tracks_the_running_peak_and_the_drawdown() -> None:
    points = f.equity_points()
    data = charts.equity_data(tuple(reversed(points)))  # order does not matter
    assert list(data.times) == sorted(data.times)
    assert np.all(np.diff(data.peak) >= 0)
    assert np.all(data.drawdown >= 0)
    assert data.max_drawdown == pytest.approx(1002400 - 998700)
    assert data.drawdown[-1] == 0


def test_rupee_axis_labels_use_indian_grouping() -> None:
    assert charts.rupees(1002254.6) == "₹10,02,255"
    assert charts.rupees(-4550) == "-₹4,550"
    assert charts.rupees(math.nan) == ""


def test_charts_are_pngs_of_a_fixed_size_and_deterministic() -> None:
    s = f.suggestion()
    first = charts.suggestion_payoff_chart(s)
    assert _png_size(first) == (880, 495)
    assert 10_000 < len(first) < 400_000
    charts.clear_cache()  # drawn again, not taken from the cache
    photo = payoff_photo(s)
    assert photo.png == first  # same input, same bytes
    assert "Payoff at expiry" in photo.caption
    assert position_payoff_photo(f.position(), f.SPOT).png != first


def test_the_smile_and_equity_charts_render_as_photos_with_captions() -> None:
    smile = chain_photo(f.chain())
    assert _png_size(smile.png) == (880, 495) and len(smile.png) > 10_000
    assert smile.filename == "chain-20261201.png" and "IV smile" in smile.caption
    photo = pnl_photo(f.pnl_report())
    assert photo is not None
    assert _png_size(photo.png) == (880, 495)
    assert photo.follow_up == () and "Equity curve" in photo.caption


def test_no_equity_chart_without_two_points() -> None:
    report = replace(f.pnl_report(), equity_curve=f.equity_points()[:1])
    assert pnl_photo(report) is None
    with pytest.raises(ValueError, match="two points"):
        charts.equity_chart(report.equity_curve)


def test_payoff_leg_quantities_follow_the_lot_size_and_ratio() -> None:
    leg = replace(f.bull_put_structure().legs[0], ratio=2)
    s = f.suggestion(structure=replace(f.bull_put_structure(), legs=(leg,)), lots=3)
    (pl,) = charts.suggestion_legs(s)
    assert pl == PayoffLeg(23900.0, "PE", -1, 3 * 65 * 2, float(Decimal("61.60")))


# ---- the chart cache ------------------------------------------------------------------------------------
def test_the_same_data_draws_once_and_new_data_draws_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    charts.clear_cache()
    drawn: list[str] = []
    real = charts._draw_equity

    def counting(data: charts.EquityData) -> bytes:
        drawn.append("equity")
        return real(data)

    monkeypatch.setattr(charts, "_draw_equity", counting)
    points = f.equity_points()
    first = charts.equity_chart(points)
    assert charts.equity_chart(list(points)) == first  # an equal copy of the data: from the cache
    assert drawn == ["equity"]
    # One more mark (what the monitor adds each minute) is new data: drawn again, and different.
    later = replace(points[-1], at=points[-1].at + timedelta(minutes=1), equity=points[-1].equity + 1)
    assert charts.equity_chart([*points, later]) != first
    assert drawn == ["equity", "equity"]


def test_fingerprints_tell_apart_any_change_of_the_inputs() -> None:
    data = charts.payoff_data([PayoffLeg(25000.0, "CE", 1, 75, 120.0)], 25010.0)
    same = charts.payoff_data([PayoffLeg(25000.0, "CE", 1, 75, 120.0)], 25010.0)
    assert charts.fingerprint(data, "t") == charts.fingerprint(same, "t")
    bumped = replace(data, pnl=data.pnl.copy())
    bumped.pnl[17] += 0.01
    assert charts.fingerprint(bumped, "t") != charts.fingerprint(data, "t")
    assert charts.fingerprint(replace(data, spot=25011.0), "t") != charts.fingerprint(data, "t")
    assert charts.fingerprint(data, "other title") != charts.fingerprint(data, "t")
    assert charts.fingerprint((1,), "t") != charts.fingerprint(("1",), "t")


def test_the_cache_keeps_a_bounded_number_of_images() -> None:
    charts.clear_cache()
    for i in range(charts.CACHE_SIZE + 5):
        data = charts.payoff_data([PayoffLeg(25000.0 + 50 * i, "CE", 1, 75, 120.0)], None)
        charts.payoff_chart(data, f"#{i}")
    assert len(charts._cache) == charts.CACHE_SIZE


@pytest.mark.parametrize("minutes", [4, 30, 215, 250, 375, 3 * 375, 22 * 24 * 60])
def test_equity_time_axis_fits_any_span_without_a_matplotlib_warning(minutes: int) -> None:
    import warnings

    start = f.equity_points()[0].at
    step = max(1, minutes // 400)
    points = [
        replace(f.equity_points()[0], at=start + timedelta(minutes=i), equity=Decimal(1_000_000 + i % 7))
        for i in range(0, minutes + 1, step)
    ]
    charts.clear_cache()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "AutoDateLocator was unable to pick an appropriate interval"
        assert _png_size(charts.equity_chart(points)) == (880, 495)
