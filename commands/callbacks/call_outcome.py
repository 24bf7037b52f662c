"""How a "Call now" went, as the PBX reports it afterwards.

``/callback call`` asks the PBX to ring the agent's phone and then dial the customer;
the PBX accepts at once and proceeds on its own. Asterisk reports later, in an
``OriginateResponse`` event, whether the first leg (the agent's phone) answered, was
busy, rang out or hit congestion; the event carries the reference ``originate``
returned, which the callback keeps in ``call_ref`` until then.

A call that failed sends the callback back to due with the reason (the attempt counts,
as a "No answer" would), and its taker hears why by DM, in their language. A call that
went through is logged; the agent still records how the conversation went. An outcome
nobody waits for (another replica handled it, or the call was not a callback's) changes
nothing, so every replica may listen to the same events.
"""

from __future__ import annotations

import logging

from commands.callbacks import flow
from commands.core import Reply, Services, person_target
from integrations.pbx.base import BUSY, CONGESTION, FAILURE, NO_ANSWER, CallOutcome
from store.callbacks import bookings
from store.callbacks.bookings import TAKEN
from store.db import transaction
from store.i18n import N_, _, speaking
from store.phones import mask
from store.team import people

log = logging.getLogger(__name__)

SPOKEN = {
    BUSY: N_("your phone was busy"),
    NO_ANSWER: N_("your phone rang out without being answered"),
    CONGESTION: N_("the PBX had no free line (congestion)"),
    FAILURE: N_("the PBX could not place the call"),
}
# The attempt's outcome as its taker reads it ("Busy again: …"); English shows the PBX's word.
WHAT = {BUSY: N_("Busy"), NO_ANSWER: N_("NoAnswer"), CONGESTION: N_("Congestion"),
        FAILURE: N_("Failure")}


def record_call_outcome(services: Services, outcome: CallOutcome) -> bool:
    """Apply ``outcome`` to the callback awaiting it; False when none was."""
    now = services.clock.now()
    with transaction(services.sessions) as session:
        callback = bookings.by_call_ref(session, outcome.ref)
        if callback is None:
            return False
        callback.call_ref = None
        if outcome.answered:
            bookings.record(session, callback, "answered", "pbx", now,
                            "the agent's phone answered; the PBX dialled the customer")
            return True
        bookings.record(session, callback, "call_failed", "pbx", now, outcome.reason)
        if callback.status != TAKEN or callback.owner_id is None:
            # The agent already recorded how it went (or it was cancelled): nothing to undo.
            return True
        taker = session.get(people.Person, callback.owner_id)
        with speaking(people.language_of(taker) if taker is not None else None):
            result = flow.retry_or_fail(session, callback, now, services.settings,
                                        WHAT.get(outcome.reason, outcome.reason))
            why = _(SPOKEN.get(outcome.reason, SPOKEN[FAILURE]))
            message = Reply(_("The call for callback #{id} to {phone} did not go through: "
                              "{why} ({reason}). {outcome}").format(
                                  id=callback.id, phone=mask(callback.phone), why=why,
                                  reason=outcome.reason, outcome=result.text), private=True)
        if taker is not None:
            services.notifier.send(session, person_target(taker), message,
                                   key=f"callback:{callback.id}:call:{outcome.ref}")
        if result.notice is not None:
            flow.notify_coordinators(session, services.notifier, callback, result.notice)
    log.info("callback #%s: the call failed (%s)", callback.id, outcome.reason)
    return True
