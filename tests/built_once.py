"""What the suite builds once per test process instead of once per test, and how tests share it.

- The repository's content, its rendered public pages and its listing files. Loading them, and
  rendering and compressing every page in every language, is most of `create_app`'s time; every
  app a test creates on the repository's `content/` reuses one copy (no test changes them: a test
  that edits content copies it into its own directory first, and that is loaded afresh).
- A database at the newest migration with no rows. On SQLite the migrations run once into a
  template file, which each test gets a copy of. On PostgreSQL the migrated schema is kept, and
  between tests its tables are emptied and its id counters restarted (the migrations add no rows
  of their own); whenever a test has left another schema behind (dropped, or migrated down), it
  is rebuilt by running the migrations.
- Under pytest-xdist, each worker's own PostgreSQL database beside TEST_DATABASE_URL's (named
  after it with the worker's id, e.g. `test_gw0`), created when missing; `public_client` has one
  more beside that (`test_gw0_public`).
"""

import os
import shutil
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.content import Content, load_content
from app.database import alembic_config, make_engine, migrate
from app.directory.files import NeedsFile, ServiceFile, read_listing_files
from app.models import metadata
from app.pages import Site, build_site, rendered_from
from app.settings import PROJECT_ROOT, Settings

REPOSITORY_CONTENT = (PROJECT_ROOT / "content").resolve()
MODEL_TABLES = {table.name for table in metadata.sorted_tables} | {"alembic_version"}
SEQUENCES = text(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'S' AND n.nspname = 'public'"
)

_content: list[Content] = []
_sites: dict[tuple[str, int, int], Site] = {}
_listing_files: list[tuple[NeedsFile, list[ServiceFile]]] = []


def repository_content() -> Content:
    """The repository's content, loaded once per process."""
    if not _content:
        _content.append(load_content(REPOSITORY_CONTENT))
    return _content[0]


def shared_load_content(content_dir: Path) -> Content:
    if Path(content_dir).resolve() == REPOSITORY_CONTENT:
        return repository_content()
    return load_content(content_dir)


def shared_build_site(content: Content, settings: Settings) -> Site:
    # The rendered pages depend on the content and on the settings `rendered_from` names.
    if _content and content is _content[0]:
        key = rendered_from(settings)
        if key not in _sites:
            _sites[key] = build_site(content, settings)
        shared = _sites[key]
        # Each app its own dictionaries (the pages in them are shared, and never change): an app
        # re-renders a language when reviewers' work changes it, and no other app may see that.
        return shared.copy()
    return build_site(content, settings)


def shared_read_listing_files(services_dir: Path) -> tuple[NeedsFile, list[ServiceFile]]:
    if Path(services_dir).resolve() != REPOSITORY_CONTENT / "services":
        return read_listing_files(services_dir)
    if not _listing_files:
        _listing_files.append(read_listing_files(services_dir))
    return _listing_files[0]


def worker_database_url(base_url: str) -> str:
    """TEST_DATABASE_URL itself, or under xdist the worker's own database beside it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not base_url or not worker:
        return base_url
    return database_beside(base_url, f"_{worker}")


def database_beside(base_url: str, suffix: str) -> str:
    """The PostgreSQL database named as base_url's with `suffix` added, created when missing."""
    url = make_url(base_url)
    name = f"{url.database}{suffix}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def reset_database(engine: Engine) -> None:
    """Leave an empty database: PostgreSQL loses its schema, SQLite files are new per test."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))


class MigratedDatabase:
    """Puts a test's database at the newest migration, with no rows, without migrating each time."""

    def __init__(self, workdir: Path) -> None:
        self.template = workdir / "migrated.db"
        self.head = ""
        self.migrated: set[str] = set()  # PostgreSQL databases this process has migrated

    def restore(self, engine: Engine) -> None:
        if engine.dialect.name == "sqlite":
            self._copy_template(engine)
        else:
            self._empty_tables(engine)

    def _copy_template(self, engine: Engine) -> None:
        target = Path(str(engine.url.database))
        if target.exists():  # not a fresh file: migrate it as it is
            migrate(engine)
            return
        if not self.template.exists():
            template = make_engine(f"sqlite:///{self.template}")
            migrate(template)
            with template.connect() as connection:
                # Everything into the main file, so that file alone is the whole database.
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            template.dispose()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.template, target)

    def _empty_tables(self, engine: Engine) -> None:
        database = str(engine.url.database)
        with engine.begin() as connection:
            at_head = (
                database in self.migrated
                and _public_tables(connection) == MODEL_TABLES
                and connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == self.head
            )
            if at_head:
                # DELETE, children first, then the id counters: a tenth of TRUNCATE's time on
                # tables this small (TRUNCATE makes and syncs new files for every table).
                for table in reversed(metadata.sorted_tables):
                    connection.execute(table.delete())
                for sequence in connection.execute(SEQUENCES).scalars():
                    connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
                return
        reset_database(engine)
        migrate(engine)
        self.head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head() or ""
        self.migrated.add(database)


def _public_tables(connection: Connection) -> set[str]:
    query = text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return set(connection.execute(query).scalars())
