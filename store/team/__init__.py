"""The team: people and their roles, and the audit trail of what was asked."""
