"""Google Chat: token verification (auth), event parsing (events), the door itself (door)."""

from bot.doors.google_chat.door import GoogleChatDoor, register

__all__ = ["GoogleChatDoor", "register"]
