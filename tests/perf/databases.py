"""The benchmark's database helpers.

A fresh PostgreSQL database for a run (`postgres_database`), bulk-added listings (`add_listings`),
and the checks on stored callbacks (`count_rows`, `missing_references`).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from tests.perf.servers import REPO


def count_rows(database_url: str, table: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def missing_references(database_url: str, references: list[str]) -> list[str]:
    """The references (from 303 answers) that have no callback_request row."""
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(database_url)
    query = text("SELECT reference FROM callback_request WHERE reference IN :refs").bindparams(
        bindparam("refs", expanding=True)
    )
    found: set[str] = set()
    try:
        with engine.connect() as connection:
            for start in range(0, len(references), 500):
                chunk = references[start : start + 500]
                found |= {row[0] for row in connection.execute(query, {"refs": chunk})}
    finally:
        engine.dispose()
    return [ref for ref in references if ref not in found]


def add_listings(database_url: str, count: int) -> None:
    """Bulk-insert `count` published listings matching the benchmark's filter (need, LU1)."""
    sys.path.insert(0, str(REPO))
    from sqlmodel import Session

    from app.database import make_engine
    from tests.factories import add_many_services

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            add_many_services(session, count, need="pressured")
    finally:
        engine.dispose()


@contextlib.contextmanager
def postgres_database(admin_url: str, name: str) -> Any:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    import psycopg
    from psycopg import sql

    def run(statement: sql.Composed) -> None:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    run(drop)
    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    user = info.get("user", "postgres")
    password = f":{info['password']}" if info.get("password") else ""
    host = info.get("host", "127.0.0.1")
    port = info.get("port", "5432")
    try:
        yield f"postgresql+psycopg://{user}{password}@{host}:{port}/{name}"
    finally:
        run(drop)
