"""CommentaryService: Claude writes the words, the core owns the numbers, and something always goes out.

Each call (``brief``, ``rationale``, ``eod``, ``ask``) ends in a :class:`Commentary`:

1. no client (no API key) → the fallback writer, without any network call;
2. today's cost (IST day) has reached ``LlmConfig.daily_budget_usd`` → fallback; admins are told once
   per day through ``on_budget_exhausted``;
3. otherwise one request through ``registry.guard("llm", "llm")`` (breaker, 1 request/s, timeout),
   bounded by the caller's ``deadline`` (an aware datetime; default: ``timeout_seconds`` from now);
   any error, timeout or a passed deadline → fallback;
4. the reply is made plain, trimmed to ``max_reply_chars`` and grounded: a number that is not in
   the facts rejects it (logged at WARNING) → fallback; otherwise it is HTML-escaped and sent.

Every request is stored with its tokens, outcome and cost (USD from the dated price table). The text
of every ``Commentary`` is safe for Telegram's HTML parse mode.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from core.clock import IST, Clock
from core.commentary import fallback, safety
from core.commentary.client import AnthropicLlm, LlmPort, LlmReply, LlmTimeoutError
from core.commentary.facts import AnyFacts, AskFacts, BriefFacts, EodFacts, SuggestionFacts
from core.commentary.grounding import check, index_facts
from core.commentary.prices import PriceTable, TokenUsage, cost_usd
from core.commentary.prompts import CANNOT_ANSWER, build_request
from core.commentary.questions import CANNOT_ANSWER_REPLY, REFUSALS, QuestionVerdict, classify
from core.commentary.usage import Outcome, UsageRecord, UsageStore, UsageTotals
from core.config.schema import LlmConfig
from core.config.settings import Settings
from core.errors import AuthenticationError, ConfigError, DataFetchError, SourceUnavailableError
from core.resilience.guard import GuardRegistry, SourceGuard

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallUsage:
    """What one request cost: tokens and USD (zero when no API call was made)."""

    model: str
    tokens: TokenUsage
    cost_usd: Decimal


@dataclass(frozen=True)
class Commentary:
    """Text ready for Telegram (plain, HTML-escaped, within ``max_reply_chars``).

    ``reason`` is None for a normal Claude reply, else an :class:`Outcome` value saying why.
    """

    text: str
    source: Literal["claude", "fallback"]
    reason: str | None
    usage: CallUsage | None = None


@dataclass(frozen=True)
class BudgetNotice:
    """Today's Claude spending reached the daily budget; commentary is automatic until tomorrow."""

    trading_day: date
    spent_usd: Decimal
    budget_usd: Decimal
    model: str

    @property
    def message(self) -> str:
        return (
            f"Claude commentary budget reached for {self.trading_day}: spent ${self.spent_usd:.4f} of "
            f"${self.budget_usd:.2f}. Commentary is automatic until tomorrow."
        )


BudgetCallback = Callable[[BudgetNotice], Awaitable[None] | None]


