"""Alembic environment: runs migrations on the engine the app hands over (or DATABASE_URL)."""

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

import app.models
from app.database import make_engine
from app.models.base import UTCDateTime
from app.settings import get_settings

target_metadata = app.models.metadata
config = context.config


def render_item(kind: str, item: object, _context: AutogenContext) -> str | Literal[False]:
    """Write UTCDateTime into migrations as the column type it is, so they never import app code."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False  # Alembic's own rendering


def run() -> None:
    engine = config.attributes.get("engine") or make_engine(get_settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
