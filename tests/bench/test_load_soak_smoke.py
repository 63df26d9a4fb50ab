"""The load and soak benchmarks run in a tiny configuration and produce well-formed results.

Timings live only in the benchmarks (docs/benchmarks.md); these tests check the machinery: the emulator
process, the users and the scripted trader, every phase answered without the bot's error message or a
malformed request, latencies recorded for every command, and the docs sections rendered.
"""

from __future__ import annotations

import math
import re
from datetime import time

import pytest

from benchmarks import bench_load, bench_soak

pytestmark = pytest.mark.e2e


def _table_rows(section: str) -> list[str]:
    return [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| ---")]


async def test_the_load_benchmark_runs_every_phase_and_renders_its_section():
    cfg = bench_load.LoadConfig(
        users=12,
        seed_from=(9, 59),
        seed_minutes=4,  # through the 10:00 scan (it suggests; approved): positions, marks, an equity curve
        closed_seconds=0.4,
        open_seconds=0.4,
        chart_seconds=0.6,
        chart_rate=8,
        chart_chats=4,
        rate=40,
        sweep=(20.0,),
        sweep_seconds=0.3,
        pin=False,
        freeze_heap=False,  # this is the test process: nothing of it is frozen
    )
    rep = await bench_load.measure(cfg)
    assert set(rep.phases) == {
        "peer closed",
        "peer open",
        "bot closed",
        "bot open",
        "bot open 20",
        "charts open",
    }
    for name, phase in rep.phases.items():
        r = phase.result
        assert r.completed > 0 and r.errors == 0 and r.unfinished == 0, (name, r)
        assert phase.bot_cpu > 0 and r.seconds > 0
        samples = [x for xs in r.latencies.values() for x in xs]
        assert len(samples) >= r.completed and all(0 < x < 30 for x in samples)
    text_labels = set(rep.phases["bot closed"].result.latencies)
    assert text_labels <= set(bench_load.TEXT_COMMANDS) and len(text_labels) >= 3
    # Real answers, not usage lines or refusals: the samples show what each command replied.
    samples = rep.phases["bot closed"].result.samples
    assert all("not allowed" not in s and "Usage" not in s for s in samples.values()), samples
    chart_labels = set(rep.phases["charts open"].result.latencies) & bench_load.CHART_LABELS
    assert chart_labels, rep.phases["charts open"].result.latencies
    assert rep.violations == []
    assert rep.cold_chart_ms and all(v > 0 for v in rep.cold_chart_ms.values())

    section = bench_load.render(rep, "python -m benchmarks load")
    assert section.startswith("## Load\n")
    rows = _table_rows(section)
    assert len(rows) == 1 + 5 + 1 + 4  # header + phases, goal header + goals
    assert all(row.count("|") == rows[0].count("|") for row in rows[:6])
    assert not re.search(r"\bnan\b", section.split("| goal |")[0])


async def test_the_soak_benchmark_samples_memory_and_counts_rows_per_day():
    cfg = bench_soak.SoakConfig(
        days=1,
        day_start=time(9, 59),
        day_end=time(10, 15),
        sample_minutes=4,
        chat_every_minutes=8,
        freeze_heap=False,  # this is the test process
    )
    rep = await bench_soak.soak(cfg)
    assert len(rep.days) == 1 and rep.errors == 0 and rep.violations == []
    day = rep.days[0]
    assert day.approvals >= 1 and day.rows["positions"] == day.approvals
    assert day.rows["equity_points"] > 0 and day.db_bytes > 0
    assert len(rep.samples) == 1 + 4  # at the start, then every 4 of the 16 minutes
    assert all(s.rss_mb > 10 and math.isfinite(s.rss_mb) for s in rep.samples)
    assert rep.growth_after_day1 == 0.0  # one day: nothing to compare yet

    section = bench_soak.render(rep, "python -m benchmarks soak")
    assert section.startswith("## Soak\n")
    assert "`positions` " in section and "growth after day 1" in section
    rows = _table_rows(section)
    assert len(rows) == 2 and rows[1].startswith(f"| {day.day:%a %d %b} | {day.approvals} |")


def test_a_named_benchmark_replaces_only_its_own_section_of_the_doc():
    from benchmarks.__main__ import replace_section

    doc = "# Benchmarks\n\nmade by\n\n## Replay\n\nr\n\n## Load\n\nold\nold too\n\n## Snapshot\n\ns\n"
    assert replace_section(doc, "## Load\n\nnew") == (
        "# Benchmarks\n\nmade by\n\n## Replay\n\nr\n\n## Load\n\nnew\n\n## Snapshot\n\ns\n"
    )
    assert replace_section(doc, "## Soak\n\nw").endswith("## Snapshot\n\ns\n\n## Soak\n\nw\n")


def test_a_whole_bench_run_keeps_the_full_runs_of_the_doc_next_to_their_short_runs():
    from benchmarks.__main__ import as_full_run, replace_section, with_full_runs

    full_load = as_full_run("## Load\n\nlong load\n\n### detail\n\nmore")
    assert full_load.startswith("## Load (full run)\n") and as_full_run(full_load) == full_load
    old = (
        "# Benchmarks\n\nold header\n\n## Load\n\nold short\n\n"
        + full_load
        + "\n\n## Soak (full run)\n\nweek\n"
    )
    merged = with_full_runs(["## Load\n\nnew short", "## Replay\n\nr", "## Soak\n\ns"], old)
    assert merged == [
        "## Load\n\nnew short",
        "## Load (full run)\n\nlong load\n\n### detail\n\nmore",
        "## Replay\n\nr",
        "## Soak\n\ns",
        "## Soak (full run)\n\nweek",
    ]
    # a named --full run replaces only its own full section
    assert "## Load (full run)\n\nnewer" in replace_section(old, as_full_run("## Load\n\nnewer"))
    assert "old short" in replace_section(old, as_full_run("## Load\n\nnewer"))


@pytest.mark.slow
def test_memory_stays_flat_over_two_trading_days():
    # The full soak is `python -m benchmarks soak --full` (5 days, docs/benchmarks.md); this is the
    # leak check in the slow suite: a fresh interpreter, two whole trading days.
    rep = bench_soak.measure(bench_soak.SoakConfig(days=2))
    assert rep.errors == 0 and rep.violations == []
    assert sum(d.approvals for d in rep.days) >= 1
    assert rep.growth_after_day1 <= bench_soak.GROWTH_LIMIT, bench_soak.render(rep, "slow test")
