"""Templates whose output can outgrow one Telegram message split into valid parts."""

from __future__ import annotations

from bot.render import positions, suggestions
from bot.render.split import MESSAGE_LIMIT
from tests.bot.render import factories as f
from tests.bot.render.htmlcheck import assert_valid, visible


def test_twenty_positions_split_into_valid_parts_that_keep_every_line() -> None:
    views = [f.position_view(f.position(id=i)) for i in range(1, 21)]
    reply = positions.positions_view(views)
    assert len(visible(reply.text)) > MESSAGE_LIMIT
    parts = reply.parts()
    assert len(parts) >= 2
    for part in parts:
        assert_valid(part)
    assert "".join(visible(p) for p in parts) == visible(reply.text)
    assert all(f"#{i} Bull put spread" in "".join(parts) for i in range(1, 21))


def test_a_details_view_with_many_gates_stays_valid_when_split() -> None:
    from core.domain.trading import GateResult

    gates = tuple(GateResult(f"gate_{i}", i % 3 != 0, "reason " + "x" * 120) for i in range(40))
    reply = suggestions.suggestion_details(f.suggestion(gates=gates))
    parts = reply.parts()
    assert len(parts) >= 2
    for part in parts:
        assert_valid(part)
