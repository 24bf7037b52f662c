"""The callers waiting now, for the /queue board (where the backend reports them).

Numbers are masked outside a direct message: a board shown in a shared space must not
spread callers' numbers. A backend that cannot tell (``waiting_calls()`` is None) adds
nothing to the board.
"""

from __future__ import annotations

from commands.core import Section, Services
from commands.stats.metrics import clock
from integrations.errors import IntegrationError
from integrations.pbx import LiveQueue
from store.phones import mask

MAX_LISTED = 10


def waiting_section(services: Services, *, full_numbers: bool) -> Section | None:
    try:
        live = services.pbx.waiting_calls()
    except IntegrationError as exc:
        return Section(title="Waiting now", text=f"Not available: {exc.message}")
    if live is None:
        return None
    return render(live, full_numbers=full_numbers)


def render(live: LiveQueue, *, full_numbers: bool) -> Section:
    if not live.calls:
        return Section(title="Waiting now", text="Nobody is waiting.")
    longest = live.longest_wait
    summary = f"{live.calls} waiting" + (f", longest {clock(longest)}" if longest else "")
    rows = tuple(
        (f"{w.position}.", f"{(w.caller if full_numbers else mask(w.caller)) or 'unknown'}"
                           f" · {clock(w.wait_seconds)}")
        for w in live.waiting[:MAX_LISTED])
    if len(live.waiting) > MAX_LISTED:
        rows += (("…", f"{len(live.waiting) - MAX_LISTED} more"),)
    extra = []
    if live.service_level_pct is not None:
        extra.append(f"service level since the PBX's last reset {live.service_level_pct:.1f} %")
    if live.completed is not None and live.abandoned is not None:
        extra.append(f"{live.completed} completed, {live.abandoned} abandoned")
    text = summary + (" (" + "; ".join(extra) + ")" if extra else "")
    return Section(title="Waiting now", text=text, rows=rows)
