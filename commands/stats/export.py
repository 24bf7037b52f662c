"""The figures as CSV rows: one row per hour, then the period's total (the CLI's
``stats report --csv`` and the desk's download)."""

from __future__ import annotations

from commands.stats.figures import StatsReport
from commands.stats.metrics import HEADLINE, Figures


def csv_rows(report: StatsReport) -> list[list[str]]:
    def cells(label: str, f: Figures) -> list[str]:
        values = f.to_json()
        return [label, str(f.received)] + ["" if values[n] is None else str(values[n])
                                           for n in HEADLINE]

    rows = [["hour", "received", *HEADLINE]]
    rows += [cells(f"{hour:%H:00}", f) for hour, f in report.hourly]
    rows.append(cells("total", report.figures))
    return rows
