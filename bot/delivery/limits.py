"""Client-side rate limits: stay under what each platform documents, and honour Retry-After
at the scope the platform means it (docs/protocols/google-chat.md, docs/protocols/slack.md).

A *scope* names what a limit counts: ``google:project`` (the project's message writes),
``google:space:<name>`` (one space's writes), ``slack:method:<method>`` (a Web API method's
tier, workspace-wide), ``slack:channel:<id>`` (one channel's posts). Each call names the
scopes it spends; it may go only when every one of them has room and none is held by a
Retry-After. Everything takes ``now`` from the caller (the injected clock).

Room is counted in sliding windows (``n`` calls in any ``period``), the way the platforms
state their quotas ("3,000 per minute per project", "about one per second per space"),
with a small margin so that a window we think ended has ended on the platform too. Less
urgent work leaves a share of each shared window unused, so that a broadcast never takes
the room a screen pop needs.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from store.messaging.outbox import ALERT, BROADCAST

# Added to every window: a call's moment here and its arrival there are not the same
# (a busy machine delays one request more than the next), so each window is counted a
# little longer than the platform counts it.
MARGIN = timedelta(milliseconds=50)


def margin(period: timedelta) -> timedelta:
    """How much longer than ``period`` a window is counted: 50 ms plus 5 %."""
    return MARGIN + period / 20
# The share of a shared window (n >= RESERVE_FROM) that alerts and broadcasts leave free.
RESERVED_SHARE = {ALERT: 0.1, BROADCAST: 0.2}
RESERVE_FROM = 5


@dataclass(frozen=True)
class Rate:
    """At most ``n`` calls in any ``period``."""

    n: int
    period: timedelta

    def __str__(self) -> str:
        return f"{self.n} per {self.period.total_seconds():g} s"


class Window:
    """The calls made in the last ``period`` (the times they were made, in order), and the
    room promised to calls put off during the current planning pass."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.times: list[datetime] = []

    def _forget(self, now: datetime) -> None:
        horizon = now - self.rate.period - margin(self.rate.period)
        gone = bisect.bisect_right(self.times, horizon)
        if gone:
            del self.times[:gone]

    def free_at(self, now: datetime, priority: int) -> datetime:
        """The first moment a call of ``priority`` fits (``now`` if it fits now)."""
        self._forget(now)
        allowed = self.rate.n
        if self.rate.n >= RESERVE_FROM:
            allowed -= math.ceil(self.rate.n * RESERVED_SHARE.get(priority, 0.0))
        allowed = max(allowed, 1)
        if len(self.times) < allowed:
            return now
        # The call that must leave the window before one more fits.
        oldest = self.times[len(self.times) - allowed]
        return max(now, oldest + self.rate.period + margin(self.rate.period))

    def take(self, at: datetime) -> None:
        bisect.insort(self.times, at)

    def untake(self, at: datetime) -> None:
        index = bisect.bisect_left(self.times, at)
        if index < len(self.times) and self.times[index] == at:
            del self.times[index]


class Limits:
    """The windows and Retry-After holds of one platform; safe to share between threads."""

    def __init__(self, rates: Iterable[tuple[str, Rate]] = ()) -> None:
        # Rates by scope prefix: "google:space:" covers every space.
        self.rates = dict(rates)
        self._windows: dict[str, Window] = {}
        self._holds: dict[str, datetime] = {}
        self._promised: list[tuple[Window, datetime]] = []
        self._lock = threading.Lock()

    def _rate(self, scope: str) -> Rate | None:
        best: tuple[int, Rate] | None = None
        for prefix, rate in self.rates.items():
            if scope.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rate)
        return best[1] if best else None

    def _window(self, scope: str) -> Window | None:
        window = self._windows.get(scope)
        if window is None:
            rate = self._rate(scope)
            if rate is None:
                return None
            window = self._windows[scope] = Window(rate)
        return window

    def acquire(self, now: datetime, scopes: Iterable[str], priority: int) -> datetime | None:
        """Spend one call's room in each of ``scopes``, all or nothing.

        None when the call may go now (the room is taken); else the first moment worth
        asking again. That moment is promised to this call until ``end_pass``, so calls put
        off in one pass are spread out rather than all sent back at the same instant."""
        wanted = list(dict.fromkeys(scopes))
        with self._lock:
            when = now
            for scope in wanted:
                held = self._holds.get(scope)
                if held is not None and held > when:
                    when = held
                window = self._window(scope)
                if window is not None:
                    when = max(when, window.free_at(now, priority))
            for scope in wanted:
                window = self._window(scope)
                if window is not None:
                    window.take(when)
                    if when > now:
                        self._promised.append((window, when))
            return when if when > now else None

    def sent(self, scopes: Iterable[str], planned: datetime, at: datetime) -> None:
        """A call counted at ``planned`` actually went at ``at`` (it waited for a sender):
        count it when it went, so the window ends when the platform's does."""
        with self._lock:
            for scope in dict.fromkeys(scopes):
                window = self._windows.get(scope)
                if window is not None and at > planned:
                    window.untake(planned)
                    window.take(at)

    def end_pass(self) -> None:
        """Forget the room promised to calls put off: they ask again when they come back."""
        with self._lock:
            for window, at in self._promised:
                window.untake(at)
            self._promised.clear()

    def note(self, scope: str, at: datetime) -> None:
        """Count a call made elsewhere (another worker's write seen in the database)."""
        with self._lock:
            window = self._window(scope)
            if window is not None and at not in window.times:
                window.take(at)

    def hold(self, scope: str, until: datetime) -> None:
        """A Retry-After: nothing in ``scope`` before ``until`` (counted from when the
        answer arrived, so after the platform's own moment)."""
        with self._lock:
            held = self._holds.get(scope)
            if held is None or until > held:
                self._holds[scope] = until

    def held_until(self, scope: str, now: datetime) -> datetime | None:
        with self._lock:
            held = self._holds.get(scope)
            return held if held is not None and held > now else None


# --------------------------------------------------------------------------- the platforms

PER_MINUTE = timedelta(minutes=1)
PER_SECOND = timedelta(seconds=1)


def google_limits(*, project_writes: Rate = Rate(3000, PER_MINUTE),
                  project_reads: Rate = Rate(3000, PER_MINUTE),
                  space_writes: Rate = Rate(1, PER_SECOND)) -> Limits:
    """Google Chat: message writes per project (3,000 a minute), reads per project (3,000
    a minute), and about one write a second per space (shared by every app in it)."""
    return Limits([(GOOGLE_PROJECT_WRITES, project_writes),
                   (GOOGLE_PROJECT_READS, project_reads),
                   ("google:space:", space_writes)])


def slack_limits(*, tier3: Rate = Rate(50, PER_MINUTE),
                 channel_posts: Rate = Rate(1, PER_SECOND)) -> Limits:
    """Slack: conversations.open and conversations.history are Tier 3 (50 a minute, per
    workspace); chat.postMessage about one a second per channel."""
    return Limits([("slack:method:conversations.open", tier3),
                   ("slack:method:conversations.history", tier3),
                   ("slack:channel:", channel_posts)])


GOOGLE_PROJECT_WRITES = "google:project:writes"
GOOGLE_PROJECT_READS = "google:project:reads"


def google_space(space: str) -> str:
    return f"google:space:{space}"


def slack_method(method: str) -> str:
    return f"slack:method:{method}"


def slack_channel(channel: str) -> str:
    return f"slack:channel:{channel}"
