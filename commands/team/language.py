"""/language: the language Switchboard writes to the asker in (en, ca, es, pt).

A person's own choice wins over their chat platform's locale and the team's ``LANGUAGE``;
``/language auto`` drops the choice again. The answer comes in the language chosen.
"""

from __future__ import annotations

from commands.core import Command, Context, Reply, Section, Services, UsageError
from store import i18n
from store.db import transaction
from store.i18n import N_, _
from store.team import people

AUTO = ("auto", "default", "automàtic", "automático")


def run(ctx: Context, services: Services) -> Reply:
    if not ctx.args:
        return _shown(ctx)
    wanted = ctx.args[0]
    if wanted.lower() in AUTO:
        code = None
    else:
        code = i18n.normalise(wanted) or _by_name(wanted)
        if code is None:
            raise UsageError(_("I don't speak {language}: choose one of {languages}, or "
                               "auto.").format(language=repr(wanted[:40]),
                                               languages=", ".join(i18n.LANGUAGES)))
    with transaction(services.sessions) as session:
        person = people.by_key(session, ctx.person.key)
        assert person is not None  # the dispatcher has just identified them
        person.language = code
        now_speaking = people.language_of(person)
    with i18n.speaking(now_speaking):
        if code is None:
            text = _("From now on I write to you in {language}: your chat's language, or "
                     "else the team's.").format(language=i18n.LANGUAGES[i18n.current()])
        else:
            text = _("From now on I write to you in {language}.").format(
                language=i18n.LANGUAGES[code])
        return Reply(text, private=True)


def _by_name(word: str) -> str | None:
    wanted = word.casefold()
    return next((code for code, name in i18n.LANGUAGES.items() if name.casefold() == wanted
                 or _english_name(code).casefold() == wanted), None)


def _english_name(code: str) -> str:
    return {"en": "English", "ca": "Catalan", "es": "Spanish", "pt": "Portuguese"}[code]


def _shown(ctx: Context) -> Reply:
    chosen = i18n.normalise(ctx.person.language)
    if chosen is not None:
        how = _("your choice")
    elif i18n.normalise(ctx.person.chat_locale) is not None:
        how = _("your chat's language")
    else:
        how = _("the team's language")
    rows = tuple((code, name) for code, name in i18n.LANGUAGES.items())
    return Reply(_("I write to you in {language} ({how}).").format(
        language=i18n.LANGUAGES[i18n.current()], how=how),
        (Section(title=_("Languages"), rows=rows),), private=True)


COMMAND = Command(
    name="language",
    run=run,
    summary=N_("Choose the language I write to you in"),
    usage="/language [en|ca|es|pt|auto]",
    aliases=("my language",),
)
