"""Replay: the real desk over past days; fast path == naive path; recorded replay == the live run."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.cli import main as cli_main
from core.clock import IST
from core.config.schema import parse_config
from core.errors import ConfigError
from core.replay.output import summary_markdown, trades_csv, write_outputs
from core.replay.records import ReplayRecordStore
from core.replay.report import TradeRow, build_report, cumulative, drawdown, stats
from core.replay.runner import ApprovalRule, ReplayRequest, run_replay

DAY = date(2026, 11, 25)
# Trend opens positions at 10:00 and 10:15 on this simulated day (seed 7, scans on the quarter hours as
# in a full day), so this window has fills, marks on quotes-only minutes and scans.
WINDOW = (time(10, 0), time(10, 30))


def replay(request: ReplayRequest, config=None, **kw):
    return asyncio.run(run_replay(request, config or parse_config({}), **kw))


def fingerprint(run):
    """What must not change between paths: every position (legs, fills, marks, exits, charges) and
    every equity point."""
    return run.positions, [(p.at, p.realized, p.unrealized, p.equity) for p in run.equity]


def test_fast_path_recorded_replay_and_the_live_run_agree(tmp_path):
    request = ReplayRequest(DAY, DAY, window=WINDOW)
    live = replay(ReplayRequest(DAY, DAY, window=WINDOW, fast=False, record_to=tmp_path))
    fast = replay(request)
    recorded = replay(ReplayRequest(DAY, DAY, window=WINDOW, source="recorded", recordings=tmp_path))
    assert live.approved >= 1, "the window must contain fills for this test to mean anything"
    assert fingerprint(fast) == fingerprint(live)
    assert fingerprint(recorded) == fingerprint(live)
    assert recorded.steps == live.steps == 30


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_a_whole_recorded_day_replays_to_the_same_trades_as_the_live_run(tmp_path):
    days = (date(2026, 11, 25), date(2026, 11, 26))
    live = replay(ReplayRequest(*days, fast=False, record_to=tmp_path))
    recorded = replay(ReplayRequest(*days, source="recorded", recordings=tmp_path))
    fast = replay(ReplayRequest(*days))
    assert any(not p.is_open for p in live.positions)
    assert fingerprint(recorded) == fingerprint(live) == fingerprint(fast)


@pytest.mark.db
def test_replay_runs_on_the_given_database(engine):
    run = replay(ReplayRequest(DAY, DAY, window=(time(10, 0), time(10, 5))), engine=engine)
    assert run.approved == 1 and len(run.positions) == 1
    assert run.positions[0].opened_by == 0 and run.positions[0].algorithm == "trend"


def test_a_replay_over_simulated_days_writes_the_report(tmp_path):
    run = replay(ReplayRequest(date(2026, 11, 23), date(2026, 11, 27), window=(time(10, 0), time(10, 30))))
    report = build_report(run)
    assert report.days == (date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27))
    paths = write_outputs(report, tmp_path / "out")
    assert {p.name for p in paths.values()} == {"summary.md", "trades.csv", "equity.png", "report.json"}
    assert paths["chart"].read_bytes().startswith(b"\x89PNG")
    rows = list(csv.DictReader(io.StringIO(paths["trades"].read_text())))
    data = json.loads(paths["json"].read_text())
    assert len(rows) == report.overall.trades == data["overall"]["trades"]
    assert sum(Decimal(r["net_inr"]) for r in rows) == report.overall.net
    assert sum(a.trades for a in report.algorithms) == report.overall.trades
    assert report.overall.net == report.overall.gross - report.overall.charges
    closed = [p for p in run.positions if not p.is_open]
    assert report.overall.trades == len(closed)
    assert report.overall.still_open == len(run.positions) - len(closed)
    text = paths["summary"].read_text()
    assert "| trend |" in text and "| overall |" in text and "P&L by regime" in text


def test_only_the_algorithms_asked_for_run():
    run = replay(ReplayRequest(DAY, DAY, algorithms=("range",), window=WINDOW))
    assert run.algorithms == ("range",)
    assert all(p.algorithm == "range" for p in run.positions)


def test_an_unknown_algorithm_is_a_config_error_naming_the_known_ones():
    with pytest.raises(ConfigError, match="Unknown algorithm nope; the config has atlas, range, trend"):
        replay(ReplayRequest(DAY, DAY, algorithms=("nope",)))


def test_the_approval_rule_filters_suggestions():
    run = replay(ReplayRequest(DAY, DAY, window=WINDOW, approve=ApprovalRule(min_score=101)))
    assert run.suggested >= 1 and run.approved == 0 and run.positions == ()


def test_a_recorded_replay_skips_days_without_a_recording(tmp_path):
    run = replay(ReplayRequest(DAY, DAY, source="recorded", recordings=tmp_path))
    assert run.days == () and run.skipped == ((DAY, "no recording"),)


def _trade(net: str, regime: str = "normal", reason: str = "stop_loss", minutes: int = 30) -> TradeRow:
    opened = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
    n = Decimal(net)
    return TradeRow(
        1,
        "atlas",
        "iron_condor",
        regime,
        DAY,
        1,
        opened,
        opened + timedelta(minutes=minutes),
        reason,
        n + Decimal("50"),
        Decimal("50"),
        n,
    )


def test_stats_count_wins_charges_exits_regimes_and_drawdown():
    trades = [_trade("1000", "low", "profit_target", 60), _trade("-1500"), _trade("300"), _trade("-200")]
    s = stats("atlas", trades, [])
    assert (s.trades, s.wins, s.win_rate) == (4, 2, 0.5)
    assert s.net == Decimal("-400.00") and s.charges == Decimal("200.00") and s.gross == Decimal("-200.00")
    assert s.exits == {"profit_target": 1, "stop_loss": 3}
    assert s.by_regime == {"low": Decimal("1000.00"), "normal": Decimal("-1400.00")}
    assert s.max_drawdown == Decimal("1500.00")  # from +1000 down to -500
    assert s.avg_holding == timedelta(minutes=37, seconds=30)


def test_no_trades_means_no_win_rate_and_no_holding_time():
    s = stats("range", [], [])
    assert s.win_rate is None and s.avg_holding is None and s.max_drawdown == 0


@pytest.mark.property
@given(st.lists(st.integers(-10_000, 10_000), max_size=40))
def test_drawdown_is_the_largest_fall_from_a_running_peak(nets):
    values = cumulative([Decimal(n) for n in nets])
    dd = drawdown(values)
    brute = max([Decimal(0)] + [max([Decimal(0), *values[:j]]) - values[j] for j in range(len(values))])
    assert dd == brute
    assert dd >= 0


def test_records_keep_the_latest_result_per_algorithm(tmp_path):
    run = replay(ReplayRequest(DAY, DAY, window=(time(10, 0), time(10, 5))))
    report = build_report(run)
    store = ReplayRecordStore(tmp_path)
    ran = datetime(2026, 11, 25, 16, 0, tzinfo=IST)
    store.save_report(report, ran)
    rec = store.latest("trend")
    assert rec is not None and rec.ran_at == ran and rec.days == 1 and rec.trades == 0
    assert store.latest("atlas") is not None and store.latest("nothing") is None
    (tmp_path / "atlas.json").write_text("{broken")
    assert store.latest("atlas") is None
    assert "| trend |" in summary_markdown(report) and trades_csv(report).startswith("position_id,")


def test_the_cli_writes_the_files_and_prints_the_summary(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = cli_main(["replay", "--from", "2026-11-28", "--to", "2026-11-29", "--out", "out", "--no-record"])
    assert code == 0
    out = capsys.readouterr().out
    assert "# Replay 2026-11-28 → 2026-11-29 (simulated)" in out and "0 trading day(s)" in out
    assert (tmp_path / "out" / "summary.md").is_file() and (tmp_path / "out" / "equity.png").is_file()


def test_the_cli_refuses_a_backwards_range(capsys):
    assert cli_main(["replay", "--from", "2026-11-28", "--to", "2026-11-20"]) == 1
    assert "before --from" in capsys.readouterr().err
