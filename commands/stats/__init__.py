"""Call statistics: the figures of a period, the daily report and its chart, metric definitions."""
