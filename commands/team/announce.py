"""/announce TEXT: a coordinator tells the whole team something, through the outbox."""

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
from store.db import transaction
from store.messaging import outbox
from store.team.people import Role

# The Google Chat rendering cuts message text at 4,000 characters (Slack's at 40,000);
# this leaves room for the line that says who sent it.
MAX_LENGTH = 3500


def run(ctx: Context, services: Services) -> Reply:
    text = ctx.arg_text.strip()
    if not text:
        raise UsageError("What should I announce? The announcement text is missing: "
                         "write it after /announce.")
    if len(text) > MAX_LENGTH:
        raise UsageError(f"The announcement text is {len(text)} characters long; "
                         f"the most I send is {MAX_LENGTH}.")
    announcement = Reply(f"📣 Announcement from {ctx.person.name}:\n{text}")
    # Unique per invocation: announcing the same words twice is two announcements.
    key = f"announce:{ctx.person.key}:{ctx.now:%Y%m%dT%H%M%S}:{uuid.uuid4().hex[:12]}"
    with transaction(services.sessions) as session:
        if not services.notifier.send(session, TEAM, announcement, key=key,
                                       priority=BROADCAST):
            raise CommandError("That announcement was queued already; not sending it twice.")
        queued = outbox.by_key(session, key)
        message_id = queued.id if queued is not None else None
    return Reply(f"Queued your announcement to the team (outbox message {message_id}); "
                 "it goes out within moments.", private=True)


COMMAND = Command(
    name="announce",
    run=run,
    summary="Post an announcement to the whole team's space",
    usage="/announce TEXT",
    role=Role.COORDINATOR,
)
