"""Alembic environment: runs migrations on the engine the app hands over (or DATABASE_URL)."""

from alembic import context

import app.models
from app.database import make_engine
from app.settings import get_settings

target_metadata = app.models.metadata
config = context.config


def run() -> None:
    engine = config.attributes.get("engine") or make_engine(get_settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
