"""Shared fixtures: settings pointing at a throw-away database, the app, and a test client.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set (under
pytest-xdist, on each worker's own database beside it). What the fixtures build once per process
rather than once per test (the content, the rendered pages, the migrated schema) is in
tests/built_once.py; passwords are hashed at argon2's cheapest.
"""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import app.main
import app.security
from app.database import make_engine
from app.main import create_app
from app.settings import PROJECT_ROOT, Settings, load_settings
from tests.built_once import (
    MigratedDatabase,
    database_beside,
    reset_database,
    shared_build_site,
    shared_load_content,
    shared_read_listing_files,
    worker_database_url,
)

TEST_DATABASE_URL = worker_database_url(os.environ.get("TEST_DATABASE_URL", ""))
EXIT_URL = "https://www.bbc.co.uk/weather"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "app_env": "test",
        "var_dir": tmp_path / "var",
        "database_url": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}",
        "secret_key": "test-secret-key-0123456789abcdefghijklmnopqrstuv",
        "data_key": "test-data-key-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "exit_url": EXIT_URL,
        "content_dir": PROJECT_ROOT / "content",
        # Tests drive the SMS sender themselves, with frozen clocks; no background thread.
        "sender_in_serve": False,
        **overrides,
    }
    return load_settings(**values)


@pytest.fixture(scope="session", autouse=True)
def reuse_content_and_pages() -> Iterator[None]:
    """Apps built on the repository's content share one loaded copy of it and one rendered site."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app.main, "load_content", shared_load_content)
        patch.setattr(app.main, "build_site", shared_build_site)
        patch.setattr(app.main, "read_listing_files", shared_read_listing_files)
        yield


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Argon2 with argon2-cffi's profile for tests: the service's cost (a third of a second of CPU
    a hash, to slow attackers down) would add minutes to a suite that hashes and checks hundreds
    of passwords. Servers that tests start as processes keep the real cost."""
    hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app.security, "_hasher", hasher)
        patch.setattr(app.security, "_UNKNOWN_USER_HASH", hasher.hash(secrets.token_urlsafe(16)))
        yield


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> MigratedDatabase:
    return MigratedDatabase(tmp_path_factory.mktemp("migrated"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An empty database (a test asks for this or for `migrated_engine`, not both)."""
    engine = make_engine(settings.database_url)
    reset_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated_engine(settings: Settings, migrated_database: MigratedDatabase) -> Iterator[Engine]:
    """A database at the newest migration with no rows."""
    engine = make_engine(settings.database_url)
    migrated_database.restore(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(settings: Settings, migrated_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="session")
def public_client(
    tmp_path_factory: pytest.TempPathFactory, migrated_database: MigratedDatabase
) -> Iterator[TestClient]:
    """One app for tests that only read public pages.

    On PostgreSQL it has a database of its own, which tests that empty their database, or cut
    every connection to it, leave alone.
    """
    own: dict[str, object] = {}
    if TEST_DATABASE_URL:
        own["database_url"] = database_beside(TEST_DATABASE_URL, "_public")
    settings = make_settings(tmp_path_factory.mktemp("public"), **own)
    engine = make_engine(settings.database_url)
    migrated_database.restore(engine)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client
    engine.dispose()
