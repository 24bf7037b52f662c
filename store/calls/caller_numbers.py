"""Callers in E.164 for the call records: remembered, and worked out on a second core
during a large import.

``caller_e164`` is how every call record's caller and dialled number are kept: through
phonenumbers, in the team's region, remembered because the same callers call again and
again. phonenumbers is pure Python and takes about 9 µs a number; in a queue_log import
where most callers are new that was a sixth of the import, done on one core while the
machine has more.

``NumberWorker`` moves that work to one forked process for the length of an import: a
batch's callers are handed over (``start``) before the batch is folded and looked up, and
taken back (``finish``) before it is saved, so both cores work at once. Only a batch with
at least ``min_new`` numbers not yet known is sent (a ``--follow`` poll of a few lines
stays in-process), only where the platform forks, and if the process fails the numbers
are simply worked out here. The worker runs the same function, so the figures are the
same either way.

The worker dies with its parent (``store.workers``).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType

import phonenumbers
from phonenumbers import PhoneNumberFormat

from store.phones import MAX_INPUT
from store.workers import can_fork, forked_pool

log = logging.getLogger(__name__)

REMEMBERED = 100_000  # numbers kept; past that the older half is forgotten
MIN_NEW = 2_000  # new numbers in a batch worth a trip to the worker

_known: dict[tuple[str, str], str | None] = {}


def e164_of_caller(raw: str | None, region: str) -> str | None:
    """A number as the PBX reports it, in E.164 through phonenumbers (region for national
    forms); None for what is not a number.

    Kept when it is a *possible* number for its country (its length fits), without the
    check against the numbering plan's assigned ranges that ``store.phones.e164`` makes
    for numbers people type: a caller id is what the network delivered, the library's
    range metadata lags new allocations, and that check was a fifth of an import's time.
    Extensions (``1003``), ``anonymous`` and the like are not numbers: None."""
    text = (raw or "").strip()
    if not text or len(text) > MAX_INPUT:
        return None
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def caller_e164(raw: str | None, region: str) -> str | None:
    """``e164_of_caller``, remembered."""
    if not raw:
        return None
    key = (raw, region)
    try:
        return _known[key]
    except KeyError:
        value = _known[key] = e164_of_caller(raw, region)
        if len(_known) > REMEMBERED:
            _forget_older_half()
        return value


def _forget_older_half() -> None:
    for key in list(itertools.islice(_known, len(_known) // 2)):
        _known.pop(key, None)


def _all_of(raws: list[str], region: str) -> list[str | None]:
    """The worker's task (a module-level function, so it can be sent to the process)."""
    return [e164_of_caller(raw, region) for raw in raws]


class NumberWorker:
    """A second process working out a large import's new callers ahead of their save."""

    def __init__(self, region: str, *, min_new: int | None = None) -> None:
        self.region = region
        self.min_new = MIN_NEW if min_new is None else min_new
        self.sent = 0  # numbers the worker worked out
        self._executor: ProcessPoolExecutor | None = None
        self._pending: tuple[list[str], Future[list[str | None]]] | None = None
        self._usable = can_fork()

    def __enter__(self) -> NumberWorker:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def start(self, raws: Iterable[str | None]) -> None:
        """Hand these numbers to the worker, when enough of them are new."""
        self.finish()
        if not self._usable:
            return
        region = self.region
        new = list({raw for raw in raws if raw and (raw, region) not in _known})
        if len(new) < self.min_new:
            return
        try:
            if self._executor is None:
                # fork: the child has phonenumbers and its metadata loaded already, and it
                # only ever runs ``_all_of`` (it never touches the parent's connections).
                self._executor = forked_pool(1)
            self._pending = (new, self._executor.submit(_all_of, new, region))
        except (OSError, RuntimeError) as exc:
            self._give_up(exc)

    def finish(self) -> None:
        """Remember what the worker worked out (nothing to do when nothing was sent)."""
        if self._pending is None:
            return
        new, future = self._pending
        self._pending = None
        try:
            values = future.result()
        except Exception as exc:  # any failure of the process: work the numbers out here
            self._give_up(exc)
            return
        region = self.region
        for raw, value in zip(new, values, strict=True):
            _known[(raw, region)] = value
        self.sent += len(new)
        if len(_known) > REMEMBERED:
            _forget_older_half()

    def close(self) -> None:
        self._pending = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _give_up(self, exc: BaseException) -> None:
        log.warning("caller numbers are worked out in-process: the worker failed (%s)", exc)
        self._usable = False
        self.close()
