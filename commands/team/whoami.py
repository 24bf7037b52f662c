"""/whoami: what Switchboard knows about the asker."""

from __future__ import annotations

from commands.core import Command, Context, Reply, Section, Services


def run(ctx: Context, services: Services) -> Reply:
    p = ctx.person
    rows = [
        ("Name", p.name),
        ("Key", p.key),
        ("Role", p.role),
        ("Extension", p.extension or "none"),
        ("Email", p.email or "none"),
        ("Google Chat", p.google_chat_id or "not linked"),
        ("Slack", p.slack_id or "not linked"),
        ("Groups", ", ".join(p.groups) if p.groups else "none"),
    ]
    return Reply(f"You are {p.name}.", (Section(title="Your profile", rows=tuple(rows)),),
                 private=True)


COMMAND = Command(
    name="whoami",
    run=run,
    summary="Show your profile: role, extension, linked chat accounts",
    usage="/whoami",
    aliases=("who am i",),
)
