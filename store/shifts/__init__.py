"""Shifts: turn definitions, the timetable and its log, absences and days without service."""
