"""Irontec: the REST API backend and its statistics index."""
