"""The console door: the same dispatcher the chat platforms use, over stdin/stdout."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TextIO

from bot.render.text import render_text
from commands.core import Reply, Where
from commands.dispatch import Dispatcher, Incoming, Result

PROMPT = "{key}> "


def say(dispatcher: Dispatcher, key: str, text: str) -> Result:
    incoming = Incoming(platform="console", user_id=key, text=text,
                        where=Where(platform="console", space="console", is_dm=True))
    return dispatcher.handle(incoming)


class Console:
    """An interactive chat. Proactive messages are printed between prompts."""

    def __init__(self, dispatcher: Dispatcher, key: str, out: TextIO,
                 read: Callable[[str], str] = input) -> None:
        self.dispatcher = dispatcher
        self.key = key
        self.out = out
        self.read = read
        self._lock = threading.Lock()

    def show(self, target: str, reply: Reply) -> None:
        """Print a proactive message (the console's notifier calls this)."""
        with self._lock:
            # Printed between prompts: show the prompt again so the person can keep typing.
            self.out.write(f"\n[to {target}]\n{render_text(reply)}\n{PROMPT.format(key=self.key)}")
            self.out.flush()

    def loop(self) -> None:
        while True:
            try:
                line = self.read(PROMPT.format(key=self.key))
            except EOFError:
                self.out.write("\n")
                return
            except KeyboardInterrupt:
                self.out.write("\n")
                continue
            line = line.strip()
            if not line:
                continue
            if line.startswith(":as "):
                self.key = line[4:].strip()
                self.out.write(f"(now talking as {self.key})\n")
                continue
            result = say(self.dispatcher, self.key, line)
            with self._lock:
                self.out.write(render_text(result.reply) + "\n")
                self.out.flush()
