"""Asterisk: the AMI client and wire format, the backend, and the queue_log file."""
