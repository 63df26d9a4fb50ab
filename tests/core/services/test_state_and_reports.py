"""Export/import round trips, refusing broken files, archival, P&L by period, the scan command."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from core.domain.trading import ExitReason, SuggestionStatus
from core.errors import StateError
from core.paper.state_io import export_state, import_state, load_state_file, parse_state, read_state
from core.services.reports import ReportService
from tests.desk_harness import Desk

pytestmark = pytest.mark.db


async def _trade_day(desk: Desk) -> None:
    """One closed trade, one open trade, one rejected suggestion."""
    s1 = (await desk.service.scan()).created[0]
    p1 = (await desk.service.approve(s1.id, user_id=7)).position
    desk.clock.advance(timedelta(minutes=20))
    await desk.service.close(p1.id, user_id=7)
    desk.clock.advance(timedelta(minutes=20))
    s2 = (await desk.service.scan()).created[0]
    await desk.service.approve(s2.id, user_id=7)
    desk.clock.advance(timedelta(minutes=20))
    await desk.service.monitor()
    desk.service.pause(user_id=1)


async def test_export_then_import_into_an_empty_database_gives_the_same_state(
    engine, tmp_path, empty_engine_factory
):
    desk = Desk(engine)
    await _trade_day(desk)
    path = tmp_path / "state.json"
    counts = export_state(desk.factory, "1000000", path, desk.clock.now())
    assert counts["positions"] == 2 and counts["suggestions"] == 2
    other = empty_engine_factory()
    target = Desk(other)
    import_state(target.factory, load_state_file(path), target.clock.now())
    before, after = read_state(desk.factory, "1000000"), read_state(target.factory, "1000000")
    for key in ("positions", "suggestions", "equity", "archived"):
        assert after[key] == before[key], key
    assert after["risk_state"]["paused"] is True
    # The imported desk carries on: new ids do not collide (sequences moved past the imported ids).
    target.service.resume(user_id=1)
    target.clock.set(desk.clock.now() + timedelta(minutes=20))
    report = await target.service.scan()
    new = report.created[0] if report.created else None
    if new is not None:
        assert new.id > max(s["id"] for s in before["suggestions"])


def test_a_broken_file_is_refused_and_the_current_state_is_untouched(engine, tmp_path):
    desk = Desk(engine)
    import asyncio

    asyncio.run(_trade_day(desk))
    before = read_state(desk.factory, "1000000")
    good = dict(before, exported_at="2026-11-25T12:00:00+05:30")
    cases = {
        "not json": "{ nope",
        "wrong format": json.dumps({**good, "format": "other"}),
        "naive time": json.dumps(
            {**good, "positions": [{**good["positions"][0], "opened_at": "2026-11-25T10:00:00"}]}
        ),
        "negative lots": json.dumps({**good, "positions": [{**good["positions"][0], "lots": -1}]}),
        "dangling suggestion": json.dumps({**good, "suggestions": []}),
        "bad price": json.dumps(
            {
                **good,
                "positions": [
                    {
                        **good["positions"][0],
                        "legs": [{**good["positions"][0]["legs"][0], "entry_price": "NaN"}],
                    }
                ],
            }
        ),
    }
    for name, text in cases.items():
        bad = tmp_path / f"{name}.json"
        bad.write_text(text)
        with pytest.raises(StateError):
            load_state_file(bad)
    assert read_state(desk.factory, "1000000") == before


def test_export_keeps_the_last_three_backups(engine, tmp_path):
    desk = Desk(engine)
    out = tmp_path / "exports"
    path = out / "state.json"
    for _ in range(5):
        desk.clock.advance(timedelta(minutes=1))
        export_state(desk.factory, "1000000", path, desk.clock.now())
    names = sorted(p.name for p in out.iterdir())
    assert names == ["state.json", "state.json.bak.1", "state.json.bak.2", "state.json.bak.3"]
    newest, previous = json.loads(path.read_text()), json.loads((out / "state.json.bak.1").read_text())
    assert newest["exported_at"] > previous["exported_at"]
    parse_state(newest)


async def test_archiving_moves_old_closed_trades_but_keeps_the_totals(engine):
    desk = Desk(engine)
    await _trade_day(desk)
    reports = ReportService(factory=desk.factory, config=desk.config, clock=desk.clock)
    before = reports.pnl("all")
    desk.clock.advance(timedelta(days=100))
    moved, _ = desk.service.archive(days=90)
    assert moved == 1
    assert reports.history(10) == []
    after = reports.pnl("all")
    assert after.net_realized == before.net_realized
    assert after.equity == before.equity or after.unrealized != before.unrealized


async def test_pnl_for_the_day_adds_up(engine):
    desk = Desk(engine)
    await _trade_day(desk)
    reports = ReportService(factory=desk.factory, config=desk.config, clock=desk.clock)
    day = reports.pnl("day")
    assert day.trades_closed == 1
    closed = day.closed[0]
    assert closed.exit_reason is ExitReason.MANUAL
    assert day.net_realized == day.gross_realized - day.charges
    assert day.equity == Decimal("1000000") + day.net_realized + day.unrealized
    assert day.equity_curve and day.equity_curve[-1].equity == day.equity
    assert reports.pnl("week").net_realized == day.net_realized
    assert [d.action.value for d in reports.audit(3)] == ["pause", "open", "approve"]
    assert desk.service.suggestion(1).status is SuggestionStatus.EXECUTED


# ---- Greeks of a position from the snapshot's chain ------------------------------------------------------
def test_position_greeks_sum_the_legs_from_the_chain_and_are_unknown_when_a_leg_is_missing() -> None:
    from dataclasses import replace

    from core.services.reports import position_view
    from tests.bot.render import factories as f

    p, snap = f.position(), f.snapshot()
    chain = snap.chain(p.expiry)
    frame = chain.frame.set_index("tradingsymbol")
    want_delta = sum(
        leg.action.sign * leg.quantity * float(frame.loc[leg.contract.tradingsymbol, "delta"])
        for leg in p.legs
    )
    want_theta = sum(
        leg.action.sign * leg.quantity * float(frame.loc[leg.contract.tradingsymbol, "theta"])
        for leg in p.legs
    )
    view = position_view(p, snap)
    assert view.net_delta == pytest.approx(want_delta, abs=1e-9) and view.net_theta == pytest.approx(
        want_theta, abs=1e-9
    )
    assert view.net_delta != 0

    # A leg the chain does not quote, or a Greek the chain does not know: no number rather than a wrong one.
    missing = chain.frame[chain.frame["tradingsymbol"] != p.legs[0].contract.tradingsymbol]
    assert position_view(p, f.snapshot(chains=(replace(chain, frame=missing),))).net_delta is None
    unknown = chain.frame.copy()
    unknown.loc[unknown["tradingsymbol"] == p.legs[1].contract.tradingsymbol, "theta"] = float("nan")
    view = position_view(p, f.snapshot(chains=(replace(chain, frame=unknown),)))
    assert view.net_delta is None and view.net_theta is None
    assert position_view(p, None).net_delta is None
