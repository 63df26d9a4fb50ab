"""/ask questions: what is refused before Claude sees it, and the short replies for refusals.

Refused without a call: an empty question, one longer than ``MAX_QUESTION_CHARS``, and one that
asks for a trade instruction ("should I buy ...", "which strike should I sell", "give me a trade").
Claude itself answers ``CANNOT_ANSWER`` when the facts do not hold the answer; the service then sends
``CANNOT_ANSWER_REPLY``. The check is deliberately simple and errs toward refusing: the desk's own
suggestions are the only trade ideas it gives.
"""

from __future__ import annotations

import re
from enum import StrEnum

MAX_QUESTION_CHARS = 500

TRADE_INSTRUCTION_REPLY = (
    "I can't give trade instructions. I can explain the market data, the desk's open positions, "
    "its risk state and its own suggestions."
)
CANNOT_ANSWER_REPLY = (
    "I can't answer that from the desk's data. Ask about the market snapshot, the open positions or "
    "the risk state."
)
EMPTY_REPLY = "Ask a question after /ask, for example: why is India VIX up today?"
TOO_LONG_REPLY = f"That question is too long; keep it under {MAX_QUESTION_CHARS} characters."

_VERBS = r"(?:buy|sell|short|long|go long|go short|enter|exit|close|hold|trade|take|add|book|hedge|write)"
_TRADE_PATTERNS = [
    rf"\bshould (?:i|we)\s+(?:\w+\s+)?{_VERBS}\b",
    rf"\b(?:do|can|could|would) (?:i|we) {_VERBS}\b",
    rf"\bwhat (?:should|do|can|could) (?:i|we) {_VERBS}\b",
    rf"\b(?:is it|is now) (?:a )?(?:good|right|safe) (?:time )?to {_VERBS}\b",
    r"\b(?:buy|sell|short|long) or (?:buy|sell|hold|short|wait|not)\b",
    r"\b(?:give|tell|send|suggest|recommend|show) (?:me|us) (?:a |an |some |the |your )?(?:best )?"
    r"(?:trade|trades|strike|strikes|entry|entries|position|positions|call|calls|put|puts|tip|tips|"
    r"stop|stop[- ]loss|target|targets)\b",
    r"\bwhich (?:strike|strikes|option|options|call|calls|put|puts|spread|structure)\b.*\b(?:buy|sell|"
    r"trade|enter|short|write)\b",
    r"\b(?:place|execute|submit) (?:an? |the |my )?(?:order|trade)\b",
    r"\b(?:price )?target for (?:nifty|tomorrow|the week|expiry)\b",
    r"\b(?:tips?|calls?) for (?:today|tomorrow|expiry)\b",
]
_TRADE = re.compile("|".join(_TRADE_PATTERNS), re.IGNORECASE)


class QuestionVerdict(StrEnum):
    OK = "ok"
    EMPTY = "empty_question"
    TOO_LONG = "question_too_long"
    TRADE_INSTRUCTION = "refused_trade_instruction"


def classify(question: str) -> QuestionVerdict:
    """Whether a /ask question may go to Claude (pure)."""
    text = " ".join(question.split())
    if not text:
        return QuestionVerdict.EMPTY
    if len(text) > MAX_QUESTION_CHARS:
        return QuestionVerdict.TOO_LONG
    if _TRADE.search(text):
        return QuestionVerdict.TRADE_INSTRUCTION
    return QuestionVerdict.OK


REFUSALS = {
    QuestionVerdict.EMPTY: EMPTY_REPLY,
    QuestionVerdict.TOO_LONG: TOO_LONG_REPLY,
    QuestionVerdict.TRADE_INSTRUCTION: TRADE_INSTRUCTION_REPLY,
}
