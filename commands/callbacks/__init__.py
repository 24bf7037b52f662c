"""Callbacks: booking (chat and IVR), capacity and slots, hand-out when due, outcomes, the
report."""
