"""The dated price table and the cost of a call, checked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.commentary.prices import PriceTable, TokenUsage, cost_usd
from core.config.schema import LlmConfig
from core.errors import ConfigError


def test_the_packaged_table_prices_the_configured_model():
    table = PriceTable.load()
    assert LlmConfig().model in table.models
    price = table.price("claude-sonnet-5-5", date(2026, 11, 24))
    assert price is not None and (price.input, price.output) == (Decimal("2.00"), Decimal("10.00"))


def test_the_row_in_force_is_chosen_by_date():
    table = PriceTable.load()
    before = table.price("claude-sonnet-5-5", date(2026, 10, 6))
    after = table.price("claude-sonnet-5-5", date(2026, 10, 7))
    assert before is not None and before.cache_read == Decimal("0.20")
    assert after is not None and after.cache_read == Decimal("0.10")
    assert table.price("claude-sonnet-5-5", date(2026, 1, 1)) is None
    assert table.price("no-such-model", date(2026, 11, 24)) is None


def test_cost_by_hand():
    price = PriceTable.load().price("claude-sonnet-5-5", date(2026, 11, 24))
    assert price is not None
    usage = TokenUsage(input=1843, output=412, cache_write_5m=1310, cache_write_1h=200, cache_read=2600)
    # 1843 × 2 + 412 × 10 + 1310 × 2.5 + 200 × 4 + 2600 × 0.1
    # = 3686 + 4120 + 3275 + 800 + 260 = 12141 → 12141 / 1,000,000 = $0.012141
    assert cost_usd(usage, price) == Decimal("0.012141")


def test_cost_rounds_half_up_to_a_millionth_of_a_dollar():
    price = PriceTable.parse(
        {
            "models": {
                "m": [
                    {
                        "from": "2026-01-01",
                        "input": "0.25",
                        "output": "1",
                        "cache_write_5m": "0",
                        "cache_write_1h": "0",
                        "cache_read": "0",
                    }
                ]
            }
        }
    ).price("m", date(2026, 1, 1))
    assert price is not None
    assert cost_usd(TokenUsage(input=2), price) == Decimal("0.000001")  # 0.0000005 → up
    assert cost_usd(TokenUsage(input=1), price) == Decimal("0.000000")  # 0.00000025 → down


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({}, "'models' mapping"),
        ({"models": {"m": []}}, "list of dated rows"),
        (
            {
                "models": {
                    "m": [
                        {
                            "from": "2026-01-01",
                            "input": "-1",
                            "output": "1",
                            "cache_write_5m": "0",
                            "cache_write_1h": "0",
                            "cache_read": "0",
                        }
                    ]
                }
            },
            "input",
        ),
        ({"models": {"m": [{"from": "2026-01-01", "input": "1"}]}}, "output"),
    ],
)
def test_a_broken_table_is_a_config_error(data, match):
    with pytest.raises(ConfigError, match=match):
        PriceTable.parse(data)
