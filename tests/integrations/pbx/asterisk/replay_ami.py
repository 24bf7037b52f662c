"""A local AMI peer that plays the server side of a real capture back.

``ReplayAmi`` answers each action the client sends with the next exchange of a
capture, only rewriting the capture's ActionID to the one the client sent. It reads
what the client sends with ``fake_ami``'s own few lines, not with the code under test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from testing.fake_ami import AmiPeer, AmiServer

_ACTION_LINE = re.compile(r"(?i)action\s*:\s*(\S+)")
_ACTION_ID_LINE = re.compile(r"(?im)^actionid[ \t]*:[ \t]*(.+?)[ \t]*$")


def split_capture(text: str) -> tuple[str | None, list[str]]:
    """A capture's greeting line (if it starts with one) and its messages' raw text.

    Messages are separated by blank lines, except that a ``Response: Follows`` block
    runs to ``--END COMMAND--``.
    """
    lines = text.splitlines()
    banner = lines.pop(0) if lines and "Call Manager/" in lines[0] else None
    blocks: list[str] = []
    current: list[str] = []
    follows = False
    for line in lines:
        if follows:
            current.append(line)
            if "--END COMMAND--" in line:
                blocks.append("\n".join(current))
                current, follows = [], False
            continue
        if not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
        follows = follows or line.strip().lower() == "response: follows"
    if current:
        blocks.append("\n".join(current))
    return banner, blocks


@dataclass
class Exchange:
    action: str  # the action name the client is expected to send
    action_id: str | None  # the capture's ActionID, rewritten to the client's on replay
    server: str  # what the server sent, raw, with LF line ends


def exchanges(text: str) -> list[Exchange]:
    """Pair each client action in a capture with the server messages that answer it.

    An action with an ActionID gets the server's messages up to the last one that
    echoes it (events received meanwhile included); one without gets everything up
    to the next action. Trailing messages go to the last exchange.
    """
    _, blocks = split_capture(text)
    found: list[Exchange] = []
    pending: list[str] = []
    for index, block in enumerate(blocks):
        action = _ACTION_LINE.match(block)
        if action is None:
            continue
        action_id = _ACTION_ID_LINE.search(block)
        rest = blocks[index + 1:]
        stop = next((i for i, b in enumerate(rest) if _ACTION_LINE.match(b)), len(rest))
        replies = rest[:stop]
        if action_id is not None:
            echoing = [i for i, b in enumerate(replies)
                       if (m := _ACTION_ID_LINE.search(b)) and m.group(1) == action_id.group(1)]
            cut = echoing[-1] + 1 if echoing else len(replies)
        else:
            cut = len(replies)
        found.append(Exchange(action.group(1), action_id.group(1) if action_id else None,
                              "".join(b + "\n\n" for b in pending + replies[:cut])))
        pending = replies[cut:]
    if found and pending:
        found[-1].server += "".join(b + "\n\n" for b in pending)
    return found


class ReplayAmi(AmiServer):
    """Greets with ``banner``, then answers each action with the next scripted exchange."""

    def __init__(self, banner: str, script: list[Exchange], *, crlf: bool = False) -> None:
        super().__init__()
        self.banner, self.script, self.crlf = banner, list(script), crlf
        self.received: list[dict[str, str]] = []
        self.errors: list[str] = []

    def serve(self, peer: AmiPeer) -> None:
        peer.send(self.banner + "\r\n")
        while (action := peer.read_action()) is not None:
            self.received.append(action)
            if not self.script:
                continue  # out of script: say nothing, as a silent server would
            exchange = self.script.pop(0)
            if action.get("action", "").lower() != exchange.action.lower():
                self.errors.append(f"expected {exchange.action}, got {action.get('action')}")
                return
            text = exchange.server
            if exchange.action_id is not None:
                text = re.sub(rf"(?im)^(actionid[ \t]*:[ \t]*){re.escape(exchange.action_id)}[ \t]*$",
                              lambda m: m.group(1) + action.get("actionid", ""), text)
            peer.send(text.replace("\n", "\r\n") if self.crlf else text)
