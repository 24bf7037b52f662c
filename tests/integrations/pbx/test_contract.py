"""One contract, every PBX backend: the same tests against sim, Areavoip, Irontec, Asterisk."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from integrations.pbx import MemberState, PbxError, PbxUnreachable
from tests.conftest import BACKENDS as DATABASES
from tests.integrations.pbx.harness import CONTRACT_TIMEOUT, Harness

# The sim backend keeps its queue in the store, so it runs on every test database.
BACKENDS = [f"sim-{db}" for db in DATABASES] + ["areavoip", "irontec", "asterisk"]


def _open(param: str, tmp_path: Path) -> Iterator[Harness]:
    backend, _, option = param.partition("-")
    module = importlib.import_module(f"tests.integrations.pbx.{backend}.harness")
    with module.open_harness(option, tmp_path) as opened:
        yield opened


@pytest.fixture(params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    yield from _open(request.param, tmp_path)


@pytest.fixture(params=[b for b in BACKENDS if b.startswith("sim")])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """The backend whose queue is the store (on each test database)."""
    yield from _open(request.param, tmp_path)


@pytest.fixture(params=[b for b in BACKENDS if not b.startswith("sim")])
def networked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """The backends that talk to a PBX over the network (sim is the database itself)."""
    yield from _open(request.param, tmp_path)


def members(h: Harness) -> dict[str, tuple[MemberState, bool]]:
    return {m.extension: (m.state, m.paused) for m in h.pbx.queue_status()}


def test_status_lists_every_member_in_extension_order(harness: Harness) -> None:
    harness.seed(["101", "102", "103"], ["102", "101"])
    status = harness.pbx.queue_status()
    assert [m.extension for m in status] == ["101", "102"]
    assert all(not m.paused for m in status)


def test_pause_then_resume(harness: Harness) -> None:
    harness.seed(["101", "102"], ["101", "102"])
    harness.pbx.pause("101", "lunch")
    status = {m.extension: m for m in harness.pbx.queue_status()}
    assert status["101"].paused and not status["102"].paused
    if harness.reports_pause_reason:
        assert status["101"].pause_reason == "lunch"
    harness.pbx.resume("101")
    assert members(harness)["101"][1] is False


def test_pausing_someone_outside_the_queue_is_refused(harness: Harness) -> None:
    harness.seed(["101", "102"], ["101"])
    with pytest.raises(PbxError):
        harness.pbx.pause("102", "break")
    with pytest.raises(PbxError):
        harness.pbx.pause("999", "break")


def test_add_and_remove_members(harness: Harness) -> None:
    harness.seed(["101", "102", "103"], ["101"])
    harness.pbx.add_member("103")
    assert set(members(harness)) == {"101", "103"}
    harness.pbx.remove_member("101")
    assert set(members(harness)) == {"103"}


def test_adding_twice_or_removing_a_stranger_is_refused(harness: Harness) -> None:
    harness.seed(["101", "102"], ["101"])
    with pytest.raises(PbxError):
        harness.pbx.add_member("101")
    with pytest.raises(PbxError):
        harness.pbx.remove_member("102")
    assert set(members(harness)) == {"101"}


def test_setting_the_queue_keeps_the_pauses_of_those_who_stay(harness: Harness) -> None:
    harness.seed(["101", "102", "103"], ["101", "102"])
    harness.pbx.pause("102", "break")
    harness.pbx.set_members(["102", "103"])
    assert members(harness) == {"102": (MemberState.AVAILABLE, True),
                                "103": (MemberState.AVAILABLE, False)}


def test_device_states_map_to_the_canonical_ones(harness: Harness) -> None:
    harness.seed(["101"], ["101"])
    for state in harness.states:
        harness.set_device_state("101", state)
        assert members(harness)["101"][0] is state


def test_a_silent_pbx_fails_fast_and_says_so(networked: Harness) -> None:
    assert networked.can_go_silent
    networked.seed(["101"], ["101"])
    networked.go_silent()
    started = time.monotonic()
    with pytest.raises(PbxUnreachable):
        networked.pbx.pause("101", "lunch")
    assert time.monotonic() - started < CONTRACT_TIMEOUT + 1


THREADS = 8


def at_once(work: Callable[[], object], threads: int = THREADS) -> list[object]:
    """Run ``work`` in many threads released together; each result or PbxError's code."""
    barrier = threading.Barrier(threads)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome: object = work()
        except PbxError as exc:
            outcome = exc.code
        with lock:
            results.append(outcome)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(results) == threads
    return results


def test_many_threads_can_share_one_backend(stored: Harness) -> None:
    """Threads of one process (gunicorn's) read and change the store-backed queue at once;
    the networked backends' fakes are single peers with a 0.5 s timeout, so they are not
    load-tested here."""
    stored.seed(["101", "102", "103"], ["101", "102"])
    views = at_once(lambda: {m.extension: m.paused for m in stored.pbx.queue_status()})
    assert views == [{"101": False, "102": False}] * THREADS
    outcomes = at_once(lambda: stored.pbx.add_member("103") or "added")
    assert sorted(map(str, outcomes)) == ["added"] + ["already_member"] * (THREADS - 1)


def test_concurrent_pauses_of_one_member_succeed_once(stored: Harness) -> None:
    """Two /pause of one agent at the same moment: one is applied, the others are refused
    as already paused (the member's row is locked while it changes)."""
    stored.seed(["101"], ["101"])
    outcomes = at_once(lambda: stored.pbx.pause("101", "lunch") or "paused")
    assert sorted(map(str, outcomes)) == ["already_paused"] * (THREADS - 1) + ["paused"]
    outcomes = at_once(lambda: stored.pbx.resume("101") or "resumed")
    assert sorted(map(str, outcomes)) == ["not_paused"] * (THREADS - 1) + ["resumed"]
