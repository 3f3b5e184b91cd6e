"""Database tables (SQLModel). The schema is created and changed only by Alembic migrations."""

from sqlalchemy import MetaData
from sqlmodel import SQLModel

# Stable constraint names, so migrations can alter constraints on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata
