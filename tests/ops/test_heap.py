"""The garbage-collector measures (core/ops/heap.py): the start-up freeze and the pause recorder."""

from __future__ import annotations

import gc

import pytest

from core.ops.heap import PAUSE_BUCKETS, GcPauses, freeze_startup_heap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def unfrozen():
    """Each test starts and ends with nothing frozen (the test process builds many bots)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freezing_takes_the_live_objects_out_of_later_collections(unfrozen):
    kept = [Node() for _ in range(1000)]
    ids = {id(n) for n in kept}
    assert ids <= {id(o) for o in gc.get_objects()}
    frozen = freeze_startup_heap()
    assert frozen.frozen == gc.get_freeze_count() >= len(kept)
    assert frozen.seconds >= 0
    # the collector no longer walks them: no generation lists them
    assert not ids & {id(o) for o in gc.get_objects()}
    # objects made afterwards are collected as usual
    later = Node()
    assert id(later) in {id(o) for o in gc.get_objects()}


def test_garbage_is_collected_before_the_freeze_not_kept_forever(unfrozen):
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle only the cyclic collector can free
    del a, b
    frozen = freeze_startup_heap()
    assert frozen.collected >= 2


def test_the_recorder_times_real_collections_by_generation():
    pauses = GcPauses().install()
    try:
        before = pauses.stats()
        gc.collect(0)
        gc.collect(2)
        after = pauses.stats()
    finally:
        pauses.uninstall()
    assert after.count[0] >= before.count[0] + 1
    assert after.count[2] == before.count[2] + 1
    assert after.longest[2] > 0 and after.total[2] >= after.longest[2]
    # the +Inf bucket is the count; buckets are cumulative
    row = after.buckets[2]
    assert list(row) == sorted(row) and row[-1] <= after.count[2]
    # uninstalled: collections are no longer counted
    gc.collect(2)
    assert pauses.stats().count[2] == after.count[2]


def test_install_is_idempotent():
    pauses = GcPauses()
    pauses.install().install()
    try:
        assert gc.callbacks.count(pauses._callback) == 1
    finally:
        pauses.uninstall()
    assert pauses._callback not in gc.callbacks


def test_buckets_are_cumulative_upper_bounds():
    pauses = GcPauses()
    pauses.record(2, 0.003)  # 3 ms: above 1 ms, within 5 ms
    pauses.record(2, 0.2)  # 200 ms
    pauses.record(0, 0.0005)
    stats = pauses.stats()
    assert PAUSE_BUCKETS[:3] == (0.001, 0.005, 0.01)
    assert stats.buckets[2][:3] == (0, 1, 1)
    assert stats.buckets[2][PAUSE_BUCKETS.index(0.25)] == 2
    assert stats.buckets[0][0] == 1
    assert stats.count == (1, 0, 2)
    assert stats.longest[2] == pytest.approx(0.2)
    assert stats.total[2] == pytest.approx(0.203)
