"""/ask: trade instructions, empty and long questions are refused before Claude sees them."""

from __future__ import annotations

import pytest

from core.commentary.questions import MAX_QUESTION_CHARS, QuestionVerdict, classify


@pytest.mark.parametrize(
    "question",
    [
        "Should I buy the 24000 CE?",
        "should we sell puts today",
        "What should I trade tomorrow?",
        "Can I short NIFTY here?",
        "Buy or sell?",
        "Give me a trade for expiry",
        "Suggest me the best strike",
        "Which strike should I sell for the weekly?",
        "Is it a good time to enter?",
        "Place an order for 2 lots",
        "Tips for tomorrow please",
        "Price target for NIFTY?",
    ],
)
def test_trade_instructions_are_refused(question):
    assert classify(question) is QuestionVerdict.TRADE_INSTRUCTION


@pytest.mark.parametrize(
    "question",
    [
        "Why is India VIX up today?",
        "What is the max pain for the nearest expiry?",
        "Why did the desk suggest a bull put spread?",
        "How much of the daily loss limit is used?",
        "What does PCR 1.12 mean?",
        "Why was position 9 closed?",
    ],
)
def test_questions_about_the_data_go_through(question):
    assert classify(question) is QuestionVerdict.OK


def test_empty_and_long_questions_are_refused():
    assert classify("   ") is QuestionVerdict.EMPTY
    assert classify("why " * MAX_QUESTION_CHARS) is QuestionVerdict.TOO_LONG
