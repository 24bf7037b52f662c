"""The dialer CSV import: headers in three languages, every bad line named, all or nothing
(or the good rows with skip_bad), re-imports that update and never duplicate."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from commands.core import Services
from store.callers.directory import (
    DirectoryAccount,
    DirectoryContact,
    DirectoryNameWord,
    DirectoryPhone,
)
from store.callers.directory_io import import_directory, parse_rows
from store.db import transaction
from store.imports import ImportRejected
from tests.conftest import T0, Database, make_services, make_settings

GOOD = """\
name;phone1;phone2;phone3;email;company;tax_id;crm_code;erp_code
Ana Pérez;600 11 22 33;;;ana@acme.example;Acme SL;B12345674;1001;
Luis Gómez;600445566;611223344;;;Acme SL;B12345674;1001;
Carmen Vidal;655 555 555;;;;;12345678Z;;
"""


def counts(services: Services) -> tuple[int, int, int]:
    with transaction(services.sessions) as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[return-value]
                     for model in (DirectoryAccount, DirectoryContact, DirectoryPhone))


def load(services: Services, text: str, region: str = "ES", skip_bad: bool = False) -> str:
    with transaction(services.sessions) as session:
        return import_directory(session, text, T0, region, skip_bad=skip_bad).summary()


def test_rows_become_accounts_contacts_and_e164_numbers(services: Services) -> None:
    assert load(services, GOOD) == ("accounts: 2 created, 0 updated; contacts: 2 created, "
                                    "0 updated; 0 rows unchanged")
    assert counts(services) == (2, 2, 4)
    with transaction(services.sessions) as session:
        acme = session.scalars(select(DirectoryAccount).where(
            DirectoryAccount.crm_code == "1001")).one()
        assert (acme.name, acme.tax_id) == ("Acme SL", "ESB12345674")
        numbers = session.scalars(select(DirectoryPhone.number).order_by(
            DirectoryPhone.number)).all()
        assert numbers == ["+34600112233", "+34600445566", "+34611223344", "+34655555555"]
        words = session.execute(select(DirectoryNameWord.word, DirectoryNameWord.name_key)
                                .order_by(DirectoryNameWord.word)).all()
        assert [tuple(w) for w in words] == [
            ("acme", "acme sl"), ("ana", "ana perez"), ("carmen", "carmen vidal"),
            ("gomez", "luis gomez"), ("luis", "luis gomez"), ("perez", "ana perez"),
            ("sl", "acme sl"), ("vidal", "carmen vidal")]


def test_reimporting_updates_and_never_duplicates(services: Services) -> None:
    load(services, GOOD)
    assert load(services, GOOD).endswith("3 rows unchanged")
    changed = GOOD.replace("600445566;611223344", "600445566;").replace(
        "Carmen Vidal;655 555 555;;;;", "Carmen Vidal;655 555 555;;;carmen@example.org;")
    assert load(services, changed) == ("accounts: 0 created, 1 updated; contacts: 0 created, "
                                       "1 updated; 1 rows unchanged")
    assert counts(services) == (2, 2, 3)
    # A private customer without codes is the same one when name and a number match.
    nocode = "name;phone1\nJuan Sin Código;+34 699 000 111\n"
    load(services, nocode)
    load(services, nocode)
    assert counts(services) == (3, 2, 4)


def test_one_company_with_different_sets_of_codes_is_one_account(services: Services) -> None:
    # Row 1 has both codes, row 2 the CRM code only, row 3 just the company: one account,
    # in the first (bulk) import and again in a re-import (row by row).
    split = ("name;phone1;company;crm_code;erp_code\n"
             "Ana Perez;600112233;Acme SL;1001;E-1\n"
             "Luis Gomez;600445566;Acme SL;1001;\n"
             "Marta Ruiz;600778899;Acme SL;;\n")
    assert load(services, split).startswith("accounts: 1 created, 0 updated; contacts: 3 created")
    assert load(services, split).endswith("3 rows unchanged")
    assert counts(services) == (1, 3, 3)


@pytest.mark.parametrize("header", [
    "name;phone1;phone2;phone3;email;company;tax_id;crm_code;erp_code",
    "NOME;Telefone1;TELEFONE2;telefone3;Email;Empresa;CPF;crm_code;ERP_CODE",
    "Nombre;Teléfono1;telefono2;telefono3;correo;empresa;NIF;Código CRM;codigo_erp",
    "tax_id;erp_code;name;company;phone3;phone2;phone1;email;crm_code",
])
def test_headers_in_english_portuguese_spanish_any_order(services: Services,
                                                         header: str) -> None:
    columns = header.split(";")
    values = {"name": "Ana Pérez", "phone1": "600112233", "company": "Acme SL",
              "tax_id": "B12345674", "crm_code": "1001", "email": "ana@acme.example"}
    canonical = ["name", "phone1", "phone2", "phone3", "email", "company", "tax_id", "crm_code", "erp_code"]
    order = canonical if not header.startswith("tax_id") else \
        ["tax_id", "erp_code", "name", "company", "phone3", "phone2", "phone1", "email", "crm_code"]
    line = ";".join(values.get(c, "") for c in order)
    assert len(columns) == len(order)
    load(services, f"{header}\n{line}\n")
    with transaction(services.sessions) as session:
        contact = session.scalars(select(DirectoryContact)).one()
        account = session.get(DirectoryAccount, contact.account_id)
        assert account is not None
        assert (contact.name, contact.email, account.name, account.tax_id, account.crm_code) \
            == ("Ana Pérez", "ana@acme.example", "Acme SL", "ESB12345674", "1001")


BAD = """\
name;phone1;phone2;email;company;tax_id
Ana Pérez;600 11 22 33;;;Acme SL;B12345674
;600445566;;;Acme SL;
Bruno Bad;12345;;;;
Carla Email;655555555;;carla(at)example;;
Dani Tax;699000111;;;;12345678A
Eva Nophone;;;;;
Ana Pérez;600 99 88 77;;;Acme SL;B12345674
Fede Two;699000222;0034 699 000 223;;;
"""


def test_every_bad_line_is_named_and_nothing_is_imported(services: Services) -> None:
    with pytest.raises(ImportRejected) as caught:
        load(services, BAD)
    found = [(p.entry, p.field) for p in caught.value.problems]
    assert found == [("line 3", "name"), ("line 4", "phone1"), ("line 5", "email"),
                     ("line 6", "tax_id"), ("line 7", "phone1"), ("line 8", "name")]
    reasons = {p.entry: p.why for p in caught.value.problems}
    assert "'12345' is not a valid number for region ES" in reasons["line 4"]
    assert "already on line 2" in reasons["line 8"]
    assert counts(services) == (0, 0, 0)


def test_skip_bad_imports_the_good_rows_and_reports_the_rest(services: Services) -> None:
    summary = load(services, BAD, skip_bad=True)
    assert summary == ("accounts: 2 created, 0 updated; contacts: 1 created, 0 updated; "
                       "0 rows unchanged; 6 bad rows skipped (line 3, line 4, line 5, line 6, "
                       "line 7, line 8)")
    assert counts(services) == (2, 1, 3)


def test_brazilian_numbers_are_validated_per_country(services: Services) -> None:
    text = ("nome;telefone1;telefone2\n"
            "Fixo;+55 11 2345-6789;\n"          # landline: 12 digits with 55
            "Celular;(11) 91234-5678;\n"        # mobile: 13 digits, 9 in fifth place
            "Antigo;(11) 8123-4567;\n")         # an old 8-digit mobile: refused
    with pytest.raises(ImportRejected) as caught:
        load(services, text, region="BR")
    (problem,) = caught.value.problems
    assert problem.entry == "line 4" and problem.field == "phone1"
    assert "did you mean +5511981234567" in problem.why
    load(services, text, region="BR", skip_bad=True)
    with transaction(services.sessions) as session:
        assert sorted(session.scalars(select(DirectoryPhone.number))) == [
            "+551123456789", "+5511912345678"]


def test_file_level_problems() -> None:
    with pytest.raises(ImportRejected) as caught:
        parse_rows("nombre;email\nAna;a@b.es\n", "ES")
    assert str(caught.value.problems[0]) == "file: header: missing column(s): phone1"
    rows, problems, ignored = parse_rows("name;phone1;campaign\nAna;600112233;spring\n", "ES")
    assert [r.name for r in rows] == ["Ana"] and problems == [] and ignored == ["campaign"]
    _, problems, _ = parse_rows("name;phone1\nAna;600112233;extra\n", "ES")
    assert [p.field for p in problems] == ["row"]


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)),
                                 max_size=20), min_size=2, max_size=4), max_size=5))
def test_any_file_is_imported_or_refused_with_reasons(rows: list[list[str]]) -> None:
    text = "name;phone1;tax_id;company\n" + "\n".join(";".join(r) for r in rows)
    try:
        good, problems, _ = parse_rows(text, "ES")
    except ImportRejected as exc:
        assert exc.problems
        return
    for problem in problems:
        assert problem.entry.startswith("line ") and problem.why
    for row in good:
        assert row.name and row.phones and all(p.startswith("+") for p in row.phones)


def dump(services: Services, skip: str) -> list[tuple[object, ...]]:
    """Accounts with their contacts and numbers, ids left out."""
    with transaction(services.sessions) as session:
        accounts = session.scalars(select(DirectoryAccount).where(
            DirectoryAccount.name != skip).order_by(DirectoryAccount.name)).all()
        found = []
        for a in accounts:
            contacts = session.scalars(select(DirectoryContact).where(
                DirectoryContact.account_id == a.id).order_by(DirectoryContact.name)).all()
            numbers = session.execute(select(DirectoryPhone.number, DirectoryContact.name)
                                      .outerjoin(DirectoryContact, DirectoryContact.id
                                                 == DirectoryPhone.contact_id)
                                      .where(DirectoryPhone.account_id == a.id)
                                      .order_by(DirectoryPhone.number)).all()
            found.append((a.name, a.email, a.tax_id, a.crm_code, a.erp_code,
                          [(c.name, c.email) for c in contacts], [tuple(n) for n in numbers]))
        return found


def test_the_bulk_first_import_and_the_row_by_row_one_agree(db: Database,
                                                            services: Services) -> None:
    from tests.integrations.directory.harness import COMPANY_PHONES_CSV, CSV

    load(services, CSV + COMPANY_PHONES_CSV.split("\n", 1)[1].replace(
        "Acme SL;912 345 678;;", "Acme SL;912 345 678;;;;;").replace(
        "Beta Logistics SA;933333333;;", "Beta Logistics SA;933333333;;;;;").replace(
        "Alfa Bank;911 000 000;;", "Alfa Bank;911 000 000;;;;;"))
    bulk = dump(services, skip="")
    other = make_services(db, make_settings(DATABASE_URL=db.url), services.clock)  # type: ignore[arg-type]
    with transaction(other.sessions) as session:
        for table in (DirectoryPhone, DirectoryContact, DirectoryAccount):
            session.execute(delete(table))  # phones have no cascade (0021)
    load(other, "name;phone1\nSomeone Else;699 123 456\n")
    load(other, CSV)
    load(other, COMPANY_PHONES_CSV)
    assert dump(other, skip="Someone Else") == bulk


def test_a_company_s_own_row_comes_once_and_under_its_name() -> None:
    text = ("name;phone1;company;crm_code\n"
            "Ana;600112233;Acme SL;1001\n"
            "Acme SL;912345678;;1001\n"        # Acme's own phone: fine
            "ACME sl;913000000;;1001\n"        # a second own row
            "Acme Group;914000000;;1001\n")    # another name for the same CRM code
    rows, problems, _ = parse_rows(text, "ES")
    assert [r.line for r in rows] == ["line 2", "line 3"]
    assert [(p.entry, p.field) for p in problems] == [("line 4", "name"), ("line 5", "name")]
    assert "already on line 3" in problems[0].why


def test_names_that_fold_longer_than_their_column_are_kept_and_found_again(
        services: Services) -> None:
    """"ß" folds to "ss" and "ﬁ" to "fi": a 200-character name has a 400-character fold,
    cut to the name_key column so PostgreSQL takes it and a re-import finds the rows."""
    company, person = "ß" * 200, "ﬁ" * 150 + " " + "ß" * 49
    text = ("name;phone1;phone2;phone3;email;company;tax_id;crm_code;erp_code\n"
            f"{person};600 11 22 33;;;;{company};;;\n")
    assert load(services, text).startswith("accounts: 1 created")
    assert load(services, text).endswith("1 rows unchanged")
    assert counts(services) == (1, 1, 1)
    with transaction(services.sessions) as session:
        keys = [len(k) for k in session.scalars(select(DirectoryAccount.name_key))]
        keys += [len(k) for k in session.scalars(select(DirectoryContact.name_key))]
    assert keys == [200, 200]


def test_slices_of_a_few_groups_give_the_same_result(services: Services,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Staged rows are merged a slice of account groups at a time: with one group per
    slice and two rows per staging write, a re-import into a stored directory still finds
    every account, contact and number (and counts them as one import at a time would)."""
    from store.callers import directory_io

    monkeypatch.setattr(directory_io, "SLICE", 1)
    monkeypatch.setattr(directory_io, "STAGE_BATCH", 2)
    monkeypatch.setattr(directory_io, "IN_MAX", 2)
    assert load(services, GOOD) == ("accounts: 2 created, 0 updated; contacts: 2 created, "
                                    "0 updated; 0 rows unchanged")
    assert load(services, GOOD).endswith("3 rows unchanged")
    moved = GOOD.replace("Luis Gómez;600445566;611223344", "Luis Gómez;600445566;611223355")
    more = moved + "Marta Ruiz;600778899;;;;Acme SL;B12345674;1001;\n"
    assert load(services, more) == ("accounts: 0 created, 0 updated; contacts: 1 created, "
                                    "1 updated; 2 rows unchanged")
    assert counts(services) == (2, 3, 5)


