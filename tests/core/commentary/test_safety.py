"""Output safety: plain text, links and commands neutralised, trimmed at a boundary, HTML-escaped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.commentary.safety import ELLIPSIS, make_safe, plain, trim


def test_markdown_is_dropped_and_html_is_escaped():
    text = make_safe("# Brief\n**NIFTY** is _flat_ and `VIX` <i>rose</i> & fell", 500)
    assert text == "Brief\nNIFTY is _flat_ and VIX &lt;i&gt;rose&lt;/i&gt; &amp; fell"


def test_links_become_a_marker_and_commands_lose_their_slash():
    text = plain("See https://x.example/a?b=1 or tg://resolve?domain=bot or www.x.example, then /approve_7.")
    assert text == "See [link removed] or [link removed] or [link removed] then approve_7."
    assert plain("put/call ratio 1.12 on 24/11/2026") == "put/call ratio 1.12 on 24/11/2026"


def test_control_and_bidi_characters_are_removed():
    assert plain("NIFTY\u202e flat\x07\u200b.") == "NIFTY flat."


def test_trimming_prefers_a_sentence_end():
    text = "First sentence here. Second sentence is longer than the rest. Third."
    assert trim(text, 40) == "First sentence here." + ELLIPSIS


def test_trimming_falls_back_to_a_word_when_the_sentence_would_lose_too_much():
    text = "Short. " + "word " * 40
    out = trim(text, 60)
    assert len(out) <= 60 and out.endswith("word" + ELLIPSIS)


def test_short_text_is_untouched():
    assert trim("NIFTY flat.", 100) == "NIFTY flat."


@pytest.mark.property
@given(text=st.text(min_size=0, max_size=2000), limit=st.integers(100, 1500))
def test_safe_text_never_exceeds_the_limit_and_never_contains_raw_markup(text, limit):
    out = make_safe(text, limit)
    visible = out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert len(visible) <= limit
    assert "<" not in out and ">" not in out
    assert "&" not in out.replace("&lt;", "").replace("&gt;", "").replace("&amp;", "")
