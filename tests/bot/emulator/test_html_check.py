"""Telegram's HTML parse mode: what it accepts, what it refuses, and in which words."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.emulator.html_check import ParseError, parse_html, utf16_len


def entities(text: str) -> list[tuple[str, int, int]]:
    return [(e.type, e.offset, e.length) for e in parse_html(text).entities]


@pytest.mark.parametrize(
    ("source", "text", "found"),
    [
        ("<b>bold</b> <strong>s</strong>", "bold s", [("bold", 0, 4), ("bold", 5, 1)]),
        ("<i>i</i><em>e</em>", "ie", [("italic", 0, 1), ("italic", 1, 1)]),
        ("<u>u</u><ins>n</ins>", "un", [("underline", 0, 1), ("underline", 1, 1)]),
        (
            "<s>a</s><strike>b</strike><del>c</del>",
            "abc",
            [("strikethrough", 0, 1), ("strikethrough", 1, 1), ("strikethrough", 2, 1)],
        ),
        (
            '<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>',
            "xy",
            [("spoiler", 0, 1), ("spoiler", 1, 1)],
        ),
        ("<code>x = 1</code>", "x = 1", [("code", 0, 5)]),
        ("<pre>block</pre>", "block", [("pre", 0, 5)]),
        ("<blockquote>q</blockquote>", "q", [("blockquote", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ("<B>caps</B>", "caps", [("bold", 0, 4)]),
        ("<b>bold <i>both</i></b>", "bold both", [("bold", 0, 9), ("italic", 5, 4)]),
        ("😀 <b>é</b>", "😀 é", [("bold", 3, 1)]),  # offsets are UTF-16 units: the emoji counts 2
        ("&lt;b&gt; &amp; &quot;q&quot; &#8377; &#x20B9;", '<b> & "q" ₹ ₹', []),
        ("5 &lt 6", "5 < 6", []),  # the semicolon is optional before a non-letter
        ("<b></b>x", "x", []),  # an empty entity disappears
        ("  <b> lead</b>  \n", "lead", [("bold", 0, 4)]),  # Telegram trims, entities lose leading blanks
        ("<b data-x y='1' z>x</>", "x", [("bold", 0, 1)]),  # other attributes are ignored; </> closes any tag
        ("<i>a</i  >", "a", [("italic", 0, 1)]),
        ("<blockquote expandable=no>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ("<pre><code class='language-'>x</code></pre>", "x", [("pre", 0, 1), ("code", 0, 1)]),
        (
            "&#12345678; &#0; &copy;",
            "&#12345678; &#0; &copy;",
            None,
        ),  # not references: kept as typed (lenient)
    ],
)
def test_allowed_markup_gives_text_and_entities(
    source: str, text: str, found: list[tuple[str, int, int]] | None
) -> None:
    parsed = parse_html(source, strict=found is not None)  # None: only the lenient live parser accepts it
    assert parsed.text == text
    assert [(e.type, e.offset, e.length) for e in parsed.entities] == (found or [])


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ('<a href="https://nseindia.com/?a=1&amp;b=2">NSE</a>', "https://nseindia.com/?a=1&b=2"),
        ("<a href=nseindia.com>NSE</a>", "http://nseindia.com/"),  # scheme and path added, as tdlib does
        ("<a href='https://zerodha.com?x'>Z</a>", "https://zerodha.com/?x"),
        ("<a>nseindia.com</a>", "http://nseindia.com/"),  # no href: the text is the link
        ("<a href='tg://user?id=42'>you</a>", "tg://user?id=42"),
        ('<a href="nonsense">x</a>', None),  # an unusable link is dropped silently, the text stays
        ("<a>nseindia.com </a>", None),
        ('<a href="http://localhost/">x</a>', None),
    ],
)
def test_links_are_normalised_or_dropped_like_telegram(source: str, url: str | None) -> None:
    links = [e.url for e in parse_html(source).entities]
    assert links == ([url] if url else [])


def test_pre_with_a_code_language_becomes_one_pre_entity() -> None:
    (block,) = parse_html('<pre><code class="language-python">x = 1</code></pre>').entities
    assert (block.type, block.language) == ("pre", "python")


def test_custom_emoji_needs_a_numeric_id() -> None:
    (emoji,) = parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>').entities
    assert emoji.custom_emoji_id == "5368324170671202286"
    with pytest.raises(ParseError, match="Invalid custom emoji identifier specified"):
        parse_html('<tg-emoji emoji-id="abc">👍</tg-emoji>')


@pytest.mark.parametrize(
    ("source", "description"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("a <br/> b", 'Unsupported start tag "br/" at byte offset 2'),
        ("₹ <p>x</p>", 'Unsupported start tag "p" at byte offset 4'),  # byte offsets: ₹ is 3 bytes
        ("x < y", 'Unsupported start tag "" at byte offset 2'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<span class="bold">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b =x>y</b>", 'Empty attribute name in the tag "b" at byte offset 0'),
        ("<b x = ", 'Unclosed start tag "b" at byte offset 0'),
        ("<i x>never closed", 'Can\'t find end tag corresponding to start tag "i"'),
        ("<a href=x!y>z</a>", "Unexpected end of name token at byte offset 8"),
    ],
)
def test_broken_markup_is_refused_with_tdlibs_description(source: str, description: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_html(source)
    assert caught.value.description == description
    assert not caught.value.strict_only


@pytest.mark.parametrize(
    ("source", "description"),
    [
        ("P&L", 'Character "&" at byte offset 1 must be escaped as "&amp;"'),
        ("a &nbsp; b", 'Character "&" at byte offset 2 must be escaped as "&amp;"'),
        ("spot > 24000", 'Character ">" at byte offset 5 must be escaped as "&gt;"'),
    ],
)
def test_strict_mode_refuses_what_the_docs_forbid_but_the_server_tolerates(
    source: str, description: str
) -> None:
    with pytest.raises(ParseError) as caught:
        parse_html(source)
    assert (caught.value.description, caught.value.strict_only) == (description, True)
    assert parse_html(source, strict=False).text == source


printable = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=200)


@pytest.mark.property
@given(printable)
def test_any_escaped_text_comes_back_unchanged(text: str) -> None:
    parsed = parse_html(html.escape(text, quote=False))
    assert parsed.text == text.strip(" \n")
    assert parsed.entities == ()


@pytest.mark.property
@given(
    printable.filter(lambda t: t.strip(" \n")), st.sampled_from(["b", "i", "u", "s", "code", "tg-spoiler"])
)
def test_a_wrapped_text_is_one_entity_measured_in_utf16(text: str, tag: str) -> None:
    core = text.strip(" \n")
    parsed = parse_html(f"<{tag}>{html.escape(core, quote=False)}</{tag}>")
    assert parsed.text == core
    (entity,) = parsed.entities
    assert (entity.offset, entity.length) == (0, utf16_len(core))
