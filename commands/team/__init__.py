"""The team: who is in it (/people, /whoami), what was asked (/audit), announcements, /help."""
