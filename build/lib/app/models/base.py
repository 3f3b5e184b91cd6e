"""What every table shares: constraint naming, UTC timestamps."""

from datetime import UTC, datetime

from sqlalchemy import Column, MetaData
from sqlalchemy.types import DateTime
from sqlmodel import Field, SQLModel

# Stable constraint names, so migrations can alter constraints on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(*, index: bool = False, primary_key: bool = False) -> datetime:
    """A required, timezone-aware timestamp column (UTC)."""
    column = Column(DateTime(timezone=True), nullable=False, index=index, primary_key=primary_key)
    return Field(sa_column=column)  # type: ignore[no-any-return]
