"""/announce TEXT: a coordinator tells the whole team something, through the outbox.

The announcement's own line ("📣 Announcement from …") is in the team's language, the
replies to the coordinator in theirs."""

from __future__ import annotations

import uuid

from commands.core import (
    BROADCAST,
    TEAM,
    Command,
    CommandError,
    Context,
    Reply,
    Services,
    UsageError,
)
from store import i18n
from store.db import transaction
from store.i18n import N_, _
from store.messaging import outbox
from store.team.people import Role

# The Google Chat rendering cuts message text at 4,000 characters (Slack's at 40,000);
# this leaves room for the line that says who sent it.
MAX_LENGTH = 3500


def run(ctx: Context, services: Services) -> Reply:
    text = ctx.arg_text.strip()
    if not text:
        raise UsageError(_("What should I announce? The announcement text is missing: "
                           "write it after /announce."))
    if len(text) > MAX_LENGTH:
        raise UsageError(_("The announcement text is {length} characters long; the most I "
                           "send is {most}.").format(length=len(text), most=MAX_LENGTH))
    with i18n.speaking(None):  # the team's space reads the team's language
        announcement = Reply(_("📣 Announcement from {name}:\n{text}").format(
            name=ctx.person.name, text=text))
    # Unique per invocation: announcing the same words twice is two announcements.
    key = f"announce:{ctx.person.key}:{ctx.now:%Y%m%dT%H%M%S}:{uuid.uuid4().hex[:12]}"
    with transaction(services.sessions) as session:
        if not services.notifier.send(session, TEAM, announcement, key=key,
                                       priority=BROADCAST):
            raise CommandError(_("That announcement was queued already; not sending it "
                                 "twice."))
        queued = outbox.by_key(session, key)
        message_id = queued.id if queued is not None else None
    return Reply(_("Queued your announcement to the team (outbox message {id}); it goes out "
                   "within moments.").format(id=message_id), private=True)


COMMAND = Command(
    name="announce",
    run=run,
    summary=N_("Post an announcement to the whole team's space"),
    usage="/announce TEXT",
    role=Role.COORDINATOR,
)
