"""The cyclic collector during bulk work: off inside the block, the block's cycles freed
at its end, the previous state restored."""

from __future__ import annotations

import gc
import weakref

from store.collector import SERVING_THRESHOLDS, collector_paused


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_cycle_made_inside_is_freed_when_the_block_ends() -> None:
    with collector_paused():
        a, b = Node(), Node()
        a.other, b.other = b, a
        alive = weakref.ref(a)
        del a, b
        assert alive() is not None  # refcounting alone cannot free a cycle
    assert alive() is None


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_serving_process_freezes_its_start_up_heap_and_collects_less_often() -> None:
    from bot.app import freeze_startup

    thresholds = gc.get_threshold()
    try:
        freeze_startup()
        assert gc.get_freeze_count() > 0  # start-up's objects are out of the walk
        assert gc.get_threshold() == SERVING_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
