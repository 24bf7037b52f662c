"""The day's chart: calls per hour, answered vs abandoned, with the service level as a line.

Drawn with matplotlib's Agg canvas on a ``Figure`` of its own (no pyplot state), so
several requests may draw at once. The image is a PNG of a fixed size that reads well
in a chat card. Its axis labels and legend are in the current language (``speaking``),
as the title the caller gives should be.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from commands.stats.metrics import Figures
from store.i18n import _

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 8.0, 4.0, 100
ANSWERED_COLOUR, ABANDONED_COLOUR, LEVEL_COLOUR = "#2e7d32", "#c62828", "#1565c0"


def render_png(hourly: Sequence[tuple[datetime, Figures]], title: str) -> bytes:
    """A PNG of the hours given (local hour start → figures); an empty day still draws."""
    figure = draw(hourly, title)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def draw(hourly: Sequence[tuple[datetime, Figures]], title: str) -> Figure:
    """The chart's figure, labelled in the current language."""
    # Imported here, on the first chart: matplotlib (and numpy) weigh tens of MB, and most
    # processes never draw one (tests/bot/test_memory.py holds the app to that).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    hours = [h.hour for h, _ in hourly]
    answered = [f.answered for _, f in hourly]
    abandoned = [f.abandoned for _, f in hourly]
    width = 0.4
    axes.bar([h - width / 2 for h in hours], answered, width, label=_("answered"),
             color=ANSWERED_COLOUR)
    axes.bar([h + width / 2 for h in hours], abandoned, width, label=_("abandoned"),
             color=ABANDONED_COLOUR)
    axes.set_xlabel(_("hour"))
    axes.set_ylabel(_("calls"))
    axes.set_xlim(-0.5, 23.5)
    axes.set_xticks(range(0, 24, 2))
    axes.set_title(title)
    level = axes.twinx()
    points = [(h.hour, f.service_level_pct) for h, f in hourly
              if f.service_level_pct is not None]
    seconds = hourly[0][1].service_level_seconds if hourly else None
    if points:
        level.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                   color=LEVEL_COLOUR,
                   label=_("answered within {seconds} s (% of answered)").format(
                       seconds=seconds))
    level.set_ylim(0, 105)
    level.set_ylabel(_("service level %"))
    handles, labels = axes.get_legend_handles_labels()
    more_handles, more_labels = level.get_legend_handles_labels()
    axes.legend(handles + more_handles, labels + more_labels, loc="upper left", fontsize=8)
    figure.tight_layout()
    return figure
