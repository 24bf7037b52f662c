"""The ways in: each door verifies its caller, parses the request and hands the dispatcher
an ``Incoming``; nothing behind a door sees a platform payload."""
