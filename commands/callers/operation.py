"""/operation: the link of one of the caller card's operations, filled in.

``/operation CODE [account=ID] [contact=ID] [phone=NUMBER] [DETAIL]`` — the card's buttons
carry everything but the detail code, which the agent types when the operation asks for
one. The account is read from the directory (no transaction open) for its ERP id.
"""

from __future__ import annotations

from commands.core import Command, CommandError, Context, Reply, Services, UsageError
from integrations.directory import Account
from store.callers import operations
from store.db import reading
from store.i18n import N_, _

KEYS = ("account", "contact", "phone")


def run(ctx: Context, services: Services) -> Reply:
    if not ctx.args:
        with reading(services.sessions) as session:
            ops = operations.enabled_operations(session)
        listing = ", ".join(f"{op.code} ({op.name})" for op in ops) or _("none")
        raise UsageError(_("Which operation? Enabled: {operations}.").format(operations=listing))
    code, rest = ctx.args[0].lower(), ctx.args[1:]
    given: dict[str, str] = {}
    detail: list[str] = []
    for token in rest:
        key, sep, value = token.partition("=")
        if sep and key in KEYS:
            given[key] = value
        else:
            detail.append(token)
    with reading(services.sessions) as session:
        op = operations.by_code(session, code)
    if op is None or not op.enabled:
        raise UsageError(_("There is no enabled operation {code}; /operation lists them."
                           ).format(code=repr(code)))
    if op.asks_detail and not detail:
        args = " ".join([code, *(f"{k}={v}" for k, v in given.items())])
        raise UsageError(_("{operation} needs a detail code: type {command}").format(
            operation=op.name, command=f"/operation {args} CODE"))
    account = _account(services, given.get("account"))
    values = _values(account, given, " ".join(detail))
    filled = operations.fill(op.url, values, services.directory.web_url)
    if filled.url is None:
        raise CommandError(_("{operation} cannot be opened: {why}.").format(
            operation=op.name, why=filled.why))
    return Reply(f"{op.name}: {filled.url}", private=True)


def _account(services: Services, account_id: str | None) -> Account | None:
    if not account_id:
        return None
    account = services.directory.account(account_id)
    if account is None:
        raise CommandError(_("There is no account {id} in {directory}.").format(
            id=account_id, directory=services.directory.name))
    return account


def _values(account: Account | None, given: dict[str, str], detail: str) -> dict[str, str | None]:
    contact = None
    if account is not None and given.get("contact"):
        contact = next((c for c in account.contacts if c.id == given["contact"]), None)
    return {
        "account_id": account.id if account else None,
        "erp_id": account.erp_code if account else None,
        "contact_id": contact.id if contact else given.get("contact"),
        "contact_erp_id": contact.erp_id if contact else None,
        "detail_code": detail or None,
        "phone": given.get("phone"),
    }


COMMAND = Command(
    name="operation",
    run=run,
    summary=N_("Open one of the caller card's operations (the card's buttons run it)"),
    usage="/operation CODE [account=ID] [contact=ID] [phone=NUMBER] [DETAIL]",
)
