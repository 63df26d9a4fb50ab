"""Splitting long messages the way Telegram counts them, and fitting photo captions."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.render.message import Reply, photo_reply
from bot.render.split import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    _atoms,
    fit_caption,
    split_message,
    telegram_length,
    utf16_len,
    visible_text,
)
from bot.render.text import esc
from tests.bot.render.htmlcheck import problems, utf16_length, visible


def test_lengths_count_parsed_text_in_utf16_units() -> None:
    assert telegram_length("<b>a &amp; b</b>") == 5
    assert telegram_length("😀") == 2  # outside the BMP: a surrogate pair
    assert telegram_length("&#128512;") == 2
    assert telegram_length("&#x20B9;") == 1  # ₹
    assert utf16_len("₹😀") == 3
    assert visible_text('<a href="https://x.y/?a=1&amp;b=2">link &lt;</a>') == "link <"


def test_a_message_within_the_limit_is_one_part_unchanged() -> None:
    text = "<b>hello</b>\n" * 10
    assert split_message(text) == [text]


def test_a_long_pre_block_is_closed_and_reopened_at_line_boundaries() -> None:
    lines = [f"{i:04d} " + "x" * 30 for i in range(400)]
    text = "<b>Title</b>\n<pre>" + "\n".join(lines) + "</pre>\nend"
    parts = split_message(text)
    assert len(parts) > 1
    for part in parts:
        assert not problems(part), part[:200]
        assert utf16_length(part) <= MESSAGE_LIMIT
    assert parts[1].startswith("<pre>")
    assert parts[0].endswith("\n</pre>")  # the cut is after a whole line
    assert "".join(visible(p) for p in parts) == visible(text)


def test_nested_tags_and_links_reopen_with_their_attributes_in_order() -> None:
    href = '<a href="https://example.com/?a=1&amp;b=&quot;2&quot;">'
    text = "<b><i>" + href + "\n".join(["word " * 10] * 30) + "</a></i></b>"
    parts = split_message(text, 200)
    assert len(parts) > 1
    for part in parts:
        assert part.startswith("<b><i>" + href)
        assert part.endswith("</a></i></b>")
        assert not problems(part)


def test_a_line_longer_than_the_limit_is_cut_after_a_space() -> None:
    text = "alpha beta gamma delta epsilon " * 20
    parts = split_message(text, 50)
    assert all(utf16_length(p) <= 50 for p in parts)
    assert all(p.endswith(" ") for p in parts[:-1])
    assert "".join(parts) == text


def test_entities_and_surrogate_pairs_are_never_cut() -> None:
    text = "&amp;😀" * 100
    parts = split_message(text, 9)
    for part in parts:
        assert not problems(part)
        assert utf16_length(part) <= 9
    assert "".join(visible(p) for p in parts) == visible(text)


def test_the_limit_counts_visible_text_not_markup() -> None:
    text = "<b>" + "&amp;" * 4000 + "</b>"  # 20,007 bytes of markup, 4,000 characters
    assert split_message(text) == [text]


def test_the_limit_must_leave_room_for_a_character() -> None:
    with pytest.raises(ValueError, match="limit"):
        split_message("abc", 1)


def test_reply_parts_split_long_text() -> None:
    reply = Reply("line\n" * 2000)
    parts = reply.parts()
    assert len(parts) == 3
    assert all(telegram_length(p) <= MESSAGE_LIMIT for p in parts)


def test_a_caption_that_fits_is_kept_whole() -> None:
    fit = fit_caption("<b>Equity</b> · net +₹1.00")
    assert fit.follow_up is None and fit.caption == "<b>Equity</b> · net +₹1.00"


def test_a_long_caption_is_shortened_with_a_note_and_the_full_text_follows() -> None:
    text = "<b>Summary</b>\n" + "\n".join(f"line {i} " + "é" * 40 for i in range(60))
    photo = photo_reply(b"\x89PNG", text)
    assert telegram_length(photo.caption) <= CAPTION_LIMIT
    assert "full text follows" in photo.caption
    assert not problems(photo.caption)
    assert "".join(visible(p) for p in photo.follow_up) == visible(text)


# ---- properties ---------------------------------------------------------------------------------------
_CHARS = st.sampled_from([*"abcxyz  AZ09<>&\"'.,éñ₹Δ😀\u202e\u200f", "𝔘"])
_words = st.text(_CHARS, min_size=1, max_size=40).map(esc)
_OPEN = [
    "b",
    "i",
    "u",
    "s",
    "code",
    "tg-spoiler",
    "blockquote",
    'a href="https://x.y/?q=1&amp;r=&quot;2&quot;"',
]


@st.composite
def telegram_html(draw: st.DrawFn) -> str:
    blocks = []
    for _ in range(draw(st.integers(1, 12))):
        lines = draw(st.lists(_words, min_size=1, max_size=15))
        body = "\n".join(lines)
        kind = draw(st.sampled_from(["plain", "pre", "tag", "nested"]))
        if kind == "pre":
            body = f"<pre>{body}</pre>"
        elif kind in ("tag", "nested"):
            outer = draw(st.sampled_from(_OPEN if kind == "tag" else _OPEN[:4]))  # nothing inside code
            name = outer.split()[0]
            if kind == "nested":
                inner = draw(st.sampled_from(["b", "i", "u"]))
                mid = len(lines) // 2
                body = "\n".join(lines[:mid]) + f"<{inner}>" + "\n".join(lines[mid:]) + f"</{inner}>"
            body = f"<{outer}>{body}</{name}>"
        blocks.append(body)
    return "\n".join(blocks)


@pytest.mark.property
@settings(max_examples=150, deadline=None)
@given(telegram_html(), st.integers(min_value=8, max_value=400))
def test_split_parts_stay_within_the_limit_valid_and_keep_the_text(text: str, limit: int) -> None:
    assert not problems(text)
    # A whitespace run about as long as a whole message is the one case where text may be dropped.
    assume(max((len(run) for run in re.findall(r"\s+", visible(text))), default=0) < limit - 2)
    parts = split_message(text, limit)
    for part in parts:
        assert not problems(part), part
        assert utf16_length(part) <= limit
        assert visible(part).strip()
    assert "".join(visible(p) for p in parts) == visible(text)


@pytest.mark.property
@settings(max_examples=60, deadline=None)
@given(telegram_html())
def test_split_measures_like_an_independent_parser(text: str) -> None:
    assert telegram_length(text) == utf16_length(text)
    assert visible_text(text) == visible(text)


@pytest.mark.property
@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        telegram_html(), st.text(), st.text(st.sampled_from([*"ab<>&#;x0123456789/ \n", "\ud800", "😀"]))
    )
)
def test_the_fast_length_equals_the_sum_of_the_atoms(text: str) -> None:
    # telegram_length skips building per-character atoms; it must count exactly as they do, on valid
    # HTML and on anything else (stray "&", "<", lone surrogates, out-of-range character references).
    assert telegram_length(text) == sum(a.size for a in _atoms(text))


def test_a_surrogate_character_reference_counts_as_literal_text() -> None:
    # "&#55296;" names a lone surrogate, which no UTF-16 text can hold: kept as its 8 literal characters
    # by both the fast length and the splitter (it used to raise UnicodeEncodeError in the splitter).
    assert telegram_length("a&#55296;b") == 10 == sum(a.size for a in _atoms("a&#55296;b"))
    parts = split_message("x&#55296;" * 3, 10)
    assert "".join(parts) == "x&#55296;" * 3 and all(telegram_length(p) <= 10 for p in parts)
