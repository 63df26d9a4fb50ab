"""The built-in simulator: deterministic, calendar-true, and its data passes the validators."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from core.analytics.validation import validate_candle_dataframe, validate_option_chain
from core.clock import IST
from core.market_hours import default_calendar
from core.marketdata.ports import INDIA_VIX, NIFTY
from core.marketdata.simulator import LOT_SIZE, SimulatedMarket, tradingsymbol

CAL = default_calendar()


@pytest.fixture
def market() -> SimulatedMarket:
    return SimulatedMarket(CAL, seed=7)


async def test_same_seed_and_moment_give_the_same_chain(market):
    now = datetime(2026, 11, 25, 11, 0, tzinfo=IST)
    a = await market.chain(date(2026, 12, 1), 24000, 10, now)
    b = await SimulatedMarket(CAL, seed=7).chain(date(2026, 12, 1), 24000, 10, now)
    assert a.equals(b)
    c = await SimulatedMarket(CAL, seed=8).chain(date(2026, 12, 1), 24000, 10, now)
    assert not a["ask"].equals(c["ask"])


async def test_expiries_are_tuesdays_moved_back_on_holidays(market):
    expiries = await market.expiries(datetime(2026, 3, 25, 10, 0, tzinfo=IST))
    # 31 Mar 2026 is a holiday: that week's expiry is Monday 30 Mar.
    assert date(2026, 3, 30) in expiries
    assert all(e.weekday() == 1 or not CAL.is_trading_day(e + timedelta(days=1)) for e in expiries)
    assert expiries == sorted(expiries)


async def test_expiry_is_dropped_after_its_close(market):
    before = await market.expiries(datetime(2026, 12, 1, 15, 39, tzinfo=IST))
    after = await market.expiries(datetime(2026, 12, 1, 15, 41, tzinfo=IST))
    assert date(2026, 12, 1) in before
    assert date(2026, 12, 1) not in after


def test_tradingsymbols_follow_kite_naming():
    assert tradingsymbol(date(2026, 12, 1), 24000, "CE", monthly=False) == "NIFTY26D0124000CE"
    assert tradingsymbol(date(2026, 12, 29), 24000, "PE", monthly=True) == "NIFTY26DEC24000PE"


async def test_a_whole_simulated_day_passes_the_validators(market):
    day = date(2026, 11, 25)
    session = CAL.session(day)
    expiry = date(2026, 12, 1)
    moment = session.open + timedelta(minutes=1)
    checked = 0
    while moment <= session.close:
        spot = await market.index_quote(NIFTY, moment)
        chain = await market.chain(expiry, spot.last, 30, moment)
        result = validate_option_chain(chain, now=moment)
        assert result.valid, (moment, result.errors)
        prices = chain[["bid", "ask", "ltp"]].to_numpy(float)
        finite = prices[np.isfinite(prices)]
        assert np.allclose(np.round(finite / 0.05) * 0.05, finite)
        assert (chain["lot_size"] == LOT_SIZE).all()
        checked += 1
        moment += timedelta(minutes=15)
    assert checked >= 25
    candles = await market.candles(session.close)
    assert len(candles) == (session.close - session.open).total_seconds() / 60
    assert validate_candle_dataframe(candles).valid


async def test_oi_gathers_at_round_strikes(market):
    now = datetime(2026, 11, 25, 11, 0, tzinfo=IST)
    chain = await market.chain(date(2026, 12, 8), 24000, 30, now)
    puts = chain[chain.option_type == "PE"].set_index("strike")["oi"]
    assert puts[24000.0] > puts[23950.0] and puts[24000.0] > puts[24050.0]


async def test_spreads_widen_away_from_the_money(market):
    now = datetime(2026, 11, 25, 11, 0, tzinfo=IST)
    spot = (await market.index_quote(NIFTY, now)).last
    chain = await market.chain(date(2026, 12, 8), spot, 30, now)
    calls = chain[chain.option_type == "CE"].copy()
    calls["rel_spread"] = (calls.ask - calls.bid) / ((calls.ask + calls.bid) / 2)
    near = calls.iloc[(calls.strike - spot).abs().argsort()[:3]]["rel_spread"].mean()
    far = calls[calls.strike > spot + 1000]["rel_spread"].mean()
    assert far > 2 * near


async def test_vix_rises_on_down_days(market):
    hist = await market.daily_history(NIFTY, datetime(2026, 11, 25, 9, 0, tzinfo=IST), 250)
    vix = await market.daily_history(INDIA_VIX, datetime(2026, 11, 25, 9, 0, tzinfo=IST), 250)
    ret = np.log(hist["close"]).diff()
    dv = vix["close"].diff()
    assert np.corrcoef(ret.dropna(), dv.dropna())[0, 1] < -0.3


async def test_quotes_before_the_open_are_the_previous_close(market):
    pre = await market.index_quote(NIFTY, datetime(2026, 11, 25, 8, 30, tzinfo=IST))
    prev_session = CAL.session(date(2026, 11, 23))  # 24 Nov 2026 is a holiday
    assert pre.timestamp == prev_session.close
    assert pre.last == pre.prev_close
