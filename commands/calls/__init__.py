"""Calls: the call registry and typification, PBX call events, pulling and importing call
records."""
