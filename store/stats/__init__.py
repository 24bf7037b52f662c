"""Statistics' raw material: hourly rollups of the calls, their sums, and agents' time in pauses."""
