"""Asterisk's users for ``switchboard pbx sync``: a generated PJSIP include file.

Asterisk keeps its endpoints in ``pjsip.conf`` (or a realtime table). Switchboard writes
one file that ``pjsip.conf`` includes (``#include switchboard_agents.conf``), with one
section per extension built on a template the administrator defines there (its
transport, auth and AOR settings stay theirs)::

    ; Written by switchboard pbx sync. Changes made here are overwritten.
    [211](switchboard-agent)
    callerid="Alice Agent" <211>

A freed extension keeps its section with no name in its caller id (``callerid=<219>``):
the endpoint goes on existing, nobody is named. After writing the file Switchboard asks
Asterisk to reload PJSIP over AMI (``Action: Command``, ``module reload res_pjsip.so``).
Only the file Switchboard wrote is read back; it is written whole to a temporary file and
renamed, so Asterisk never reads half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from integrations.pbx.asterisk.ami import AmiClient, AmiError
from integrations.pbx.base import PbxError, PbxUser

HEADER = "; Written by switchboard pbx sync. Changes made here are overwritten.\n"
TEMPLATE = "switchboard-agent"
RELOAD = "module reload res_pjsip.so"
_SECTION = re.compile(r"^\[([0-9A-Za-z*#+_.-]{1,32})\](?:\(([^)]*)\))?\s*$")
_CALLERID = re.compile(r'^callerid\s*=\s*(?:"((?:[^"\\]|\\.)*)"\s*)?<([^>]*)>\s*$')


class PjsipUsers:
    """The users of one generated include file, reloaded through ``client``."""

    can_create = True

    def __init__(self, path: str | Path, client: AmiClient) -> None:
        self.path = Path(path)
        self.client = client

    def users(self) -> list[PbxUser]:
        return sorted(self._read().values(), key=lambda u: u.extension)

    def stored_as(self, extension: str, name: str, email: str | None) -> PbxUser:
        return PbxUser(extension, _clean(name))  # a caller id: one line, no email

    def set_user(self, extension: str, name: str, email: str | None) -> None:
        users = self._read()
        users[extension] = self.stored_as(extension, name, email)
        self._write(users)

    def free_user(self, extension: str) -> None:
        users = self._read()
        if extension not in users:
            raise PbxError(f"extension {extension} is not in {self.path.name}",
                           "unknown_extension")
        users[extension] = PbxUser(extension, "", free=True)
        self._write(users)

    # ------------------------------------------------------------------ the file

    def _read(self) -> dict[str, PbxUser]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise PbxError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        users: dict[str, PbxUser] = {}
        current: str | None = None
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith(";"):
                continue
            if section := _SECTION.match(line):
                current = section.group(1)
                users[current] = PbxUser(current, "", free=True)
            elif current is not None and (caller := _CALLERID.match(line)):
                name = (caller.group(1) or "").replace('\\"', '"').replace("\\\\", "\\")
                users[current] = PbxUser(current, name, free=not name)
        return users

    def _write(self, users: dict[str, PbxUser]) -> None:
        lines = [HEADER]
        for extension in sorted(users):
            name = users[extension].name
            quoted = name.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f"\n[{extension}]({TEMPLATE})\n")
            lines.append(f'callerid="{quoted}" <{extension}>\n' if name
                         else f"callerid=<{extension}>\n")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".switchboard-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write("".join(lines))
            os.replace(temporary, self.path)
        except OSError as exc:
            raise PbxError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        try:
            self.client.action("Command", [("Command", RELOAD)])
        except AmiError as exc:
            raise PbxError(f"{self.path.name} was written, but Asterisk refused to reload "
                           f"PJSIP ({exc.reason}); the manager user needs the 'command' "
                           "class") from None


def _clean(name: str) -> str:
    """A name a caller id can carry: one line, no angle brackets."""
    return " ".join(name.replace("<", "").replace(">", "").split())
