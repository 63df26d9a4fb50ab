"""Fixtures: the fake Messages API on loopback, and a service wired to it through the real SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from pydantic import SecretStr

from core.clock import FixedClock
from core.commentary.client import AnthropicLlm
from core.commentary.prices import PriceTable
from core.commentary.service import BudgetNotice, CommentaryService
from core.commentary.usage import MemoryUsageStore, UsageStore
from core.config.schema import BreakerConfig, EngineConfig, LlmConfig, SourceLimits
from core.resilience.guard import GuardRegistry
from tests.core.commentary.factories import NOW
from tests.fakes.anthropic_server import FakeAnthropic

API_KEY = "sk-ant-test-0123456789abcdefSECRET"
PRICES = PriceTable.parse(
    {
        "models": {
            "claude-sonnet-5-5": [
                {
                    "from": "2026-01-01",
                    "input": "2.00",
                    "output": "10.00",
                    "cache_write_5m": "2.50",
                    "cache_write_1h": "4.00",
                    "cache_read": "0.20",
                },
            ]
        }
    }
)


_OPEN: list[CommentaryService] = []


@pytest.fixture(autouse=True)
async def _close_services() -> AsyncIterator[None]:
    yield
    while _OPEN:
        await _OPEN.pop().aclose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    server = FakeAnthropic()
    await server.start()
    yield server
    await server.close()


def registry(rate: float = 100.0, timeout: float = 30.0) -> GuardRegistry:
    """The real guard with a fast rate limit (the production 1 request/s is tested on its own)."""
    cfg = EngineConfig(
        rate_limits={
            "llm": SourceLimits(rate_per_second=rate, burst=1, timeout_seconds=timeout, max_retries=0)
        },
        breaker=BreakerConfig(failure_threshold=50, recovery_seconds=60),
    )
    return GuardRegistry(cfg)


class Notices:
    def __init__(self) -> None:
        self.got: list[BudgetNotice] = []

    async def __call__(self, notice: BudgetNotice) -> None:
        self.got.append(notice)


def make_service(
    base_url: str | None,
    *,
    store: UsageStore | None = None,
    budget: str = "2.00",
    timeout: float = 5.0,
    max_retries: int = 2,
    max_reply_chars: int = 1200,
    clock: FixedClock | None = None,
    notices: Notices | None = None,
    guards: GuardRegistry | None = None,
) -> CommentaryService:
    config = LlmConfig(
        timeout_seconds=timeout,
        max_retries=max_retries,
        daily_budget_usd=Decimal(budget),
        max_reply_chars=max_reply_chars,
    )
    client = None if base_url is None else AnthropicLlm(SecretStr(API_KEY), base_url, config)
    service = CommentaryService(
        config,
        client=client,
        guard=(guards or registry()).guard("llm", "llm"),
        store=store if store is not None else MemoryUsageStore(),
        prices=PRICES,
        clock=clock or FixedClock(NOW),
        on_budget_exhausted=notices,
    )
    _OPEN.append(service)
    return service
