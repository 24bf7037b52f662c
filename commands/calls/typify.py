"""/typify [CALL|last] CATEGORY [comment]: say what a call was about.

The call is a PBX call id from the registry, or ``last`` (the default): the asker's latest
call. The category is found by code, name or keyword (case and accents ignored; the longest
match wins, the words after it are the comment). Several categories match → one button
each; no category given → buttons for the categories to choose from. Agents typify their
own calls; coordinators anyone's. Typifying a call again with the same category updates
its comment.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from commands.core import (
    Button,
    Command,
    CommandError,
    Context,
    Denied,
    Reply,
    Section,
    Services,
    UsageError,
)
from commands.words import canonical
from store.callers.directory import fold
from store.calls import registry
from store.calls.registry import CallTypification, RegisteredCall, TypificationCategory
from store.db import transaction
from store.i18n import N_, _, ngettext
from store.team.people import Role

MAX_BUTTONS = 12


def run(ctx: Context, services: Services) -> Reply:
    words = list(ctx.args)
    with transaction(services.sessions) as session:
        call, words = _call(session, ctx, words)
        if call.person_id != ctx.person.id and not ctx.role.allows(Role.COORDINATOR):
            raise Denied(_("That call was not yours; only coordinators typify others' "
                           "calls."))
        enabled = registry.categories(session, enabled_only=True)
        if not enabled:
            raise CommandError(_("There are no typification categories yet; ask an admin "
                                 "to import them (switchboard categories import FILE)."))
        by_id = {c.id: c for c in registry.categories(session)}
        label = _call_label(call, services)
        if not words:
            return _choose(call, label, _top(enabled), by_id, "", _("Which category?"))
        matches, comment = match(enabled, words)
        if len(matches) != 1:
            if not matches:
                names = ", ".join(c.code for c in _top(enabled)[:MAX_BUTTONS])
                raise UsageError(_("No category matches {words}. Categories: "
                                   "{categories}.").format(words=repr(" ".join(words)),
                                                           categories=names))
            return _choose(call, label, matches, by_id, comment,
                           ngettext("{n} category matches; choose one.",
                                    "{n} categories match; choose one.",
                                    len(matches)).format(n=len(matches)))
        category = matches[0]
        existing = registry.typification(session, call.id, category.id)
        now = services.clock.now()
        if existing is None:
            session.add(CallTypification(call_id=call.id, category_id=category.id,
                                         comment=comment[:500] or None,
                                         person_id=ctx.person.id, at=now))
            done = _("Call {call} typified as {category}.")
            noted = _("Call {call} typified as {category} ({comment}).")
        else:
            existing.comment = comment[:500] or None
            existing.person_id, existing.at = ctx.person.id, now
            done = _("Call {call} typification updated: {category}.")
            noted = _("Call {call} typification updated: {category} ({comment}).")
        path = registry.path(category, by_id)
    return Reply((noted if comment else done).format(call=label, category=path,
                                                     comment=comment))


def _call(session: Session, ctx: Context, words: list[str]) -> tuple[RegisteredCall, list[str]]:
    if words and canonical(words[0]) == "last":
        words = words[1:]
    elif words:
        named = registry.by_call_id(session, words[0])
        if named is not None:
            return named, words[1:]
    last = registry.last_for_person(session, ctx.person.id)
    if last is None:
        raise CommandError(_("You have no registered calls to typify (calls are registered "
                             "when they ring your extension)."))
    return last, words


def _call_label(call: RegisteredCall, services: Services) -> str:
    when = call.rang_at.astimezone(services.settings.timezone).strftime("%H:%M")
    who = call.account_name or _("unidentified caller")
    return f"{call.call_id} ({who}, {when})"


def match(categories: Sequence[TypificationCategory], words: Sequence[str]
          ) -> tuple[list[TypificationCategory], str]:
    """The categories the first words name, and the rest as the comment.

    Each word is folded once (folding a phrase is folding its words: it works character
    by character), and the categories' codes, names and keywords once, into a table: a
    long message costs one fold per word, not one per word per category."""
    named: dict[str, list[TypificationCategory]] = {}
    for category in categories:
        for term in dict.fromkeys((fold(category.code), fold(category.name),
                                   *(fold(k) for k in category.keywords))):
            if term:
                named.setdefault(term, []).append(category)
    longest = max((term.count(" ") + 1 for term in named), default=0)
    # the longest run of first words that is a code, a name or a keyword wins
    for length, wanted in reversed(_folded_prefixes(words, longest)):
        if wanted in named:
            return named[wanted], " ".join(words[length:])
    first = fold(words[0]) if words else ""
    if not first:
        return [], ""
    partial = [c for c in categories
               if first in fold(c.name) or any(fold(k).startswith(first) for k in c.keywords)]
    return partial, " ".join(words[1:])


def _folded_prefixes(words: Sequence[str], most: int) -> list[tuple[int, str]]:
    """(n, the first n words folded), for each n whose fold has 1 to ``most`` words."""
    prefixes: list[tuple[int, str]] = []
    folded: list[str] = []
    for n, word in enumerate(words, start=1):
        folded.extend(fold(word).split())
        if len(folded) > most:
            break
        if folded:
            prefixes.append((n, " ".join(folded)))
    return prefixes


def _top(categories: Sequence[TypificationCategory]) -> list[TypificationCategory]:
    """Leaves are what calls are typified with; with none, every category."""
    parents = {c.parent_id for c in categories if c.parent_id}
    leaves = [c for c in categories if c.id not in parents]
    return leaves or list(categories)


def _choose(call: RegisteredCall, label: str, options: Sequence[TypificationCategory],
            by_id: dict[int, TypificationCategory], comment: str, question: str) -> Reply:
    buttons = tuple(Button(registry.path(c, by_id), "typify",
                           f"{call.call_id} {c.code} {comment}".strip())
                    for c in options[:MAX_BUTTONS])
    more = len(options) - MAX_BUTTONS
    text = (_("Call {call}: {question} ({more} more: type a word of the name.)") if more > 0
            else _("Call {call}: {question}")).format(call=label, question=question, more=more)
    return Reply(text, (Section(buttons=buttons),), private=True)


COMMAND = Command(
    name="typify",
    run=run,
    summary=N_("Say what a call was about: a category by code, name or keyword, and a "
               "comment"),
    usage="/typify [CALL|last] CATEGORY [comment]",
    aliases=("typify call",),
)
