"""Messages kept for later: the planner's explanations, translated when they are read.

The planner explains its plan where it solves (a background thread, a child process), and
its explanations are stored with the draft; coordinators read them later, each in their
own language. So the explanations are kept as messages with their values (a JSON value)
and written in words only when shown, with ``render`` in the reader's language, or with
``english`` for logs, the CLI and the draft's English texts.

- ``say(N_("{name} works {n} turns on {day}"), name=…, n=…, day=weekday(d))``: a message
  (``N_`` marks it for the catalogs);
- ``ngettext(singular, plural, n, …)``: a message with a number (``{n}``), marked for the
  catalogs by its name;
- ``weekday(d)``, ``on_day(d, shape)``: a date, written as the reader writes it;
- ``joined(sep, items)``: values one after another.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from store import i18n

# A kept message: a string (as it is: names, reasons, times), a number, or a dict.
Said = Any


def say(message: str, **args: Any) -> dict[str, Any]:
    return {"m": message, "a": args}


def ngettext(singular: str, plural: str, n: int, **args: Any) -> dict[str, Any]:
    return {"m": singular, "p": plural, "n": n, "a": {"n": n, **args}}


def on_day(value: date, shape: str = "day") -> dict[str, Any]:
    return {"d": value.isoformat(), "s": shape}


def weekday(value: date) -> dict[str, Any]:
    return on_day(value, "weekday")


def joined(separator: str, items: list[Any]) -> dict[str, Any]:
    return {"j": separator, "i": items}


def render(value: Said) -> str:
    """``value`` in words, in the current language."""
    if isinstance(value, dict):
        if "m" in value:
            if "p" in value:
                text = i18n.ngettext(value["m"], value["p"], int(value["n"]))
            else:
                text = i18n._(value["m"])
            return text.format(**{k: render(v) for k, v in value.get("a", {}).items()})
        if "d" in value:
            return i18n.day(date.fromisoformat(value["d"]), value.get("s", "day"))
        if "j" in value:
            return str(value["j"]).join(render(item) for item in value["i"])
    if value is None:
        return ""
    return str(value)


def english(value: Said) -> str:
    with i18n.speaking(i18n.ENGLISH):
        return render(value)
