"""Shifts: turns and the timetable, who is on shift, the shift change, calendars, HR absences."""
