"""A callback's life after booking: handed out, taken, called, and its outcome.

Each transition locks the callback's row, checks the state it expects, changes it and
appends an event with its time and actor, in one transaction. A second taker, a double
click or a second dispatcher therefore finds the state already changed and is told so.

Who may do what: anyone may take a due callback handed to the team (the first taker
owns it); a personal one is its agent's. Only its taker (who took it, or the agent it
was handed to by DM) records how it went: done or no answer. Only the person who booked
it, or a coordinator, cancels it — an IVR booking only a coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.orm import Session

from commands.callbacks.booking import cancel_in, close
from commands.callbacks.when import spoken
from commands.core import (
    COORDINATORS,
    Button,
    CommandError,
    Config,
    Denied,
    Notifier,
    Reply,
    Section,
    UsageError,
)
from commands.format import clock_time, first_name
from commands.text import whole_number
from store.callbacks import bookings
from store.callbacks.bookings import (
    CANCELLED,
    DISPATCHED,
    DONE,
    EXPIRED,
    FAILED,
    SCHEDULED,
    TAKEN,
    Callback,
)
from store.i18n import N_, _, speaking
from store.phones import mask
from store.team import people
from store.team.people import Person, Role

# A callback's state as people read it (the stored codes stay English).
STATUS = {SCHEDULED: N_("scheduled"), DISPATCHED: N_("dispatched"), TAKEN: N_("taken"),
          DONE: N_("done"), FAILED: N_("failed"), EXPIRED: N_("expired"),
          CANCELLED: N_("cancelled")}
NO_ANSWER = N_("No answer")


def status_label(status: str) -> str:
    return _(STATUS[status]) if status in STATUS else status


def actor(person: Person) -> str:
    return f"person:{person.key}"


def load(session: Session, raw_id: str) -> Callback:
    """The callback named by ``#12`` or ``12``, locked for a change."""
    text = raw_id.lstrip("#")
    number = whole_number(text, max_digits=10)
    if number is None or not 0 < number < 2**31:
        raise UsageError(_("{text} is not a callback number (e.g. 12 or #12).").format(
            text=repr(raw_id)))
    callback = bookings.get(session, number, lock=True)
    if callback is None:
        raise CommandError(_("There is no callback #{id}.").format(id=text))
    return callback


def may_handle(person: Person, callback: Callback) -> bool:
    """Who may take it: coordinators always; else its owner (the taker, or the agent it
    was sent to by DM). Nobody owns a callback handed to the team: anyone may take it.
    Before it is due a personal callback is only its agent's."""
    if person.role_enum.allows(Role.COORDINATOR) or callback.owner_id == person.id:
        return True
    if callback.owner_id is not None:
        return False
    if callback.status == SCHEDULED:
        return callback.agent_id in (None, person.id)
    return True


def _owner_name(session: Session, callback: Callback) -> str:
    owner = session.get(Person, callback.owner_id) if callback.owner_id else None
    return owner.name if owner else _("someone")


def _require_open(session: Session, callback: Callback, tz: tzinfo, now: datetime) -> None:
    if callback.is_open:
        return
    when = clock_time(callback.closed_at or now, tz, now)
    raise CommandError(_("Callback #{id} is {status} already ({when}).").format(
        id=callback.id, status=status_label(callback.status), when=when))


def take(session: Session, callback: Callback, person: Person, now: datetime,
         tz: tzinfo) -> bool:
    """Make ``person`` its owner; False if they owned it already. The first taker wins."""
    _require_open(session, callback, tz, now)
    if callback.status == TAKEN:
        if callback.owner_id == person.id:
            return False
        raise CommandError(_("Callback #{id} was taken by {name}.").format(
            id=callback.id, name=_owner_name(session, callback)))
    if callback.status == SCHEDULED:
        raise CommandError(_("Callback #{id} is not due yet (due {when}).").format(
            id=callback.id, when=spoken(callback.due_at, tz, now)))
    if not may_handle(person, callback):
        raise Denied(_("Callback #{id} was sent to {name}.").format(
            id=callback.id, name=_owner_name(session, callback)))
    callback.status = TAKEN
    callback.owner_id = person.id
    bookings.record(session, callback, "taken", actor(person), now)
    return True


@dataclass(frozen=True)
class Outcome:
    status: str  # done | scheduled (retry) | failed | cancelled
    text: str
    notice: Reply | None = None  # for the coordinators


def may_cancel(person: Person, callback: Callback) -> bool:
    """Coordinators, or the person who booked it."""
    return person.role_enum.allows(Role.COORDINATOR) or callback.created_by == actor(person)


def _require_canceller(session: Session, callback: Callback, person: Person) -> None:
    if may_cancel(person, callback):
        return
    source, _sep, name = callback.created_by.partition(":")
    if source == "ivr":
        raise Denied(_("Callback #{id} was booked through the IVR ({name}); only a "
                       "coordinator can cancel it here.").format(id=callback.id, name=name))
    booker = people.by_key(session, name) if source == "person" else None
    raise Denied(_("Callback #{id} was booked by {name}; only they or a coordinator can "
                   "cancel it.").format(id=callback.id, name=booker.name if booker else name))


