"""The desk: the web console under /desk (pages, sign-in, sessions)."""
