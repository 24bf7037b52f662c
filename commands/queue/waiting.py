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
from store.i18n import _, number
from store.phones import mask

MAX_LISTED = 10


def waiting_section(services: Services, *, full_numbers: bool) -> Section | None:
    try:
        live = services.pbx.waiting_calls()
    except IntegrationError as exc:
        return Section(title=_("Waiting now"),
                       text=_("Not available: {message}").format(message=exc.message))
    if live is None:
        return None
    return render(live, full_numbers=full_numbers)


def render(live: LiveQueue, *, full_numbers: bool) -> Section:
    if not live.calls:
        return Section(title=_("Waiting now"), text=_("Nobody is waiting."))
    longest = live.longest_wait
    summary = (_("{n} waiting, longest {wait}").format(n=live.calls, wait=clock(longest))
               if longest else _("{n} waiting").format(n=live.calls))
    unknown = _("unknown")
    rows = tuple(
        (f"{w.position}.", f"{(w.caller if full_numbers else mask(w.caller)) or unknown}"
                           f" · {clock(w.wait_seconds)}")
        for w in live.waiting[:MAX_LISTED])
    if len(live.waiting) > MAX_LISTED:
        rows += (("…", _("{n} more").format(n=len(live.waiting) - MAX_LISTED)),)
    extra = []
    if live.service_level_pct is not None:
        extra.append(_("service level since the PBX's last reset {level} %").format(
            level=number(live.service_level_pct, 1)))
    if live.completed is not None and live.abandoned is not None:
        extra.append(_("{completed} completed, {abandoned} abandoned").format(
            completed=live.completed, abandoned=live.abandoned))
    text = summary + (" (" + "; ".join(extra) + ")" if extra else "")
    return Section(title=_("Waiting now"), text=text, rows=rows)
