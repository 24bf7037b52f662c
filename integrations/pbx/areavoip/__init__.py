"""Areavoip (Nubelfon vPBX): the HTTP API backend and its call records."""
