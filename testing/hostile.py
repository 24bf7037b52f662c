"""Hostile input for property tests: what an attacker, a broken client or a careless paste
can put into a field, and helpers to put it into every field of a valid request.

- ``hostile_text()``: NUL, CR/LF, lone control characters, bidirectional marks, lone
  surrogates, very long strings, odd Unicode, numbers and keywords as strings, the empty
  string, and random text mixed from them.
- ``ill_typed()``: any JSON value but a string (for JSON bodies, where a field can have
  the wrong type).
- ``leaf_paths``/``replaced``/``without``: every leaf of a JSON value, and copies with one
  leaf changed or dropped.
- ``row_counts``: the rows of every table, in one query (before/after: nothing written).
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import Engine, text

from store import models  # noqa: F401  (every table in the metadata)
from store.base import Base

Path = tuple[str | int, ...]

# The ones that broke something once come first: derandomized runs try them first.
NASTY: tuple[str, ...] = (
    "\x00", "a\x00b", "\r\n", "first\r\nsecond", "x" * 5000, "", " ", "\ud800", "\udfff x",
    "\n\n\n", "\x1b[2J\x1b[31m", "\x07\x08\x7f", "\x0b\x0c", "\u202egnp.exe", "\u200f\u200e",
    "\ufeff", "\u2028\u2029", "e\u0301", "\U0001d518\U0001d52b", "\U0001f600" * 50, "\ufdfa",
    "\uffff", "\u0000" * 64, "0", "-1", "1e309", "NaN", "9" * 400, "null", "true", "[]",
    "{}", "%00", "%0d%0a", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd",
    "{{7*7}}", "=HYPERLINK(\"http://x\")", "\\", "\"", "é" * 3000,
)
_PIECES = ("\x00", "\r", "\n", "\t", "\x1b", "\u202e", "\u200b", "\ud800", "é", "e\u0301",
           "\U0001f600", "/", "@", "<@U0ALICE>", "%", " ")


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY),
        st.lists(st.sampled_from(_PIECES) | st.text(max_size=4), max_size=12).map("".join),
        st.text(max_size=40),
    )


def header_safe(value: str) -> str:
    """What an HTTP client can put in a header (no CR, LF or NUL; Latin-1)."""
    kept = "".join(ch for ch in value if ch not in "\r\n\x00")
    return kept.encode("latin-1", "replace").decode("latin-1")


def ill_typed() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) \
        | st.floats(allow_nan=False, allow_infinity=False)
    return scalars | st.lists(scalars | hostile_text(), max_size=3) \
        | st.dictionaries(st.text(max_size=5), scalars, max_size=3)


def leaf_paths(value: Any, path: Path = (), *, branches: bool = False) -> list[Path]:
    """The path of every leaf (every value that is not a non-empty object or array); with
    ``branches``, of every object and array inside too (before what they hold)."""
    if isinstance(value, dict) and value:
        items: list[tuple[str | int, Any]] = list(value.items())
    elif isinstance(value, list) and value:
        items = list(enumerate(value))
    else:
        return [path]
    inner = [p for key, item in items for p in leaf_paths(item, (*path, key), branches=branches)]
    return [path, *inner] if branches else inner


def replaced(value: Any, path: Path, new: Any) -> Any:
    """A deep copy of ``value`` with the leaf at ``path`` set to ``new``."""
    result = copy.deepcopy(value)
    target = result
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return result


def without(value: Any, path: Path) -> Any:
    """A deep copy of ``value`` without the leaf at ``path``."""
    result = copy.deepcopy(value)
    target = result
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return result


def dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


def row_counts(engine: Engine, extra: dict[str, str] | None = None) -> dict[str, int]:
    """Rows per table, for every table the application has, in one round trip; with
    ``extra``, also each named ``SELECT count(*) ...`` given."""
    queries = {t.name: f'SELECT count(*) FROM "{t.name}"' for t in Base.metadata.sorted_tables}
    queries.update(extra or {})
    query = "SELECT " + ", ".join(f"({q})" for q in queries.values())
    with engine.connect() as conn:
        row = conn.execute(text(query)).one()
    return dict(zip(queries, (int(n) for n in row), strict=True))
