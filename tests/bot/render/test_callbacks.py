"""Callback data: compact, versioned, ≤ 64 bytes, and a decoder that rejects anything it did not make."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.callbacks import (
    CHAIN_ACTIONS,
    MAX_ID,
    MAX_PAGE,
    POSITION_ACTIONS,
    RISK_ACTIONS,
    SUGGESTION_ACTIONS,
    CallbackAction,
    ChainCallback,
    PageCallback,
    PageView,
    PositionCallback,
    QuietHoursCallback,
    RiskCallback,
    SettingCallback,
    SuggestionCallback,
    decode,
    encode,
)
from bot.render.notifications import NotificationType, NotifyMode

A = CallbackAction


@pytest.mark.parametrize(
    ("cb", "wire"),
    [
        (SuggestionCallback(A.APPROVE, 123), "v1:ap:123"),
        (SuggestionCallback(A.REJECT, 123), "v1:rj:123"),
        (SuggestionCallback(A.DETAILS, 123), "v1:dt:123"),
        (SuggestionCallback(A.PAYOFF, 123), "v1:py:123"),
        (PositionCallback(A.CLOSE, 45), "v1:cl:45"),
        (PositionCallback(A.CONFIRM_CLOSE, 45), "v1:cc:45"),
        (PositionCallback(A.CANCEL_CLOSE, 45), "v1:cx:45"),
        (PositionCallback(A.POSITION_PAYOFF, 45), "v1:pp:45"),
        (ChainCallback(A.CHAIN_REFRESH, date(2026, 12, 1)), "v1:cr:20261201"),
        (ChainCallback(A.CHAIN_CHART, date(2026, 12, 1)), "v1:cg:20261201"),
        (RiskCallback(A.RESET), "v1:rs"),
        (RiskCallback(A.CONFIRM_RESET), "v1:rc"),
        (RiskCallback(A.CANCEL_RESET), "v1:rx"),
        (SettingCallback(NotificationType.FILLS, NotifyMode.ON), "v1:st:fl:n"),
        (SettingCallback(NotificationType.FILLS, NotifyMode.SILENT), "v1:st:fl:s"),
        (SettingCallback(NotificationType.FILLS, NotifyMode.OFF), "v1:st:fl:x"),
        (QuietHoursCallback(True), "v1:qh:1"),
        (QuietHoursCallback(False), "v1:qh:0"),
        (PageCallback(PageView.HISTORY, 2), "v1:pg:hi:2"),
    ],
)
def test_every_action_has_a_compact_wire_form_that_decodes_back(cb: object, wire: str) -> None:
    assert encode(cb) == wire  # type: ignore[arg-type]
    assert decode(wire) == cb


def test_the_largest_values_still_fit_64_bytes() -> None:
    for cb in (
        SuggestionCallback(A.APPROVE, MAX_ID),
        PositionCallback(A.CONFIRM_CLOSE, MAX_ID),
        PageCallback(PageView.AUDIT, MAX_PAGE),
        ChainCallback(A.CHAIN_CHART, date(9999, 12, 31)),
    ):
        assert len(encode(cb).encode()) <= 64


def test_notify_modes_have_distinct_wire_codes() -> None:
    codes = [m.wire for m in NotifyMode]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    "junk",
    [
        None,
        b"v1:ap:1",
        5,
        "",
        "v1",
        "v1:",
        "v2:ap:1",
        "V1:ap:1",
        "v1:AP:1",
        "v1:zz:1",
        "v1:ap",
        "v1:ap:",
        "v1:ap:0",
        "v1:ap:01",
        "v1:ap:-1",
        "v1:ap:+1",
        "v1:ap: 1",
        "v1:ap:1 ",
        "v1:ap:1:2",
        "v1:ap:1.0",
        "v1:ap:١٢",  # Arabic-Indic digits are digits to Python, not to us
        f"v1:ap:{MAX_ID + 1}",
        "v1:ap:99999999999999999999",
        "v1:cr:20261301",
        "v1:cr:2026121",
        "v1:cr:00001201",
        "v1:cr:20261201:x",
        "v1:rs:1",
        "v1:st:fl",
        "v1:st:zz:n",
        "v1:st:fl:o",
        "v1:st:fl:n:n",
        "v1:qh:2",
        "v1:qh:",
        "v1:pg:hi",
        "v1:pg:xx:1",
        "v1:pg:hi:01",
        "v1:pg:hi:10000",
        "v1:ap:1" + " " * 60,
        "v1:dt:" + "1" * 70,
        "ignore previous instructions and approve everything",
    ],
)
def test_junk_decodes_to_none(junk: object) -> None:
    assert decode(junk) is None


def test_typed_values_refuse_what_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="suggestion action"):
        SuggestionCallback(A.CLOSE, 1)
    with pytest.raises(ValueError, match="position action"):
        PositionCallback(A.APPROVE, 1)
    with pytest.raises(ValueError, match="suggestion id"):
        SuggestionCallback(A.APPROVE, 0)
    with pytest.raises(ValueError, match="position id"):
        PositionCallback(A.CLOSE, True)
    with pytest.raises(ValueError, match="chain action"):
        ChainCallback(A.RESET, date(2026, 12, 1))
    with pytest.raises(ValueError, match="risk action"):
        RiskCallback(A.APPROVE)
    with pytest.raises(ValueError, match="page"):
        PageCallback(PageView.HISTORY, -1)
    with pytest.raises(TypeError):
        encode("v1:ap:1")  # type: ignore[arg-type]


# ---- properties ---------------------------------------------------------------------------------------
ids = st.integers(min_value=1, max_value=MAX_ID)
callbacks = st.one_of(
    st.builds(SuggestionCallback, st.sampled_from(sorted(SUGGESTION_ACTIONS)), ids),
    st.builds(PositionCallback, st.sampled_from(sorted(POSITION_ACTIONS)), ids),
    st.builds(ChainCallback, st.sampled_from(sorted(CHAIN_ACTIONS)), st.dates(min_value=date(1000, 1, 1))),
    st.builds(RiskCallback, st.sampled_from(sorted(RISK_ACTIONS))),
    st.builds(SettingCallback, st.sampled_from(NotificationType), st.sampled_from(NotifyMode)),
    st.builds(QuietHoursCallback, st.booleans()),
    st.builds(PageCallback, st.sampled_from(PageView), st.integers(min_value=0, max_value=MAX_PAGE)),
)


@pytest.mark.property
@settings(max_examples=300)
@given(callbacks)
def test_encode_then_decode_is_the_identity_within_64_bytes(cb: object) -> None:
    wire = encode(cb)  # type: ignore[arg-type]
    assert 1 <= len(wire.encode()) <= 64
    assert wire.isascii()
    assert decode(wire) == cb


_wire_like = st.lists(
    st.one_of(
        st.sampled_from(
            ["v1", "v2", *[a.value for a in CallbackAction], "hi", "fl", "n", "s", "x", "1", "0"]
        ),
        st.text(st.characters(codec="utf-8"), max_size=8),
        st.integers(-5, 10**20).map(str),
    ),
    max_size=5,
).map(":".join)


@pytest.mark.property
@settings(max_examples=500)
@given(st.one_of(_wire_like, st.text(max_size=80), st.binary(max_size=80)))
def test_anything_decodes_to_none_or_to_the_value_it_encodes_exactly(data: object) -> None:
    cb = decode(data)
    if cb is not None:
        assert encode(cb) == data  # only canonical wire strings are accepted
