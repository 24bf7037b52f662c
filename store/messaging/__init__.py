"""Messaging: the outbox, chat spaces and handled events, and what the clock-driven jobs
remember."""
