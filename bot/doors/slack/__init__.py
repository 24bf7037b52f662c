"""Slack: the Bolt-based door (door) and its payload helpers (support)."""

from bot.doors.slack.door import SlackDoor, register

__all__ = ["SlackDoor", "register"]
