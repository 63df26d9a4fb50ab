from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from core.analytics.validation import (
    ValidationResult,
    validate_candle_dataframe,
    validate_config,
    validate_iv,
    validate_iv_storage,
    validate_option_chain,
    validate_paper_trading_state,
    validate_strike_data,
    validate_technicals,
    validate_trade_suggestion,
    validate_vol_snapshot,
    validate_yfinance_data,
)
from core.domain.market import Technicals, VolSnapshot

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _chain(**overrides):
    rows = [
        {
            "strike": 25000.0,
            "option_type": "CE",
            "bid": 100.0,
            "ask": 101.0,
            "ltp": 100.5,
            "oi": 10,
            "volume": 5,
            "quote_time": NOW,
        },
        {
            "strike": 25000.0,
            "option_type": "PE",
            "bid": 90.0,
            "ask": 91.0,
            "ltp": 90.5,
            "oi": 12,
            "volume": 4,
            "quote_time": NOW,
        },
    ]
    frame = pd.DataFrame(rows)
    for k, v in overrides.items():
        frame.loc[0, k] = v
    return frame


def test_merge_combines_errors_and_validity():
    a = ValidationResult().warn("w")
    b = ValidationResult().error("e")
    m = a.merge(b)
    assert not m.valid
    assert m.errors == ["e"]
    assert m.warnings == ["w"]


def test_good_chain_passes():
    assert validate_option_chain(_chain(), now=NOW).valid


def test_chain_problems_are_named():
    assert "bid above ask" in validate_option_chain(_chain(bid=105.0), now=NOW).errors[0]
    assert "negative bid" in validate_option_chain(_chain(bid=-1.0)).errors
    assert "chain is empty" in validate_option_chain(_chain().iloc[:0]).errors
    dup = pd.concat([_chain(), _chain().iloc[:1]])
    assert "duplicate" in validate_option_chain(dup).errors[0]
    stale = validate_option_chain(_chain(), now=NOW + timedelta(minutes=10))
    assert not stale.valid
    assert "old" in stale.errors[0]
    assert "lacks columns" in validate_option_chain(pd.DataFrame({"strike": [1.0]})).errors[0]


def test_strike_data():
    assert validate_strike_data({"strike": 25000, "bid": 1.0, "ask": 2.0}).valid
    assert not validate_strike_data({"strike": float("nan")}).valid
    assert not validate_strike_data({"strike": 25000, "bid": 3.0, "ask": 2.0}).valid


def test_iv_bounds():
    assert validate_iv(0.15).valid
    assert not validate_iv(float("nan")).valid
    assert not validate_iv(3.0).valid
    assert not validate_iv(0.001).valid
    assert validate_iv_storage(15.0, NOW).valid
    assert not validate_iv_storage(15.0, datetime(2026, 1, 1)).valid
    assert not validate_iv_storage(250.0, NOW).valid


def test_vol_snapshot_unknown_is_an_error_not_a_neutral_value():
    assert not validate_vol_snapshot(None).valid
    vol = VolSnapshot(date(2026, 11, 25), 0.14, None, None, 13.0, 40.0, 0.12, 30.0)
    assert "iv_percentile is unknown" in validate_vol_snapshot(vol).errors


def test_technicals():
    t = Technicals(25000, None, None, None, 55, 20, None, None, None, None, NOW)
    assert validate_technicals(t).valid
    assert not validate_technicals(
        Technicals(25000, None, None, None, 120, 20, None, None, None, None, NOW)
    ).valid
    assert not validate_technicals(None).valid


def test_candles():
    idx = pd.date_range("2026-11-25 09:15", periods=3, freq="1min", tz="Asia/Kolkata")
    good = pd.DataFrame(
        {"open": [10, 11, 12], "high": [11, 12, 13], "low": [9, 10, 11], "close": [11, 12, 12.5]},
        index=idx,
        dtype=float,
    )
    assert validate_candle_dataframe(good).valid
    bad = good.copy()
    bad.iloc[1, 3] = np.nan
    assert not validate_candle_dataframe(bad).valid
    assert not validate_candle_dataframe(good.iloc[:0]).valid
    assert not validate_candle_dataframe(good.iloc[::-1]).valid


def test_trade_suggestion_and_state():
    s = {"legs": [{"price": 10.0}], "lots": 1, "max_loss": 500.0, "score": 70}
    assert validate_trade_suggestion(s).valid
    assert not validate_trade_suggestion({**s, "legs": []}).valid
    assert not validate_trade_suggestion({**s, "max_loss": float("inf")}).valid
    assert not validate_trade_suggestion({**s, "score": 140}).valid
    assert validate_paper_trading_state({"capital": 100000, "positions": [{"id": 1}]}).valid
    assert not validate_paper_trading_state({"capital": 100000, "positions": [{"id": 1}, {"id": 1}]}).valid
    assert not validate_paper_trading_state({"positions": []}).valid


def test_yfinance_frames():
    assert not validate_yfinance_data(pd.DataFrame(), "^INDIAVIX").valid
    assert validate_yfinance_data(pd.DataFrame({"Close": [1.0, np.nan]}), "^GSPC").warnings
    assert not validate_yfinance_data(pd.DataFrame({"Close": [np.nan]}), "^GSPC").valid


def test_config():
    assert validate_config({}).valid
    assert not validate_config({"paper_trading": {"capital": -5}}).valid
