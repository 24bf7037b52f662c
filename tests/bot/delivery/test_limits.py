"""Client-side limits: sliding windows, the share urgent work keeps, Retry-After holds."""

from __future__ import annotations

from datetime import timedelta

from bot.delivery.limits import (
    Limits,
    Rate,
    google_limits,
    google_space,
    margin,
    slack_limits,
    slack_method,
)
from store.messaging.outbox import ALERT, BROADCAST, URGENT
from tests.conftest import T0

SECOND = timedelta(seconds=1)


def test_a_window_lets_n_calls_through_then_names_when_the_next_fits() -> None:
    limits = Limits([("x:", Rate(3, SECOND))])
    assert [limits.acquire(T0, ["x:a"], URGENT) for _ in range(3)] == [None, None, None]
    assert limits.acquire(T0, ["x:a"], URGENT) == T0 + SECOND + margin(SECOND)
    limits.end_pass()
    assert limits.acquire(T0 + SECOND + margin(SECOND), ["x:a"], URGENT) is None
    # Another scope with the same prefix has its own window.
    assert limits.acquire(T0, ["x:b"], URGENT) is None


def test_calls_put_off_in_one_pass_are_spread_out() -> None:
    limits = Limits([("space:", Rate(1, SECOND))])
    assert limits.acquire(T0, ["space:s"], BROADCAST) is None
    first = limits.acquire(T0, ["space:s"], BROADCAST)
    second = limits.acquire(T0, ["space:s"], BROADCAST)
    assert first is not None and second is not None and second - first == SECOND + margin(SECOND)
    limits.end_pass()  # promises forgotten: the next pass asks afresh
    assert limits.acquire(T0, ["space:s"], BROADCAST) == first


def test_broadcasts_leave_room_for_the_screen_pop() -> None:
    limits = Limits([("project", Rate(10, SECOND))])
    taken = [limits.acquire(T0, ["project"], BROADCAST) for _ in range(10)]
    assert taken.count(None) == 8  # 20 % kept back
    limits.end_pass()
    assert limits.acquire(T0, ["project"], ALERT) is None  # alerts leave 10 %
    assert limits.acquire(T0, ["project"], ALERT) is not None
    limits.end_pass()
    assert limits.acquire(T0, ["project"], URGENT) is None
    assert limits.acquire(T0, ["project"], URGENT) is not None


def test_all_or_nothing_over_several_scopes() -> None:
    limits = google_limits(project_writes=Rate(100, SECOND))
    assert limits.acquire(T0, ["google:project:writes", google_space("spaces/A")], URGENT) is None
    again = limits.acquire(T0, ["google:project:writes", google_space("spaces/A")], URGENT)
    assert again == T0 + SECOND + margin(SECOND)
    limits.end_pass()
    # The refused call took no room from the project: 99 more fit.
    assert all(limits.acquire(T0, ["google:project:writes", google_space(f"spaces/{i}")],
                              URGENT) is None for i in range(99))


def test_a_retry_after_holds_its_scope_only() -> None:
    limits = slack_limits()
    limits.hold(slack_method("conversations.open"), T0 + timedelta(seconds=30))
    assert limits.acquire(T0, [slack_method("conversations.open")], URGENT) == \
        T0 + timedelta(seconds=30)
    assert limits.acquire(T0, [slack_method("chat.postMessage"), "slack:channel:D1"],
                          URGENT) is None
    assert limits.held_until(slack_method("conversations.open"), T0) == T0 + timedelta(seconds=30)
    assert limits.held_until(slack_method("conversations.open"), T0 + timedelta(seconds=30)) \
        is None


def test_slack_opens_at_most_its_tier_a_minute() -> None:
    limits = slack_limits()
    scope = [slack_method("conversations.open")]
    opened = sum(limits.acquire(T0 + timedelta(seconds=i), scope, URGENT) is None
                 for i in range(59))
    limits.end_pass()
    assert opened == 50
    assert limits.acquire(T0 + timedelta(seconds=60) + margin(timedelta(seconds=60)), scope, URGENT) is None
