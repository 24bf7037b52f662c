"""The week planner: its model and solver, its inputs from the store, drafts, publishing
and the /plan and /busy commands."""
