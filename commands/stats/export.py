"""The figures as CSV rows: one row per hour, then the period's total (the CLI's
``stats report --csv`` and the desk's download). The figures stay numbers, so the shared
CSV writer (``store.exports``) writes them as they are."""

from __future__ import annotations

from commands.stats.figures import StatsReport
from commands.stats.metrics import HEADLINE, Figures
from store.exports import Cell


def csv_rows(report: StatsReport) -> list[list[Cell]]:
    def cells(label: str, f: Figures) -> list[Cell]:
        values = f.to_json()
        figures: list[Cell] = ["" if values[n] is None else values[n] for n in HEADLINE]
        return [label, f.received, *figures]

    rows: list[list[Cell]] = [["hour", "received", *HEADLINE]]
    rows += [cells(f"{hour:%H:00}", f) for hour, f in report.hourly]
    rows.append(cells("total", report.figures))
    return rows
