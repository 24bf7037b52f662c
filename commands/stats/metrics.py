"""The call-centre metrics, each defined once (docs/statistics.md writes them out).

``Figures.of(sums, basis)`` turns the counters and sums of a group of calls
(``store.stats.rollups.Sums``, classified in SQL by ``store.stats.rollups.aggregates``) into the
figures people read. A ratio with nothing to divide by is None (shown as "—"), never 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from store import i18n
from store.stats.rollups import Basis, Sums


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _pct(part: float, whole: float) -> float | None:
    ratio = _ratio(part, whole)
    return None if ratio is None else 100 * ratio


@dataclass(frozen=True)
class Figures:
    received: int  # every call that reached the queue, refused ones included
    offered: int  # received − closed − short abandons
    answered: int  # answered or transferred by an agent
    transferred: int
    abandoned: int  # hung up waiting, short abandons excluded
    short_abandons: int  # hung up before SHORT_ABANDON_SECONDS
    timeouts: int
    exit_empty: int
    exit_key: int
    full: int
    closed: int
    waiting: int  # still in the queue when the figures were taken
    answered_rate_pct: float | None  # answered / offered
    abandon_rate_pct: float | None  # abandoned / offered
    service_level_pct: float | None  # answered within T / answered
    service_level_inclusive_pct: float | None  # answered within T / (answered + abandoned)
    asa_seconds: float | None  # mean wait of answered calls
    mean_wait_seconds: float | None  # mean wait of every offered call that ended its wait
    max_wait_seconds: float | None
    mean_abandon_wait_seconds: float | None  # mean wait of abandoned calls
    aht_seconds: float | None  # mean (talk + wrap-up) of answered calls
    talk_seconds: float
    wrapup_seconds: float
    service_level_seconds: int
    short_abandon_seconds: int

    @property
    def other_exits(self) -> int:
        return self.exit_empty + self.exit_key

    @classmethod
    def of(cls, s: Sums, basis: Basis) -> Figures:
        offered = s.received - s.closed - s.short_abandons
        return cls(
            received=s.received, offered=offered, answered=s.answered,
            transferred=s.transferred, abandoned=s.abandoned, short_abandons=s.short_abandons,
            timeouts=s.timeouts, exit_empty=s.exit_empty, exit_key=s.exit_key, full=s.full,
            closed=s.closed, waiting=s.waiting,
            answered_rate_pct=_pct(s.answered, offered),
            abandon_rate_pct=_pct(s.abandoned, offered),
            service_level_pct=_pct(s.answered_in_sl, s.answered_timed),
            service_level_inclusive_pct=_pct(s.answered_in_sl,
                                             s.answered_timed + s.abandoned_timed),
            asa_seconds=_ratio(s.answered_wait_sum, s.answered_timed),
            mean_wait_seconds=_ratio(s.wait_sum, s.waited),
            max_wait_seconds=s.wait_max,
            mean_abandon_wait_seconds=_ratio(s.abandoned_wait_sum, s.abandoned_timed),
            aht_seconds=_ratio(s.talk_sum + s.wrapup_sum, s.handled),
            talk_seconds=s.talk_sum, wrapup_seconds=s.wrapup_sum,
            service_level_seconds=basis.service_level_seconds,
            short_abandon_seconds=basis.short_abandon_seconds,
        )

    def to_json(self) -> dict[str, Any]:
        """The figures for ``--json``: percentages and seconds rounded to one decimal."""
        out: dict[str, Any] = {}
        for name, value in asdict(self).items():
            out[name] = round(value, 1) if isinstance(value, float) else value
        out["other_exits"] = self.other_exits
        return out


# The headline figures, in the order cards and CSV files show them.
HEADLINE = ("offered", "answered", "abandoned", "short_abandons", "timeouts", "asa_seconds",
            "service_level_pct", "service_level_inclusive_pct", "aht_seconds",
            "abandon_rate_pct", "answered_rate_pct")


def clock(seconds: float | None) -> str:
    """m:ss (or h:mm:ss) for waits and handling times; "—" for none."""
    if seconds is None:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(value: float | None) -> str:
    """"80.0 %" ("80,0 %" where the reader writes a decimal comma); "—" for none."""
    return "—" if value is None else f"{i18n.number(value, 1)} %"
