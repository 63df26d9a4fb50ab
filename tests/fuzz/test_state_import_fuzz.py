"""Malformed and tampered state import files: a clear ``StateError`` (one line through ``niftybot state
import``), nothing imported, the database exactly as it was.

Inputs: random text, truncated exports, an export with one value anywhere replaced by a random value
(wrong type, huge number, NaN, unicode, HTML), a key deleted, or an unknown key added. A tampered file
that is still a valid state may be imported (there is no signature); anything else must be refused
before or inside the one import transaction, never with a traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from core.errors import StateError
from core.paper.state_io import import_state, load_state_file, read_state
from core.persistence.db import make_engine, upgrade
from tests.desk_harness import Desk
from tests.fuzz.conftest import tally
from tests.fuzz.snapshots import changed, snapshot

pytestmark = [pytest.mark.property, pytest.mark.db]

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FUZZ_SLOW = settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


async def _trade_day(desk: Desk) -> None:
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


@pytest.fixture(scope="module")
def world(tmp_path_factory: Any) -> Any:
    """A database with a trading day in it, and that day's export as the document to tamper with."""
    base = tmp_path_factory.mktemp("state")
    engine = make_engine(f"sqlite:///{base / 'desk.db'}")
    upgrade(engine)
    desk = Desk(engine)
    asyncio.run(_trade_day(desk))
    doc = read_state(desk.factory, "1000000")
    doc["exported_at"] = desk.clock.now().isoformat()
    yield desk, doc, base
    engine.dispose()


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["", "NaN", "Infinity", "-1", "1e400", "2026-13-45", "<b>x</b>", "☃", "open", "closed"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def tamper(doc: dict[str, Any], data: st.DataObject) -> str:
    doc = json.loads(json.dumps(doc))
    kind = data.draw(st.sampled_from(["replace", "delete", "add", "text", "truncate"]))
    if kind == "text":
        return data.draw(st.text(max_size=200))
    if kind == "truncate":
        text = json.dumps(doc)
        return text[: data.draw(st.integers(min_value=0, max_value=len(text) - 1))]
    path = data.draw(st.sampled_from(paths(doc)[1:]))
    parent: Any = doc
    for key in path[:-1]:
        parent = parent[key]
    if kind == "replace":
        parent[path[-1]] = data.draw(junk)
    elif kind == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(st.text(min_size=1, max_size=8))] = data.draw(junk)
    else:
        parent.append(data.draw(junk))
    return json.dumps(doc, ensure_ascii=data.draw(st.booleans()))


def _check(world: Any, data: st.DataObject) -> None:
    desk, doc, base = world
    tally("state import: tampered file")
    text = tamper(doc, data)
    f = base / "tampered.json"
    f.write_text(text, "utf-8")
    before = snapshot(desk.engine)
    try:
        state = load_state_file(f)
        import_state(desk.factory, state, desk.clock.now())
    except StateError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg and "Traceback" not in msg, msg
        assert not changed(before, snapshot(desk.engine)), msg
        return
    # Accepted: put the original back so the next example tampers with the real state again.
    import_state(desk.factory, load_state_file(_original(doc, base)), desk.clock.now())


def _original(doc: dict[str, Any], base: Path) -> Path:
    f = base / "original.json"
    if not f.exists():
        f.write_text(json.dumps(doc), "utf-8")
    return f


@FUZZ
@given(data=st.data())
def test_a_tampered_state_file_is_refused_cleanly_or_is_a_valid_state(world, data):
    _check(world, data)


@pytest.mark.slow
@FUZZ_SLOW
@given(data=st.data())
def test_a_tampered_state_file_is_refused_cleanly_or_is_a_valid_state_full(world, data):
    _check(world, data)


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda d: d.update(version=2), "unsupported version"),
        (lambda d: d["positions"][0].update(lots="many"), "positions[0]"),
        (lambda d: d["suggestions"][0]["components"].append({"name": "x"}), "suggestions[0]"),
        (lambda d: d["risk_state"].update(trading_day="yesterday"), "risk_state"),
        (lambda d: d["risk_state"].update(peak_equity="lots"), "risk_state"),
        (lambda d: d["archived"].append({"position_id": "x"}), "archived[0]"),
        (lambda d: d["positions"][0].update(id=2**64), "positions[0]"),
        (lambda d: d["positions"][0]["entry_charges"].update(brokerage=1e26), "out of range"),
    ],
)
def test_state_import_cli_refuses_with_one_line_and_leaves_the_database(world, capsys, mutate, named):
    desk, doc, base = world
    tally("state import: niftybot state import")
    bad = json.loads(json.dumps(doc))
    mutate(bad)
    f = base / "bad.json"
    f.write_text(json.dumps(bad), "utf-8")
    before = snapshot(desk.engine)
    old = {k: os.environ.get(k) for k in ("DATABASE_URL", "NIFTYBOT_CONFIG")}
    os.environ["DATABASE_URL"] = str(desk.engine.url)
    os.environ.pop("NIFTYBOT_CONFIG", None)
    try:
        rc = main(["state", "import", str(f)])
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    err = capsys.readouterr().err
    assert rc == 1, err
    assert err.startswith("niftybot: ") and err.count("\n") == 1, err
    assert named in err, err
    assert not changed(before, snapshot(desk.engine))
