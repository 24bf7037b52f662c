"""/callback: book a personal callback, take one, call now, and record its outcome.

    /callback PHONE WHEN [queue] [note]      book it for yourself (capacity permitting)
    /callback take ID                        the first taker owns a due callback
    /callback call ID                        the PBX rings your extension, then the customer
    /callback done|noanswer|cancel ID [note] record the outcome

A full interval is answered with the nearest free ones as buttons. "Call now" asks the PBX
with no transaction open and records the call after; a PBX that cannot place calls says
so and the agent dials by hand.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy.orm import Session

import commands.callbacks.flow as flow
from commands.callbacks.booking import Booked, Refused, Request, book
from commands.callbacks.when import looks_like_when, parse_when, spoken, typed
from commands.core import (
    Button,
    Command,
    CommandError,
    Context,
    Reply,
    Section,
    Services,
    UsageError,
)
from commands.format import first_name
from integrations.pbx import PbxError
from store.callbacks import bookings
from store.callbacks import capacity as cap
from store.callbacks.capacity import QUEUE
from store.db import transaction

USAGE = ("/callback PHONE WHEN [queue] [note] · /callback take|call|done|noanswer|cancel ID "
         "[note]")
_PHONE_PART = re.compile(r"^[+(]?[\d().-]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUTCOMES = {"done": "done", "noanswer": "noanswer", "no-answer": "noanswer",
            "cancel": "cancel"}


def run(ctx: Context, services: Services) -> Reply:
    if not ctx.args:
        raise UsageError("Give the number and when to call back, e.g. "
                         "/callback 612 34 56 78 tomorrow 10:30.")
    verb = ctx.args[0].lower()
    if verb == "take":
        return _take(ctx, services)
    if verb == "call":
        return _call(ctx, services)
    if verb in OUTCOMES:
        return _outcome(ctx, services, OUTCOMES[verb])
    return _book(ctx, services)


def _ref(ctx: Context) -> str:
    if len(ctx.args) < 2:
        raise UsageError(f"Which callback? /callback {ctx.args[0].lower()} ID")
    return ctx.args[1]


# --------------------------------------------------------------------------- booking


def split_phone(args: tuple[str, ...]) -> tuple[str, list[str]]:
    """The number (it may be typed in groups: 612 34 56 78) and the words after it."""
    taken: list[str] = []
    for word in args:
        if _PHONE_PART.match(word) and not _DATE.match(word) and ":" not in word \
                and not (taken and looks_like_when(word)):
            taken.append(word)
        else:
            break
    if not taken:
        raise UsageError(f"{args[0]!r} is not a phone number; start with the number to "
                         "call back.")
    return " ".join(taken), list(args[len(taken):])


def default_queue(session: Session, services: Services) -> str:
    queues = [p.name for p in cap.pools(session, QUEUE)]
    if services.settings.pbx_queue in queues:
        return services.settings.pbx_queue
    if len(queues) == 1:
        return queues[0]
    if not queues:
        raise CommandError("No callback capacity is configured yet; ask a coordinator "
                           "(switchboard slots import FILE).")
    raise UsageError("Which queue? Add one of: " + ", ".join(queues) + ".")


def _book(ctx: Context, services: Services) -> Reply:
    tz = services.settings.timezone
    phone, rest = split_phone(ctx.args)
    when, used = parse_when(rest, ctx.now, tz)
    rest = rest[used:]
    with transaction(services.sessions) as session:
        queues = {p.name for p in cap.pools(session, QUEUE)}
        if rest and rest[0] in queues:
            queue, rest = rest[0], rest[1:]
        else:
            queue = default_queue(session, services)
    note = " ".join(rest)[:1000] or None
    request = Request(phone=phone, when=when, queue=queue, source=bookings.CHAT,
                      actor=flow.actor(ctx.person), agent=ctx.person.key, note=note)
    try:
        outcome = book(services, request, nearest=True)
    except Refused as exc:
        raise UsageError(f"I can't book that callback: {_field(exc.field)} {exc.reason}."
                         ) from None
    if isinstance(outcome, Booked):
        c = outcome.callback
        if not outcome.created:
            return Reply(f"{c.phone} already has a pending callback in {c.queue}: #{c.id}, "
                         f"{spoken(c.due_at, tz, ctx.now)}. I did not book another.",
                         (Section(buttons=(Button("Cancel it", "callback",
                                                  f"cancel {c.id}"),)),), private=True)
        return Reply(f"Callback #{c.id} booked: {c.phone}, {spoken(c.requested_for, tz, ctx.now)} "
                     f"({c.queue}). It is yours: I will message you when it is due.",
                     (Section(buttons=(Button("Cancel", "callback", f"cancel {c.id}"),)),),
                     private=True)
    if not outcome:
        return Reply(f"{spoken(when, tz, ctx.now)} is full in {queue}, and there is no free "
                     "interval in the booking horizon.", private=True)
    args = f"{queue} {note}" if note else queue
    buttons = tuple(Button(spoken(i.start, tz, ctx.now), "callback",
                           f"{phone.replace(' ', '')} {typed(i.start, tz)} {args}")
                    for i in outcome)
    return Reply(f"{spoken(when, tz, ctx.now)} is full in {queue}. The nearest free times:",
                 (Section(buttons=buttons),), private=True)


def _field(name: str) -> str:
    return {"when": "the time", "phone": "the number"}.get(name, f"the {name}")


# --------------------------------------------------------------------------- handling


def _take(ctx: Context, services: Services) -> Reply:
    tz = services.settings.timezone
    with transaction(services.sessions) as session:
        callback = flow.load(session, _ref(ctx))
        flow.take(session, callback, ctx.person, ctx.now, tz)
        return flow.owned_card(callback, ctx.person, tz, ctx.now)


def _call(ctx: Context, services: Services) -> Reply:
    tz = services.settings.timezone
    extension = ctx.person.extension
    if not extension:
        raise CommandError("You have no extension in Switchboard, so the PBX cannot ring "
                           "you; dial the number by hand.")
    # The call's reference is stored before the PBX is asked: it may report how the call
    # went before originate() returns (commands.callbacks.call_outcome).
    ref = f"sb-cb{secrets.token_hex(6)}"
    with transaction(services.sessions) as session:
        callback = flow.load(session, _ref(ctx))
        flow.take(session, callback, ctx.person, ctx.now, tz)  # no-op for its owner
        phone, cid = callback.phone, callback.id
        buttons = flow.handling_buttons(callback)[1:]
        bookings.record(session, callback, "called", flow.actor(ctx.person), ctx.now,
                        f"{services.pbx.name}: {extension} → {phone}")
        callback.call_ref = ref
    try:
        reports = services.pbx.originate(extension, phone, ref)
    except PbxError as exc:
        with transaction(services.sessions) as session:
            callback = flow.load(session, str(cid))
            callback.call_ref = None
            bookings.record(session, callback, "call_failed", "pbx", services.clock.now(),
                            f"not placed: {exc.message}")
        if exc.code != "unsupported":
            raise
        return Reply(f"This PBX cannot place calls for me: dial {phone} yourself, then "
                     "record how it went.", (Section(buttons=buttons),), private=True)
    if not reports:
        with transaction(services.sessions) as session:
            callback = flow.load(session, str(cid))
            if callback.call_ref == ref:
                callback.call_ref = None
    return Reply(f"Calling: your phone ({extension}) rings first, then {phone}. "
                 f"{first_name(ctx.person)}, record how it went:",
                 (Section(buttons=buttons),), private=True)


def _outcome(ctx: Context, services: Services, outcome: str) -> Reply:
    note = " ".join(ctx.args[2:])[:1000] or None
    with transaction(services.sessions) as session:
        callback = flow.load(session, _ref(ctx))
        result = flow.record_outcome(session, callback, ctx.person, outcome, ctx.now,
                                     services.settings, note)
        if result.notice is not None:
            flow.notify_coordinators(session, services.notifier, callback, result.notice)
    return Reply(result.text, private=True)


COMMAND = Command(
    name="callback",
    run=run,
    summary="Book a callback for yourself, take a due one, call now, or record how it went",
    usage=USAGE,
    aliases=("schedule callback", "schedule a callback", "call back"),
)
