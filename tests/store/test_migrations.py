from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store import migrate
from store.models import Base
from tests.conftest import Database


def test_migrations_build_exactly_the_models(empty_db: Database) -> None:
    migrate.upgrade(empty_db.engine)
    with empty_db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert migrate.pending_reason(empty_db.engine) is None


def test_every_migration_can_be_undone(empty_db: Database) -> None:
    migrate.upgrade(empty_db.engine)
    migrate.downgrade(empty_db.engine, "base")
    tables = set(inspect(empty_db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    migrate.upgrade(empty_db.engine)
    assert migrate.pending_reason(empty_db.engine) is None


def test_an_unmigrated_database_says_what_to_run(empty_db: Database) -> None:
    reason = migrate.pending_reason(empty_db.engine)
    assert reason is not None and "switchboard db upgrade" in reason
