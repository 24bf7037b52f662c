"""Callers: who is calling (lookup, the caller card, the screen pop) and what can be done for
them."""
