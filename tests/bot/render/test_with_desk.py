"""Real objects from the desk (simulator, snapshot engine, database) render into valid messages.

Goldens use pinned hand-made objects; this test guards the other direction: whatever the real services
produce today (prices with three decimals, Greeks, gate texts, charges) still renders within
Telegram's rules and shows the right numbers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.render import alerts, charts, history, market, positions, risk, suggestions
from bot.render.text import pnl, price
from core.domain.money import format_inr
from core.services.results import Outcome, PositionView
from tests.bot.render.htmlcheck import assert_valid, visible
from tests.desk_harness import Desk

pytestmark = pytest.mark.db


async def test_a_full_trade_renders_valid_messages_with_the_service_numbers(engine):
    desk = Desk(engine)
    s = (await desk.service.scan()).created[0]
    snap = desk.market.latest
    assert snap is not None
    now = desk.clock.now()
    rendered = {
        "brief": market.premarket_brief(snap, None),
        "chain": market.chain_view(snap, now),
        "vol": market.vol_view(snap, now),
        "suggestion": suggestions.suggestion_message(s),
        "details": suggestions.suggestion_details(s),
        "pending": suggestions.pending_list(desk.service.pending(), now),
    }
    sugg = visible(rendered["suggestion"].text)
    assert format_inr(s.max_profit, sign=True) in sugg and format_inr(-s.max_loss, sign=True) in sugg
    assert f"#{s.id}" in sugg

    approved = await desk.service.approve(s.id, user_id=7)
    assert approved.outcome is Outcome.OK
    pos = approved.position
    edit = suggestions.decision_edit(approved)
    assert edit.keyboard is None
    assert all(price(leg.entry_price) in edit.text for leg in pos.legs)
    assert f"position #{pos.id}" in edit.text
    views = [
        PositionView(p, p.unrealized_pnl, p.unrealized_pnl / p.lots, None, None, p.marked_at)
        for p in desk.service.open_positions()
    ]
    rendered |= {
        "decision": edit,
        "positions": positions.positions_view(views),
        "close_confirm": positions.close_confirm(pos),
        "fill": alerts.fill_alert(pos),
    }

    desk.clock.advance(timedelta(minutes=30))
    closed = await desk.service.close(pos.id, user_id=7)
    assert closed.outcome is Outcome.OK
    done = closed.position
    rendered |= {
        "close_result": positions.close_result(closed),
        "exit": alerts.exit_alert(done),
        "drawdown": risk.drawdown_view(desk.service.risk(), is_admin=True),
        "history": history.history_view([done], 10),
        "audit": history.audit_view(desk.service.audit.recent(10), 10),
    }
    assert pnl(done.net_realized_pnl) in rendered["close_result"].text
    for name, reply in rendered.items():
        try:
            assert_valid(reply.text)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None

    payoff = charts.payoff_data(charts.suggestion_legs(s), snap.spot.last)
    assert payoff.max_profit == pytest.approx(float(s.max_profit), abs=0.01)
    assert payoff.max_loss == pytest.approx(float(s.max_loss), abs=0.01)
    smile = charts.smile_data(snap.chain())
    assert len(smile.strikes) == 41 and smile.max_pain == snap.chain().analytics.max_pain
