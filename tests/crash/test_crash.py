"""Crash consistency: the bot as a real process, SIGKILLed at random points and restarted, on SQLite and
PostgreSQL; after the run every invariant of tests/crash/harness.py:check holds.

Short version (make test): 3 kills per backend. Full version (make test-slow): 5 seeds x 2 backends x
20 kills = 200 kills. Figures of a full run are printed and recorded in docs/reliability.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import POSTGRES_URL, postgres_problem
from tests.crash.harness import CrashRun, Database, check

pytestmark = [pytest.mark.e2e, pytest.mark.db]


def _database(backend: str, tmp_path: Path) -> Database:
    if backend == "sqlite":
        return Database.sqlite(tmp_path / "crash.db")
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    return Database.postgres(POSTGRES_URL)


async def _run(backend: str, tmp_path: Path, seed: int, kills: int, **kw: Any) -> CrashRun:
    db = _database(backend, tmp_path)
    try:
        run = CrashRun(tmp_path, db, seed=seed, kills=kills, **kw)
        stats = await run.run()
        violations = check(run)
    finally:
        db.drop()
    figures = {k: v for k, v in vars(stats).items() if k != "startup_seconds"}
    figures["startup_median_s"] = sorted(stats.startup_seconds)[len(stats.startup_seconds) // 2]
    figures["violations"] = len(violations)
    out = os.environ.get("NIFTYBOT_CRASH_FIGURES")
    if out:
        with Path(out).open("a") as f:  # noqa: ASYNC230 (one line at the end of a run)
            f.write(json.dumps(figures, default=str) + "\n")
    print("crash run:", json.dumps(figures, default=str))
    assert stats.kills == kills
    assert stats.approvals_pressed > 0
    assert not violations, "\n".join(violations)
    return run


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_crash_short(backend: str, tmp_path: Path) -> None:
    run = await _run(
        backend,
        tmp_path,
        seed=1,
        kills=3,
        life_seconds=(0.8, 2.0),
        startup_kill_share=0.0,
        targeted_share=0.5,
    )
    # Every life of the real process froze its start-up heap out of the GC's full passes (core/ops/heap.py).
    logs = "".join(f.read_text(errors="replace") for f in (tmp_path / "logs").glob("app.log*"))
    assert logs.count("start-up heap frozen") >= 1
    if backend == "sqlite":
        _checker_sees_damage(run)


def _checker_sees_damage(run: CrashRun) -> None:
    """The checker is not blind: damage the database the way the invariants forbid, expect it named."""
    eng = run.db.engine()
    with eng.begin() as conn:
        for sql in (
            "update suggestions set status='approved'"
            " where id=(select min(id) from suggestions where status='executed')",
            "update outbox_messages set status='pending' where id=(select min(id) from outbox_messages)",
            "update positions set net_pnl = net_pnl + 1 where status='closed'",
            "delete from trade_decisions where id=(select max(id) from trade_decisions where action='open')",
        ):
            conn.execute(text(sql))
    eng.dispose()
    expected = ["is pending"]
    expected += ["stuck in approved", "has no open audit row"] if run.stats.positions else []
    expected += ["net/gross"] if run.stats.closed else []
    found = "\n".join(check(run))
    for phrase in expected:
        assert phrase in found, f"the checker missed {phrase!r}:\n{found}"


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", [11, 12, 13, 14, 15])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_crash_full(backend: str, seed: int, tmp_path: Path) -> None:
    await _run(backend, tmp_path, seed=seed, kills=20, life_seconds=(0.5, 2.5), startup_kill_share=0.25)
