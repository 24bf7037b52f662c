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
from commands.words import is_filler
from integrations.pbx import PbxError
from store.callbacks import bookings
from store.callbacks import capacity as cap
from store.callbacks.capacity import QUEUE
from store.db import transaction
from store.i18n import N_, _

USAGE = ("/callback PHONE WHEN [queue] [note] · /callback take|call|done|noanswer|cancel ID "
         "[note]")
_PHONE_PART = re.compile(r"^[+(]?[\d().-]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUTCOMES = {"done": "done", "noanswer": "noanswer", "no-answer": "noanswer",
            "cancel": "cancel"}


def run(ctx: Context, services: Services) -> Reply:
    if not ctx.args:
        raise UsageError(_("Give the number and when to call back, e.g. "
                           "/callback 612 34 56 78 tomorrow 10:30."))
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
        raise UsageError(_("Which callback? /callback {verb} ID").format(
            verb=ctx.args[0].lower()))
    return ctx.args[1]


# --------------------------------------------------------------------------- booking


def split_phone(args: tuple[str, ...]) -> tuple[str, list[str]]:
    """The number (it may be typed in groups: 612 34 56 78; "al 612…", "to 612…") and the
    words after it."""
    start = 0
    while start < len(args) - 1 and is_filler(args[start]):
        start += 1
    taken: list[str] = []
    for word in args[start:]:
        if _PHONE_PART.match(word) and not _DATE.match(word) and ":" not in word \
                and not (taken and looks_like_when(word)):
            taken.append(word)
        else:
            break
    if not taken:
        raise UsageError(_("{text} is not a phone number; start with the number to call "
                           "back.").format(text=repr(args[start])))
    return " ".join(taken), list(args[start + len(taken):])


def default_queue(session: Session, services: Services) -> str:
    queues = [p.name for p in cap.pools(session, QUEUE)]
    if services.settings.pbx_queue in queues:
        return services.settings.pbx_queue
    if len(queues) == 1:
        return queues[0]
    if not queues:
        raise CommandError(_("No callback capacity is configured yet; ask a coordinator "
                             "(switchboard slots import FILE)."))
    raise UsageError(_("Which queue? Add one of: {queues}.").format(queues=", ".join(queues)))


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
        raise UsageError(_("I can't book that callback: {why}.").format(why=exc.said)
                         ) from None
    if isinstance(outcome, Booked):
        c = outcome.callback
        if not outcome.created:
            return Reply(_("{phone} already has a pending callback in {queue}: #{id}, "
                           "{when}. I did not book another.").format(
                               phone=c.phone, queue=c.queue, id=c.id,
                               when=spoken(c.due_at, tz, ctx.now)),
                         (Section(buttons=(Button(_("Cancel it"), "callback",
                                                  f"cancel {c.id}"),)),), private=True)
        return Reply(_("Callback #{id} booked: {phone}, {when} ({queue}). It is yours: I will "
                       "message you when it is due.").format(
                           id=c.id, phone=c.phone, when=spoken(c.requested_for, tz, ctx.now),
                           queue=c.queue),
                     (Section(buttons=(Button(_("Cancel"), "callback", f"cancel {c.id}"),)),),
                     private=True)
    if not outcome:
        return Reply(_("{when} is full in {queue}, and there is no free interval in the "
                       "booking horizon.").format(when=spoken(when, tz, ctx.now), queue=queue),
                     private=True)
    args = f"{queue} {note}" if note else queue
    buttons = tuple(Button(spoken(i.start, tz, ctx.now), "callback",
                           f"{phone.replace(' ', '')} {typed(i.start, tz)} {args}")
                    for i in outcome)
    return Reply(_("{when} is full in {queue}. The nearest free times:").format(
        when=spoken(when, tz, ctx.now), queue=queue), (Section(buttons=buttons),), private=True)


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
        raise CommandError(_("You have no extension in Switchboard, so the PBX cannot ring "
                             "you; dial the number by hand."))
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
        return Reply(_("This PBX cannot place calls for me: dial {phone} yourself, then "
                       "record how it went.").format(phone=phone),
                     (Section(buttons=buttons),), private=True)
    if not reports:
        with transaction(services.sessions) as session:
            callback = flow.load(session, str(cid))
            if callback.call_ref == ref:
                callback.call_ref = None
    return Reply(_("Calling: your phone ({extension}) rings first, then {phone}. {name}, "
                   "record how it went:").format(extension=extension, phone=phone,
                                                 name=first_name(ctx.person)),
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
    summary=N_("Book a callback for yourself, take a due one, call now, or record how it went"),
    usage=USAGE,
    aliases=("schedule callback", "schedule a callback", "call back"),
)