class CommentaryService:
    """See the module docstring. ``client`` None means no API key: always the fallback writer."""

    def __init__(
        self,
        config: LlmConfig,
        *,
        client: LlmPort | None,
        guard: SourceGuard,
        store: UsageStore,
        prices: PriceTable,
        clock: Clock,
        on_budget_exhausted: BudgetCallback | None = None,
    ) -> None:
        if config.model not in prices.models:
            raise ConfigError(
                f"llm.model {config.model!r} has no price in core/data/llm_prices.yaml; add its dated "
                "prices so the daily budget can be enforced."
            )
        self.config = config
        self._client = client
        self._guard = guard
        self._store = store
        self._prices = prices
        self._clock = clock
        self._on_budget = on_budget_exhausted

    # ---- public API ----------------------------------------------------------------------------
    async def brief(self, facts: BriefFacts, *, deadline: datetime | None = None) -> Commentary:
        return await self._run(facts, None, deadline)

    async def rationale(self, facts: SuggestionFacts, *, deadline: datetime | None = None) -> Commentary:
        return await self._run(facts, None, deadline)

    async def eod(self, facts: EodFacts, *, deadline: datetime | None = None) -> Commentary:
        return await self._run(facts, None, deadline)

    async def ask(self, question: str, facts: AskFacts, *, deadline: datetime | None = None) -> Commentary:
        verdict = classify(question)
        if verdict is not QuestionVerdict.OK:
            outcome = Outcome(verdict.value)
            await self._record(facts.kind, outcome, self._clock.now())
            return Commentary(safety.escape(REFUSALS[verdict]), "fallback", outcome.value)
        return await self._run(facts, " ".join(question.split()), deadline)

    async def usage_today(self, now: datetime | None = None) -> UsageTotals:
        """Today's (IST) totals for /health."""
        day = (now or self._clock.now()).astimezone(IST).date()
        return await asyncio.to_thread(self._store.totals, day)

    async def aclose(self) -> None:
        """Close the HTTP client (its pooled connections)."""
        close = getattr(self._client, "aclose", None)
        if close is not None:
            await close()

    # ---- the flow -------------------------------------------------------------------------------
    async def _run(self, facts: AnyFacts, question: str | None, deadline: datetime | None) -> Commentary:
        now = self._clock.now()
        day = now.astimezone(IST).date()
        if self._client is None:
            return await self._fallback(facts, Outcome.NO_API_KEY, now)
        spent = (await asyncio.to_thread(self._store.totals, day)).cost_usd
        if spent >= self.config.daily_budget_usd:
            await self._notify_budget(day, spent, now)
            return await self._fallback(facts, Outcome.OVER_BUDGET, now)
        price = self._prices.price(self.config.model, day)
        if price is None:
            log.error("no price for %s on %s; commentary falls back", self.config.model, day)
            return await self._fallback(facts, Outcome.PRICE_UNKNOWN, now)
        end = deadline or now + timedelta(seconds=self.config.timeout_seconds)
        seconds = (end - now).total_seconds()
        if seconds <= 0:
            return await self._fallback(facts, Outcome.DEADLINE, now)
        request = build_request(
            facts, model=self.config.model, max_tokens=self.config.max_output_tokens, question=question
        )
        client = self._client
        started = time.perf_counter()
        try:
            async with asyncio.timeout(seconds):
                reply: LlmReply = await self._guard.call(
                    lambda: client.complete(request), what=f"commentary {facts.kind}"
                )
        except TimeoutError:
            # The guard's call was cancelled, so it gave no verdict; an unanswered request is still a
            # failure of the service (a Claude that never answers must open the breaker like one that
            # answers 5xx), so count it here.
            log.warning("commentary %s: no answer before the deadline (%.1f s)", facts.kind, seconds)
            self._guard.breaker.record_failure(f"Claude did not answer within {seconds:.1f} s")
            return await self._fallback(facts, Outcome.DEADLINE, now, started=started)
        except (DataFetchError, AuthenticationError) as exc:
            outcome = _outcome_of(exc)
            log.warning("commentary %s falls back (%s): %s", facts.kind, outcome.value, exc)
            return await self._fallback(facts, outcome, now, started=started, detail=str(exc))
        usage = CallUsage(self.config.model, reply.usage, cost_usd(reply.usage, price))
        result = await self._finish(facts, reply, usage, now, started)
        await self._check_budget(day, now)
        return result

    async def _finish(
        self, facts: AnyFacts, reply: LlmReply, usage: CallUsage, now: datetime, started: float
    ) -> Commentary:
        text = safety.plain(reply.text)
        if reply.stop_reason == "max_tokens":  # cut off mid-sentence: keep the finished sentences
            text = safety.whole_sentences(text)
        if facts.kind == "ask" and text.strip().rstrip(".") == CANNOT_ANSWER:
            await self._record(facts.kind, Outcome.CANNOT_ANSWER, now, usage, started)
            return Commentary(
                safety.escape(CANNOT_ANSWER_REPLY), "claude", Outcome.CANNOT_ANSWER.value, usage
            )
        if not text:
            return await self._fallback(facts, Outcome.EMPTY, now, usage=usage, started=started)
        shown = safety.trim(text, self.config.max_reply_chars)
        grounding = check(shown, index_facts(facts))
        if not grounding.ok:
            listed = ", ".join(grounding.unsupported)
            log.warning(
                "commentary %s rejected: numbers not in the facts: %s",
                facts.kind,
                listed,
                extra={"unsupported": list(grounding.unsupported), "kind": facts.kind},
            )
            return await self._fallback(
                facts, Outcome.UNGROUNDED, now, usage=usage, started=started, detail=f"not in facts: {listed}"
            )
        await self._record(facts.kind, Outcome.OK, now, usage, started)
        return Commentary(safety.escape(shown), "claude", None, usage)

    async def _fallback(
        self,
        facts: AnyFacts,
        outcome: Outcome,
        now: datetime,
        *,
        usage: CallUsage | None = None,
        started: float | None = None,
        detail: str | None = None,
    ) -> Commentary:
        await self._record(facts.kind, outcome, now, usage, started, detail)
        text = safety.make_safe(fallback.write(facts), self.config.max_reply_chars)
        return Commentary(text, "fallback", outcome.value, usage)

    async def _record(
        self,
        kind: str,
        outcome: Outcome,
        now: datetime,
        usage: CallUsage | None = None,
        started: float | None = None,
        detail: str | None = None,
    ) -> None:
        rec = UsageRecord(
            at=now,
            trading_day=now.astimezone(IST).date(),
            kind=kind,
            model=self.config.model,
            outcome=outcome,
            tokens=usage.tokens if usage else TokenUsage(),
            cost_usd=usage.cost_usd if usage else Decimal("0.000000"),
            latency_ms=None if started is None else round((time.perf_counter() - started) * 1000),
            detail=detail,
        )
        try:
            await asyncio.to_thread(self._store.record, rec)
        except Exception:  # usage bookkeeping must never stop the commentary going out
            log.exception("could not store LLM usage (%s %s)", kind, outcome.value)

    async def _check_budget(self, day: date, now: datetime) -> None:
        spent = (await asyncio.to_thread(self._store.totals, day)).cost_usd
        if spent >= self.config.daily_budget_usd:
            await self._notify_budget(day, spent, now)

    async def _notify_budget(self, day: date, spent: Decimal, now: datetime) -> None:
        budget = self.config.daily_budget_usd
        first = await asyncio.to_thread(self._store.mark_budget_notified, day, now, spent, budget)
        if not first:
            return
        notice = BudgetNotice(day, spent, self.config.daily_budget_usd, self.config.model)
        log.warning("%s", notice.message)
        if self._on_budget is None:
            return
        try:
            result = self._on_budget(notice)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("the budget-exhausted callback failed")


def _outcome_of(exc: Exception) -> Outcome:
    if isinstance(exc, AuthenticationError):
        return Outcome.AUTH_ERROR
    if isinstance(exc, SourceUnavailableError):
        return Outcome.UNAVAILABLE
    if isinstance(exc, LlmTimeoutError):
        return Outcome.TIMEOUT
    return Outcome.API_ERROR


def build_commentary_service(
    settings: Settings,
    config: LlmConfig,
    registry: GuardRegistry,
    store: UsageStore,
    clock: Clock,
    *,
    on_budget_exhausted: BudgetCallback | None = None,
    prices: PriceTable | None = None,
) -> CommentaryService:
    """The wiring the bot uses: the real SDK when ANTHROPIC_API_KEY is set, else fallback only."""
    key = settings.anthropic_api_key
    client = None
    if key is not None and key.get_secret_value():
        client = AnthropicLlm(key, settings.anthropic_base_url, config)
    return CommentaryService(
        config,
        client=client,
        guard=registry.guard("llm", "llm"),
        store=store,
        prices=prices or PriceTable.load(),
        clock=clock,
        on_budget_exhausted=on_budget_exhausted,
    )
