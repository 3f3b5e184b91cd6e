"""The migrations build exactly the schema the models describe, and can go down and up again."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from app.database import alembic_config, downgrade, migrate
from app.models import metadata


@pytest.fixture
def migrated_engine(engine: Engine) -> Engine:
    """Migrated here for real, not copied from the suite's template: the migrations are tested."""
    migrate(engine)
    return engine


def test_the_models_and_the_migrations_agree(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_migrations_go_down_to_nothing_and_back_up(engine: Engine) -> None:
    migrate(engine)
    tables_at_head = set(inspect(engine).get_table_names())

    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    migrate(engine)
    assert set(inspect(engine).get_table_names()) == tables_at_head


def test_the_database_records_the_newest_migration(migrated_engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(migrated_engine)).get_current_head()

    with migrated_engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()

    assert current == head


def test_migrations_form_a_single_line_of_history(migrated_engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config(migrated_engine))

    assert len(script.get_heads()) == 1
