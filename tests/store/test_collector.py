"""The cyclic collector during bulk work: off inside the block, the block's cycles freed
at its end, the previous state restored."""

from __future__ import annotations

import gc
import weakref

import pytest

from store.collector import (
    RELAXED_THRESHOLDS,
    collector_paused,
    collector_relaxed,
)


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
        assert gc.get_threshold() == RELAXED_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_a_relaxed_collector_runs_less_often_inside_and_as_before_after() -> None:
    before = gc.get_threshold()
    with collector_relaxed():
        assert gc.isenabled() and gc.get_threshold() == RELAXED_THRESHOLDS
        a, b = Node(), Node()
        a.other, b.other = b, a
        alive = weakref.ref(a)
        del a, b
        gc.collect()
        assert alive() is None  # it still collects
    assert gc.get_threshold() == before


def test_the_directory_import_runs_with_the_relaxed_collector(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Relaxing the collector cut a million-row import's time by a third or more."""
    from unittest import mock

    from store.callers import directory_io

    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(directory_io, "_import",
                        lambda *args: seen.append(gc.get_threshold()) or "report")
    assert directory_io.import_directory(mock.MagicMock(), "", mock.sentinel.now, "ES",
                                         workers=0) == "report"
    assert seen == [RELAXED_THRESHOLDS]
