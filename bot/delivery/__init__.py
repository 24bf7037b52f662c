"""Proactive messages: the outbox notifier (writes rows), the senders (one per platform)
and the worker that claims due rows and sends them."""
