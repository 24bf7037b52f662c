"""The demo team, its timetable and its callers, for local runs and the tests."""
