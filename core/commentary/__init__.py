"""Claude commentary: typed facts, pure prompts, grounding, a fallback writer and the service.

Claude writes the words; the core owns the numbers. ``CommentaryService`` (``service.py``) is the
entry point; ``builders.py`` turns domain objects into the facts it takes. Modules:

    facts.py      frozen pydantic facts per kind (brief, rationale, eod, ask); numbers as shown
    builders.py   facts from MarketSnapshot, Suggestion, Position, RiskState
    prompts.py    the fixed, cached system prompt and one user message per kind (pure)
    grounding.py  every number in a reply must be in the facts (rules in its docstring)
    safety.py     plain text, links and commands neutralised, trimmed, HTML-escaped
    fallback.py   deterministic "Automatic summary:" texts
    questions.py  /ask refusals (trade instructions, empty or long questions)
    client.py     the LLM port and the AsyncAnthropic adapter with typed errors
    prices.py     the dated price table (core/data/llm_prices.yaml) and cost in USD
    usage.py      usage records, daily totals, SQL and in-memory stores
    service.py    CommentaryService and build_commentary_service
"""

from core.commentary.facts import AskFacts, BriefFacts, EodFacts, SuggestionFacts
from core.commentary.service import (
    BudgetNotice,
    CallUsage,
    Commentary,
    CommentaryService,
    build_commentary_service,
)
from core.commentary.usage import MemoryUsageStore, Outcome, SqlUsageStore, UsageTotals

__all__ = [
    "AskFacts",
    "BriefFacts",
    "BudgetNotice",
    "CallUsage",
    "Commentary",
    "CommentaryService",
    "EodFacts",
    "MemoryUsageStore",
    "Outcome",
    "SqlUsageStore",
    "SuggestionFacts",
    "UsageTotals",
    "build_commentary_service",
]