SAME_PERSON_TWICE = ("name;phone1;phone2\n"
                     "Ana Sola;600111001;\n"
                     "Rosa Ribes;600111002;\n"
                     "Ana Sola;600111003;600111001\n")  # another first number: another group


@pytest.mark.parametrize("slice_size", [1, 2000])
def test_rows_are_matched_with_what_was_stored_before_not_with_each_other_s_slices(
        services: Services, monkeypatch: pytest.MonkeyPatch, slice_size: int) -> None:
    """Two rows of one private customer with different first numbers are two groups: they
    become two accounts whether or not the second group's slice comes after the first
    one's was written (a look-up used to find the account an earlier slice had just
    created, so the result depended on where slices began). A re-import then finds each."""
    from store.callers import directory_io

    monkeypatch.setattr(directory_io, "SLICE", slice_size)
    assert load(services, SAME_PERSON_TWICE).startswith("accounts: 3 created, 0 updated")
    assert load(services, SAME_PERSON_TWICE).endswith("3 rows unchanged")
    assert counts(services) == (3, 0, 4)


def test_look_ups_ask_only_for_what_a_small_directory_holds(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory of a few accounts is read whole first: the look-ups then ask the
    database only for values it holds (none at all for a file of new rows), and the result
    is the one of asking for every value (as a directory past KNOWN_MAX is asked)."""
    from store.callers import directory_io

    asked: list[object] = []
    rows = directory_io.Driver.rows

    def counted(driver: directory_io.Driver, builder: object, values: list[object]
                ) -> list[tuple[object, ...]]:
        if builder is not directory_io._slice_of:  # the staged rows' read
            asked.extend(values)
        return rows(driver, builder, values)

    monkeypatch.setattr(directory_io.Driver, "rows", counted)
    load(services, GOOD)
    new = (GOOD.split("\n", 1)[0] + "\n"
           "Nuevo Uno;600999001;;;;Nueva SL;;N-1;\n"
           "Nuevo Dos;600999002;;;;;;;\n")
    asked.clear()
    load(services, new)
    assert asked == []
    asked.clear()
    assert load(services, GOOD).endswith("3 rows unchanged")
    values = {value for value in asked if isinstance(value, str)}  # (not the account ids)
    assert values and values <= {"1001", "ESB12345674", "ES12345678Z", "acme sl",
                                 "+34655555555"}
    monkeypatch.setattr(directory_io, "KNOWN_MAX", 0)
    asked.clear()
    assert load(services, GOOD + new.split("\n", 1)[1]).endswith("5 rows unchanged")
    assert "N-1" in asked


def test_a_clash_in_a_later_slice_leaves_nothing_written(services: Services,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """The first slices are written before a later one shows a bad row: the rejection
    lists it, and the caller's rollback takes back what the earlier slices wrote."""
    from store.callers import directory_io

    monkeypatch.setattr(directory_io, "SLICE", 1)
    text = GOOD + "Otra Acme;699000333;;;;Acme SL;B12345674;1002;\n"  # another CRM code
    with pytest.raises(ImportRejected) as caught:
        load(services, text)
    assert [(p.entry, p.field) for p in caught.value.problems] == [("line 5", "crm_code")]
    assert counts(services) == (0, 0, 0)


def test_the_entry_model_gives_every_problem_of_a_row_by_field() -> None:
    from pydantic import ValidationError

    from store.callers.directory_csv import DirectoryEntry, problems

    with pytest.raises(ValidationError) as caught:
        DirectoryEntry.model_validate(
            {"name": "", "phone1": "12345", "email": "nope", "tax_id": "12345678A",
             "erp_code": "E" * 65, "__extra__": "x"}, context={"region": "ES"})
    found = [(p.entry, p.field) for p in problems(caught.value, "line 9")]
    assert found == [("line 9", "row"), ("line 9", "name"), ("line 9", "phone1"),
                     ("line 9", "email"), ("line 9", "tax_id"), ("line 9", "erp_code")]
    entry = DirectoryEntry.model_validate(
        {"name": "Ana", "phone1": "600 11 22 33", "phone2": "+34600112233",
         "email": "Ana@Example.ORG", "tax_id": "b-12.345.674"}, context={"region": "ES"})
    row = entry.row("line 2")
    assert (row.phones, row.email, row.tax_id) == (("+34600112233",), "ana@example.org",
                                                   "ESB12345674")


# Cells a dialer list has, good and bad: the fast check must agree with the model on each.
_CELLS = {
    "name": st.sampled_from(["", "Ana", "José Pérez", "x" * 201, "a\x00b", "Ana\ud800"]),
    "phone1": st.sampled_from(["", "600 11 22 33", "+34600112233", "0034 600112233", "12345",
                               "911-22-33-44", "+351 912 345 678", "(600) 11.22.33", "600"]),
    "phone2": st.sampled_from(["", "600112233", "+5511987654321", "abc", "700 00 00 01"]),
    "phone3": st.sampled_from(["", "+34600112233", "0034 700000002"]),
    "email": st.sampled_from(["", "Ana@Example.ORG", "nope", "a@b.c", "x@y;z.com"]),
    "company": st.sampled_from(["", "Acme SL", "é" * 201, "Ñ\x00", "Acme\udc00"]),
    "tax_id": st.one_of(st.sampled_from(["", "b-12.345.674", "12345678Z", "12345678z",
                                         "12345678A", "X1234567L", "ESB12345674"]),
                        st.from_regex(r"\A[0-9]{8}[A-Za-z]\Z")),
    "crm_code": st.sampled_from(["", "C1", "c" * 65]),
    "erp_code": st.sampled_from(["", "E1"]),
}


@given(st.fixed_dictionaries({}, optional=_CELLS), st.sampled_from(["ES", "BR", "PT"]),
       st.booleans())
@settings(max_examples=400, deadline=None)
def test_the_fast_check_agrees_with_the_entry_model(values: dict[str, str], region: str,
                                                    extra: bool) -> None:
    """``clean_row`` gives the model's row when the model finds nothing wrong, else None
    (and the model then names the problems)."""
    from pydantic import ValidationError

    from store.callers.directory_csv import DirectoryEntry, clean_row

    if extra:
        values = {**values, "__extra__": "x"}
    try:
        expected = DirectoryEntry.model_validate(
            values, context={"region": region}).row("line 7")
    except ValidationError:
        expected = None
    assert clean_row(values, region, "line 7") == expected


def test_a_large_import_refreshes_postgresql_s_statistics(db: Database, services: Services,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Stale statistics of a table that grew from a few rows to a million make PostgreSQL
    read it whole for each slice's look-ups: past ANALYZE_FROM new rows the import
    refreshes them (reltuples: the rows counted by the last ANALYZE)."""
    from sqlalchemy import text

    from store.callers import directory_io

    if db.url.startswith("sqlite"):
        pytest.skip("SQLite's planner takes the indexes without statistics")

    def tuples() -> float:
        with transaction(services.sessions) as session:
            return float(session.scalar(text(
                "SELECT reltuples FROM pg_class WHERE oid = 'directory_account'::regclass")))

    load(services, "name;phone1\nAna;600112233\n")
    assert tuples() != 1  # not refreshed (-1, or what an earlier test's ANALYZE left)
    monkeypatch.setattr(directory_io, "ANALYZE_FROM", 2)
    load(services, GOOD)
    assert tuples() == 3


def test_statistics_are_refreshed_only_before_look_ups_that_need_them(
        db: Database, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the tables have doubled, PostgreSQL's statistics are refreshed before the next
    look-up that asks the database: an import whose look-ups ask nothing (new rows into a
    small directory) refreshes them once, at the end."""
    from sqlalchemy import event

    from store.callers import directory_io

    if db.url.startswith("sqlite"):
        pytest.skip("SQLite's planner takes the indexes without statistics")
    analyzed: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("ANALYZE"):
            analyzed.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    monkeypatch.setattr(directory_io, "ANALYZE_FROM", 2)
    monkeypatch.setattr(directory_io, "SLICE", 1)
    try:
        load(services, GOOD)
        assert len(analyzed) == 1
        monkeypatch.setattr(directory_io, "KNOWN_MAX", 0)  # ask for every value
        analyzed.clear()
        more = "".join(f"Persona {n};6000000{n:02d};;;;;;;\n" for n in range(12))
        load(services, GOOD + more)
        assert len(analyzed) >= 2  # during the import too, before a slice's look-ups
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_one_directory_import_at_a_time(db: Database, services: Services) -> None:
    """New ids start after the highest stored, so two imports at once would choose the
    same ones and the second would fail on the primary key: while an import's transaction
    is open, another cannot take the import's lock (it waits for it)."""
    from sqlalchemy import text

    from store.callers import directory_io

    if db.url.startswith("sqlite"):
        pytest.skip("SQLite lets one writer in at a time (BEGIN IMMEDIATE)")
    with transaction(services.sessions) as session:
        import_directory(session, GOOD, T0, "ES")
        with db.engine.connect() as other:
            taken = other.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                 {"key": directory_io.IMPORT_LOCK})
            other.rollback()
        assert taken is False
    with db.engine.connect() as other:  # free again once the import's transaction ended
        assert other.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                            {"key": directory_io.IMPORT_LOCK}) is True
        other.rollback()
