"""Callbacks: bookings and their transitions, capacity per pool and slot, IVR clients' keys."""
