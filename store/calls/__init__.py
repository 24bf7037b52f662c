"""Calls: call records from every source, the call registry with typifications, callers' numbers."""
