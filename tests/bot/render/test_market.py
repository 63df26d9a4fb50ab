"""The chain view fits a phone and marks what matters; the brief and /vol say what is unknown or stale."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from bot.render import market
from core.domain.market import ChainSnapshot
from tests.bot.render import factories as f
from tests.bot.render.htmlcheck import PHONE_COLUMNS, assert_valid, pre_lines, visible


def _extreme_chain() -> ChainSnapshot:
    frame = f.chain_frame()
    frame.loc[frame.option_type == "CE", "bid"] = 1499.0
    frame.loc[frame.option_type == "CE", "ask"] = 1520.75
    frame.loc[frame.option_type == "PE", "oi"] = 212_345_678
    frame.loc[frame.option_type == "PE", "oi_change"] = -15_432_100
    frame.loc[frame.strike == 24050.0, ["delta", "iv"]] = math.nan
    frame = frame[~((frame.strike == 24100.0) & (frame.option_type == "PE"))]  # a missing contract
    return replace(f.chain(), frame=frame.reset_index(drop=True))


def test_the_chain_fits_40_columns_even_with_extreme_values() -> None:
    snap = replace(f.snapshot(), chains=(_extreme_chain(),))
    text = market.chain_view(snap, f.NOW).text
    assert_valid(text)
    lines = pre_lines(text)
    assert lines and max(len(line) for line in lines) <= PHONE_COLUMNS
    assert "1499.0/1520.8" in visible(text)  # ≥ 1,000 drops to one decimal to keep the width
    assert "21Cr" in visible(text) or "21.2Cr" in visible(text)


def test_the_chain_marks_atm_and_max_pain_and_shows_eleven_strikes() -> None:
    lines = pre_lines(market.chain_view(f.snapshot(), f.NOW).text)
    quotes = lines[1 : lines.index("")]
    assert len(quotes) == 11
    assert any("24,050*" in line for line in quotes)  # ATM
    assert any("24,000^" in line for line in quotes)  # max pain
    assert "23,800" in quotes[0] and "24,300" in quotes[-1]


def test_a_one_sided_quote_shows_the_last_price_and_a_missing_iv_a_dash() -> None:
    text = visible(market.chain_view(f.snapshot(), f.NOW, each_side=6).text)
    assert "ltp " in text
    row = next(line for line in text.split("\n") if "24,350" in line and "%" in line)
    assert row.rstrip().endswith("-")


def test_window_strikes_centre_on_atm_and_clip_at_the_edges() -> None:
    shown, atm = market.window_strikes(f.chain(), 2)
    assert atm == 24050.0 and shown == [23950.0, 24000.0, 24050.0, 24100.0, 24150.0]
    edge, _ = market.window_strikes(replace(f.chain(), analytics=None, spot=23700.0), 3)
    assert edge == [23750.0, 23800.0, 23850.0, 23900.0]


def test_a_chain_without_analytics_or_quotes_still_renders() -> None:
    bare = replace(f.chain(), analytics=None)
    text = market.chain_view(replace(f.snapshot(), chains=(bare,)), f.NOW).text
    assert_valid(text)
    assert "analytics unavailable" in text
    empty = replace(f.chain(), frame=pd.DataFrame(columns=f.chain_frame().columns))
    text = market.chain_view(replace(f.snapshot(), chains=(empty,)), f.NOW).text
    assert_valid(text)
    assert "no quotes" in text


def test_no_chain_at_all_says_so() -> None:
    text = market.chain_view(replace(f.snapshot(), chains=()), f.NOW).text
    assert "No chain is loaded at all" in text


def test_the_brief_lists_only_parts_that_are_not_fresh() -> None:
    fresh = market.premarket_brief(f.snapshot(), None).text
    assert "Data quality" not in fresh and "Commentary" not in fresh and "summary" not in fresh
    stale = visible(market.premarket_brief(f.snapshot(stale=True), None).text)
    assert "chain stale (kite, as of 25 Nov 10:57 IST): quotes 7 min old" in stale
    assert "global failed (yahoo): YFRateLimitError" in stale
    assert "spot" not in stale.split("Data quality")[1]


def test_the_brief_survives_missing_parts() -> None:
    snap = replace(f.snapshot(), spot=None, vix=None, global_cues=(), vol=None, chains=())
    text = market.premarket_brief(snap, None).text
    assert_valid(text)
    assert "NIFTY 50</b> n/a" in text and "Global cues</b>: unavailable" in text
    assert "Volatility</b>: unknown" in text


def test_the_brief_labels_claude_and_the_automatic_summary_differently() -> None:
    from bot.render.commentary import Commentary, CommentarySource

    claude = market.premarket_brief(f.snapshot(), Commentary("x", CommentarySource.CLAUDE)).text
    auto = market.premarket_brief(f.snapshot(), Commentary("x", CommentarySource.AUTO)).text
    assert "Claude" in claude and "Claude" not in auto and "no AI" in auto


def test_vol_shows_decimals_as_percents_and_percentiles_as_numbers() -> None:
    text = visible(market.vol_view(f.snapshot(), f.NOW).text)
    assert "ATM IV    12.8%     38" in text
    assert "RV 20d    11.2%     56" in text
    assert "IV rank             32" in text


def test_freshness_line_counts_the_age_from_now() -> None:
    assert "(30 s old)" in market.freshness_line(f.snapshot(), f.NOW)
    assert "not fresh" not in market.freshness_line(f.snapshot(), f.NOW)
