"""/help: what the asker may run, built from each command's declaration, in their language."""

from __future__ import annotations

from commands.core import Command, Context, Reply, Section, Services, UsageError
from commands.format import first_name
from commands.words import fold
from store import i18n
from store.i18n import N_, _
from store.team.people import Role

_WHO = {Role.AGENT: N_("everyone"), Role.COORDINATOR: N_("coordinators and admins"),
        Role.ADMIN: N_("admins")}


def run(ctx: Context, services: Services) -> Reply:
    if ctx.args:
        wanted = fold(ctx.args[0].lstrip("/"))
        command = next((c for c in ctx.commands
                        if wanted in (fold(w) for w in c.words)), None)
        if command is None:
            raise UsageError(_("There is no command called {name}.").format(
                name=repr(ctx.args[0])))
        return Reply(_(command.summary), (_details(command, ctx),), private=True)
    allowed = [c for c in ctx.commands if c.allowed(ctx.person)]
    rows = tuple((_usage(c), _(c.summary)) for c in allowed)
    return Reply(
        _("Here is what you can ask me, {name}:").format(name=first_name(ctx.person)),
        (Section(title=_("Commands"), rows=rows),),
        private=True,
    )


def _usage(command: Command) -> str:
    """The usage line, with the first phrase of the reader's language after it when the
    reader does not read English ("/pause [@person] [reason] · pausa'm")."""
    own = command.phrases.get(i18n.current(), ())
    return f"{command.usage} · {own[0]}" if own else command.usage


def _details(command: Command, ctx: Context) -> Section:
    rows = [(_("Usage"), command.usage), (_("Who"), _(_WHO[command.role]))]
    also = command.words_in(i18n.current())
    if also:
        rows.append((_("Also"), ", ".join(f'"{a}"' for a in also)))
    if not command.allowed(ctx.person):
        rows.append((_("You"), _("cannot run it: you are {role}").format(
            role=ctx.role.with_article)))
    return Section(title=f"/{command.name}", rows=tuple(rows))


COMMAND = Command(
    name="help",
    run=run,
    summary=N_("List the commands you can use, or explain one"),
    usage="/help [command]",
    aliases=("commands", "what can you do"),
)
