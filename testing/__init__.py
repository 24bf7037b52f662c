"""Test tooling shared by the tests and the benchmarks: local servers speaking the platforms' wire
protocols (Google Chat, Slack, Odoo, Google's certificates), test databases, data builders.

Never part of the product: it is outside the wheel, and no product module imports it."""
