"""/help: what the asker may run, built from each command's declaration."""

from __future__ import annotations

from commands.core import Command, Context, Reply, Section, Services, UsageError
from store.team.people import Role

_WHO = {Role.AGENT: "everyone", Role.COORDINATOR: "coordinators and admins", Role.ADMIN: "admins"}


def run(ctx: Context, services: Services) -> Reply:
    if ctx.args:
        wanted = ctx.args[0].lstrip("/").lower()
        command = next((c for c in ctx.commands if c.name == wanted or wanted in c.aliases), None)
        if command is None:
            raise UsageError(f"There is no command called {ctx.args[0]!r}.")
        return Reply(command.summary, (_details(command, ctx),), private=True)
    allowed = [c for c in ctx.commands if c.allowed(ctx.person)]
    rows = tuple((c.usage, c.summary) for c in allowed)
    return Reply(
        f"Here is what you can ask me, {ctx.person.name.split()[0]}:",
        (Section(title="Commands", rows=rows),),
        private=True,
    )


def _details(command: Command, ctx: Context) -> Section:
    rows = [("Usage", command.usage), ("Who", _WHO[command.role])]
    if command.aliases:
        rows.append(("Also", ", ".join(f'"{a}"' for a in command.aliases)))
    if not command.allowed(ctx.person):
        rows.append(("You", f"cannot run it: you are {ctx.role.with_article}"))
    return Section(title=f"/{command.name}", rows=tuple(rows))


COMMAND = Command(
    name="help",
    run=run,
    summary="List the commands you can use, or explain one",
    usage="/help [command]",
    aliases=("commands", "ayuda", "what can you do"),
)
