"""Recording: snapshots written by the recorder are served back, at any moment, as recorded."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from core.clock import IST
from core.config.schema import parse_config
from core.errors import DataFetchError, StateError
from core.market_hours import default_calendar
from core.marketdata.engine import SnapshotEngine
from core.marketdata.ports import INDIA_VIX, NIFTY
from core.marketdata.simulator import SimulatedMarket
from core.recording import layout
from core.recording.recorder import SnapshotRecorder, recorder_for
from core.recording.source import RecordedSource

CAL = default_calendar()
DAY = date(2026, 11, 25)


def at(hh: int, mm: int, d: date = DAY) -> datetime:
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=IST)


@pytest.fixture
def recorded(tmp_path):
    """A simulator session recorded at 10:00 (full), 10:01 (quotes, near expiry only), 10:05 (full)."""
    sim = SimulatedMarket(CAL, seed=7)
    engine = SnapshotEngine(sim, CAL, parse_config({}), iv_history=sim)
    rec = recorder_for(tmp_path, 120, engine, source_name=sim.name, strike_window=30, calendar=CAL)
    snaps = {}

    async def go():
        snaps["10:00"] = await engine.build(at(10, 0))
        near = snaps["10:00"].chain().expiry
        snaps["10:01"] = await engine.build_quotes(at(10, 1), [near])
        snaps["10:05"] = await engine.build(at(10, 5))

    asyncio.run(go())
    for key in ("10:00", "10:01", "10:05"):
        rec(snaps[key])
    rec.flush()
    return tmp_path, sim, snaps


def test_the_day_folder_has_a_versioned_manifest_and_part_files(recorded):
    folder = layout.day_dir(recorded[0], DAY)
    manifest = json.loads((folder / layout.MANIFEST).read_text())
    assert manifest == {
        "format": "niftybot-recording",
        "version": 1,
        "day": "2026-11-25",
        "source": "simulator",
        "strike_window": 30,
    }
    assert layout.parts(folder, layout.SNAPSHOTS) and layout.parts(folder, layout.CHAINS)
    assert (folder / layout.DAILY_NIFTY).is_file() and (folder / layout.IV_HISTORY).is_file()
    assert RecordedSource(recorded[0]).days() == [DAY]


def test_quotes_between_recordings_are_the_last_recorded_state(recorded):
    directory, _, snaps = recorded
    src = RecordedSource(directory)
    spot = asyncio.run(src.index_quote(NIFTY, at(10, 3)))
    assert spot == snaps["10:01"].spot
    assert asyncio.run(src.index_quote(INDIA_VIX, at(10, 5))) == snaps["10:05"].vix
    assert asyncio.run(src.index_quote(NIFTY, at(10, 0))) == snaps["10:00"].spot


def test_a_chain_is_the_newest_recording_of_that_expiry(recorded):
    directory, _, snaps = recorded
    src = RecordedSource(directory)
    near, far = snaps["10:00"].chains[0], snaps["10:00"].chains[-1]
    got_near = asyncio.run(src.chain(near.expiry, 0.0, 30, at(10, 3)))
    quoted = snaps["10:01"].chain(near.expiry).frame
    pd.testing.assert_frame_equal(
        got_near, quoted[got_near.columns.tolist()].reset_index(drop=True), check_dtype=False
    )
    got_far = asyncio.run(src.chain(far.expiry, 0.0, 30, at(10, 3)))  # not in the 10:01 quotes
    pd.testing.assert_frame_equal(
        got_far, far.frame[got_far.columns.tolist()].reset_index(drop=True), check_dtype=False
    )


def test_nothing_before_the_first_recording_or_on_an_unrecorded_day(recorded):
    src = RecordedSource(recorded[0])
    with pytest.raises(DataFetchError, match="at or before 09:59 IST on 25 Nov 2026"):
        asyncio.run(src.index_quote(NIFTY, at(9, 59)))
    with pytest.raises(DataFetchError, match="no recording for 26 Nov 2026"):
        asyncio.run(src.expiries(at(10, 0, date(2026, 11, 26))))


def test_the_engine_on_a_recording_rebuilds_the_live_snapshot(recorded):
    directory, _sim, snaps = recorded
    src = RecordedSource(directory)
    again = asyncio.run(SnapshotEngine(src, CAL, parse_config({}), iv_history=src).build(at(10, 5)))
    live = snaps["10:05"]
    assert again.spot == live.spot and again.vix == live.vix
    assert again.vol == live.vol
    assert again.technicals == live.technicals
    assert again.global_cues == live.global_cues
    assert [c.expiry for c in again.chains] == [c.expiry for c in live.chains]
    for a, b in zip(again.chains, live.chains, strict=True):
        assert a.analytics == b.analytics
        pd.testing.assert_frame_equal(a.frame, b.frame, check_dtype=False)
    assert {k: v.status for k, v in again.parts.items()} == {k: v.status for k, v in live.parts.items()}


def test_candles_and_daily_inputs_round_trip(recorded):
    directory, sim, _ = recorded
    src = RecordedSource(directory)
    got = asyncio.run(src.candles(at(10, 5)))
    want = asyncio.run(sim.candles(at(10, 5)))
    pd.testing.assert_frame_equal(got, want, check_freq=False)
    for symbol in (NIFTY, INDIA_VIX):
        pd.testing.assert_frame_equal(
            asyncio.run(src.daily_history(symbol, at(10, 5), 300)),
            asyncio.run(sim.daily_history(symbol, at(10, 5), 300)),
        )
    pd.testing.assert_series_equal(src.iv_history(at(10, 5)), sim.iv_history(at(10, 5)), check_names=False)


def test_retention_deletes_days_older_than_the_limit(tmp_path):
    for d in ("2026-07-01", "2026-11-20"):
        layout.write_manifest(tmp_path / d, date.fromisoformat(d), "x", 30)
    rec = SnapshotRecorder(tmp_path, retention_days=30)
    assert rec.prune(DAY) == [date(2026, 7, 1)]
    assert layout.recorded_days(tmp_path) == [date(2026, 11, 20)]


def test_a_newer_format_version_is_refused_with_the_reason(tmp_path):
    folder = tmp_path / "2026-11-25"
    folder.mkdir()
    (folder / layout.MANIFEST).write_text(json.dumps({"format": "niftybot-recording", "version": 99}))
    with pytest.raises(StateError, match="format version 99"):
        asyncio.run(RecordedSource(tmp_path).index_quote(NIFTY, at(10, 0)))


def test_the_recorder_flushes_every_n_snapshots_and_after_the_close(tmp_path):
    sim = SimulatedMarket(CAL, seed=7)
    engine = SnapshotEngine(sim, CAL, parse_config({}), iv_history=sim)
    rec = SnapshotRecorder(tmp_path, retention_days=10, calendar=CAL, flush_every=2)

    async def go():
        for m in range(3):
            rec(await engine.build_quotes(at(15, 37) + timedelta(minutes=m), []))
        rec(await engine.build_quotes(at(15, 45), []))

    asyncio.run(go())
    parts = layout.parts(layout.day_dir(tmp_path, DAY), layout.SNAPSHOTS)
    assert len(parts) == 2  # 15:37-15:38, then 15:39 + 15:45 flushed after the close
    assert sum(len(pd.read_parquet(p)) for p in parts) == 4
