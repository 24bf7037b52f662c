"""The one safe loader: every refusal is a listed problem, never a traceback or a bomb."""

from __future__ import annotations

import codecs
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.imports import (
    ImportRejected,
    check_columns,
    decode,
    load_yaml,
    read_csv,
    read_file,
)
from store.team.people import Person
from store.team.people_io import import_people, parse_yaml, validate
from tests.conftest import Database

BOMB = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def problems(exc: pytest.ExceptionInfo[ImportRejected]) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def test_an_alias_bomb_is_refused_before_it_grows() -> None:
    tracemalloc.start()
    with pytest.raises(ImportRejected) as caught:
        load_yaml(BOMB)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "anchors (&a) are not accepted" in problems(caught)
    assert peak < 5_000_000


def test_a_duplicate_key_cannot_quietly_win() -> None:
    text = "- key: alice\n  name: Alice\n  key: mallory\n  role: agent\n  role: admin\n"
    with pytest.raises(ImportRejected) as caught:
        parse_yaml(text)
    assert "duplicate key 'key' (first on line 1)" in problems(caught)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(ImportRejected) as caught:
        load_yaml("[" * 5000 + "]" * 5000)
    assert "nested more than" in problems(caught)


@pytest.mark.parametrize("data, apparent", [
    ("name: José".encode("latin-1"), "Latin-1 / Windows-1252"),
    (codecs.BOM_UTF16_LE + "name: José".encode("utf-16-le"), "UTF-16"),
    (bytes(range(256)) * 4, "binary"),
])
def test_files_that_are_not_utf8_are_named(data: bytes, apparent: str) -> None:
    with pytest.raises(ImportRejected) as caught:
        decode(data)
    assert "not UTF-8" in problems(caught) and apparent in problems(caught)


def test_a_utf8_bom_is_accepted_and_nul_refused() -> None:
    assert decode(codecs.BOM_UTF8 + b"a: 1") == "a: 1"
    with pytest.raises(ImportRejected, match="problem"):
        decode(b"a: 1\x00")


def test_the_size_cap_is_checked_before_reading_the_rest(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * 2_000_000)
    with pytest.raises(ImportRejected) as caught:
        read_file(big, max_bytes=1_000_000)
    assert "larger than 1,000,000 bytes (IMPORT_MAX_BYTES)" in problems(caught)


def test_fields_are_checked_against_their_columns() -> None:
    found = check_columns(Person, {"name": "x" * 201, "key": "ok", "ideal_load": 2**40,
                                   "email": "a\x00@b.c", "color": "\ud800"}, "entry 1")
    assert [(p.field, p.why.split(":")[0]) for p in found] == [
        ("name", "too long"), ("ideal_load", "out of range"),
        ("email", "contains a NUL character"), ("color", "contains an unpaired surrogate")]


@pytest.mark.store
def test_a_52mb_name_is_a_problem_not_a_row(db: Database, services: object) -> None:
    from commands.core import Services
    from store.db import transaction
    assert isinstance(services, Services)
    with transaction(services.sessions) as session, pytest.raises(ImportRejected) as caught:
        validate([{"key": "zed", "name": "Z" * 300}], session)
    assert "entry 1 (zed): name: too long: 300 characters, at most 200" in problems(caught)
    with transaction(services.sessions) as session:
        with pytest.raises(ImportRejected):
            import_people(session, "- {key: zed, name: " + "Z" * 300 + "}\n",
                          services.clock.now())
        assert session.query(Person).count() == 0


def test_csv_rows_carry_their_line_numbers() -> None:
    rows = list(read_csv('name;phone\n"Ana\nPérez";600\n\nBea;601\n', delimiter=";"))
    assert [(r.line, r.values) for r in rows] == [
        (2, {"name": "Ana\nPérez", "phone": "600"}), (5, {"name": "Bea", "phone": "601"})]
    with pytest.raises(ImportRejected, match="problem"):
        list(read_csv("name;name\nx;y\n", delimiter=";"))
    with pytest.raises(ImportRejected) as caught:
        list(read_csv('a,b\n"x,y\n'))
    assert "line 2: csv: not valid CSV" in problems(caught)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_document_or_a_refusal(data: bytes) -> None:
    try:
        load_yaml(decode(data))
    except ImportRejected as exc:
        assert exc.problems


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=500))
def test_any_text_gives_people_or_a_listed_refusal(text: str) -> None:
    try:
        entries = parse_yaml(text)
    except ImportRejected as exc:
        assert exc.problems and all(p.why for p in exc.problems)
    else:
        assert isinstance(entries, list)
