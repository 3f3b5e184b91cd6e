"""Database engine, sessions and migrations.

SQLite (the default, one file under `./var/`) and PostgreSQL share one code path; the schema is
owned by Alembic migrations in `migrations/`, which `serve` applies on start.
"""

import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

from alembic import command
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.settings import PROJECT_ROOT

T = TypeVar("T")
# PostgreSQL connections per process. Requests wait for a free one (up to `pool_timeout`) rather
# than opening more: on a small machine more connections add contention, not throughput, and a
# fixed pool means no connection is opened and closed again under load (no `max_overflow`
# churn). 2 workers x 20 stays well inside PostgreSQL's default 100 connections.
POOL_SIZE = 20
# Connections are replaced after 30 minutes, before a firewall or server timeout drops them.
# There is no pre-ping (a round trip on every checkout): a connection found dead is discarded
# with the rest of the pool, and `in_transaction` retries work that had not been committed.
POOL_RECYCLE_SECONDS = 1800
ATTEMPTS = 3  # in_transaction: the first try and two retries
RETRY_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url, pool_size=POOL_SIZE, max_overflow=0, pool_recycle=POOL_RECYCLE_SECONDS
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_write_locks: "weakref.WeakKeyDictionary[Engine, threading.Lock]" = weakref.WeakKeyDictionary()
_write_locks_guard = threading.Lock()


def _write_lock(engine: Engine) -> threading.Lock:
    with _write_locks_guard:
        lock = _write_locks.get(engine)
        if lock is None:
            lock = _write_locks[engine] = threading.Lock()
        return lock


def in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run `work` in one read-write transaction and commit it; roll back if it raises.

    SQLite: the transaction starts with `BEGIN IMMEDIATE`, so it holds the write lock from its
    first statement and never has to upgrade a read lock (an upgrade that fails is SQLITE_BUSY at
    once, whatever busy_timeout says). Threads of one process queue on a lock here rather than in
    SQLite's busy handler, which sleeps in growing steps and leaves the database idle; only
    another process can then make it wait, and busy_timeout covers that.

    PostgreSQL: a connection found dead (the server restarted, or a network blip) before the
    commit is discarded and the work runs again on a fresh connection; so does work that lost a
    deadlock or a serialization conflict. Nothing had been committed, so nothing happens twice
    (`work` must only touch the database). A failure during the commit itself is never retried.
    """
    if engine.dialect.name == "sqlite":
        with _write_lock(engine), engine.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            result = work(connection)  # an exception closes the connection: rolled back
            connection.commit()
            return result
    for attempt in range(1, ATTEMPTS + 1):
        with engine.connect() as connection:
            try:
                result = work(connection)
            except DBAPIError as error:
                if attempt < ATTEMPTS and _worth_retrying(error):
                    continue  # leaving the block rolled the transaction back
                raise
            connection.commit()
            return result
    raise AssertionError("unreachable")  # pragma: no cover


def _worth_retrying(error: DBAPIError) -> bool:
    """A dead connection, or PostgreSQL chose this transaction to lose a deadlock or conflict."""
    return error.connection_invalidated or getattr(error.orig, "sqlstate", None) in RETRY_SQLSTATES


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
