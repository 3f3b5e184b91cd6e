"""What every table shares: constraint naming, and timestamps that are always UTC."""

from datetime import UTC, datetime

from sqlalchemy import Column, Dialect, MetaData
from sqlalchemy.types import DateTime, TypeDecorator
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


class UTCDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` in the database; in Python, always an aware datetime in UTC.

    PostgreSQL keeps the instant (timestamptz), but SQLite stores the wall-clock time without its
    offset and hands it back naive. So every value is turned into UTC on the way in, and read back
    as UTC. A naive datetime is refused rather than guessed at. The schema is plain
    `DateTime(timezone=True)`: migrations render and compare this type as that.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp(*, index: bool = False, primary_key: bool = False) -> datetime:
    """A required timestamp column (UTC)."""
    column: Column[datetime] = Column(
        UTCDateTime(), nullable=False, index=index, primary_key=primary_key
    )
    return Field(sa_column=column)  # type: ignore[no-any-return]


def optional_timestamp(*, index: bool = False) -> datetime | None:
    """A timestamp column that may be empty (UTC)."""
    return Field(default=None, sa_type=UTCDateTime, index=index)  # type: ignore[no-any-return]