def _require_taker(session: Session, callback: Callback, person: Person, tz: tzinfo,
                   now: datetime) -> None:
    """Only who took it (or got it by DM) says how it went; the others are told why."""
    if callback.owner_id == person.id:
        return
    if callback.owner_id is not None:
        raise Denied(_("Callback #{id} was taken by {name}; only they can record how it "
                       "went.").format(id=callback.id, name=_owner_name(session, callback)))
    if callback.status == SCHEDULED:
        raise CommandError(_("Callback #{id} has not been tried yet (due {when}).").format(
            id=callback.id, when=spoken(callback.due_at, tz, now)))
    raise CommandError(_("Nobody has taken callback #{id} yet: take it first (/callback take "
                         "{id}), then record how it went.").format(id=callback.id))


def record_outcome(session: Session, callback: Callback, person: Person, outcome: str,
                   now: datetime, settings: Config, note: str | None = None) -> Outcome:
    """cancel (by who booked it, or a coordinator) | done | noanswer (by its taker)."""
    tz = settings.timezone
    _require_open(session, callback, tz, now)
    who = actor(person)
    if outcome == "cancel":
        _require_canceller(session, callback, person)
        cancel_in(session, callback, who, now, note)
        return Outcome(callback.status, _("Callback #{id} cancelled; its place is free "
                                          "again.").format(id=callback.id))
    _require_taker(session, callback, person, tz, now)
    if outcome == "done":
        close(session, callback, bookings.DONE, who, now, note)
        return Outcome(callback.status, _("Callback #{id} done. Thanks!").format(
            id=callback.id))
    bookings.record(session, callback, "noanswer", who, now, note)
    return retry_or_fail(session, callback, now, settings, NO_ANSWER)


def retry_or_fail(session: Session, callback: Callback, now: datetime, settings: Config,
                  what: str) -> Outcome:
    """After an attempt that reached nobody (``what``, marked with ``N_``: "No answer",
    "Busy" …): back to scheduled for another try later, or failed after the last one
    (coordinators told, in the team's language; the text is in the language being
    written)."""
    tz = settings.timezone
    if callback.attempts >= settings.callback_max_attempts:
        close(session, callback, bookings.FAILED, "system", now,
              f"no answer after {callback.attempts} attempts")
        with speaking(None):
            notice = Reply(_("Callback #{id} to {phone} ({queue}) failed: no answer after "
                             "{attempts} attempts. Please follow it up by hand.").format(
                                 id=callback.id, phone=mask(callback.phone),
                                 queue=callback.queue, attempts=callback.attempts))
        return Outcome(callback.status, _("{what} again: callback #{id} has failed after "
                                          "{attempts} attempts; the coordinators are told."
                                          ).format(what=_(what), id=callback.id,
                                                   attempts=callback.attempts), notice)
    callback.status = SCHEDULED
    callback.owner_id = None
    callback.due_at = now + timedelta(minutes=settings.callback_retry_minutes)
    bookings.record(session, callback, "retry", "system", now,
                     f"attempt {callback.attempts + 1} at {callback.due_at.isoformat()}")
    return Outcome(callback.status, _("{what}: callback #{id} will be retried {when} "
                                      "(attempt {attempt} of {attempts}).").format(
                                          what=_(what), id=callback.id,
                                          when=spoken(callback.due_at, tz, now),
                                          attempt=callback.attempts + 1,
                                          attempts=settings.callback_max_attempts))


def notify_coordinators(session: Session, notifier: Notifier, callback: Callback,
                        notice: Reply) -> None:
    notifier.send(session, COORDINATORS, notice,
                  key=f"callback:{callback.id}:{callback.status}:coordinators")


# --------------------------------------------------------------------------- cards


def describe(callback: Callback, *, full_number: bool) -> str:
    number = callback.phone if full_number else mask(callback.phone)
    parts = [number, callback.queue + (f"/{callback.campaign}" if callback.campaign else "")]
    if callback.customer_name:
        parts.append(callback.customer_name)
    return " · ".join(parts)


def handling_buttons(callback: Callback) -> tuple[Button, ...]:
    ref = str(callback.id)
    return (Button(_("Call now"), "callback", f"call {ref}"),
            Button(_("Done"), "callback", f"done {ref}"),
            Button(_(NO_ANSWER), "callback", f"noanswer {ref}"))


def owned_card(callback: Callback, person: Person, tz: tzinfo, now: datetime) -> Reply:
    """The callback for the person who owns it, in the language being written (the
    dispatch job writes it in the agent's)."""
    rows = [(_("number"), callback.phone), (_("queue"), callback.queue),
            (_("asked for"), spoken(callback.requested_for, tz, now)),
            (_("attempt"), str(max(callback.attempts, 1)))]
    if callback.customer_name or callback.customer_id:
        rows.append((_("customer"), " ".join(filter(None, (callback.customer_name,
                                                           callback.customer_id)))))
    if callback.note:
        rows.append((_("note"), callback.note))
    return Reply(_("{name}, callback #{id} is yours: call {phone}.").format(
                     name=first_name(person), id=callback.id, phone=callback.phone),
                 (Section(title=_("Callback #{id}").format(id=callback.id), rows=tuple(rows),
                          buttons=handling_buttons(callback)),), private=True)


def team_card(callback: Callback, tz: tzinfo, now: datetime) -> Reply:
    """The card in the team space (written in the team's language by the dispatch job)."""
    return Reply(_("Callback #{id} is due: {what} (asked for {when}). Who takes it?").format(
                     id=callback.id, what=describe(callback, full_number=False),
                     when=spoken(callback.requested_for, tz, now)),
                 (Section(buttons=(Button(_("Take"), "callback", f"take {callback.id}"),)),))
