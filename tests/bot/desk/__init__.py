"""Tests of the desk (the web console)."""
