"""Callers: the local directory (accounts, contacts, tax ids) and the operations a card offers."""
