"""/whoami: what Switchboard knows about the asker, in their language."""

from __future__ import annotations

from commands.core import Command, Context, Reply, Section, Services
from commands.team.people import role_name
from store.i18n import N_, _


def run(ctx: Context, services: Services) -> Reply:
    p = ctx.person
    none, unlinked = _("none"), _("not linked")
    rows = [
        (_("Name"), p.name),
        (_("Key"), p.key),
        (_("Role"), role_name(p.role)),
        (_("Extension"), p.extension or none),
        (_("Email"), p.email or none),
        ("Google Chat", p.google_chat_id or unlinked),
        ("Slack", p.slack_id or unlinked),
        (_("Groups"), ", ".join(p.groups) if p.groups else none),
    ]
    return Reply(_("You are {name}.").format(name=p.name),
                 (Section(title=_("Your profile"), rows=tuple(rows)),), private=True)


COMMAND = Command(
    name="whoami",
    run=run,
    summary=N_("Show your profile: role, extension, linked chat accounts"),
    usage="/whoami",
    aliases=("who am i",),
)
