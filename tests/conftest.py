"""Shared fixtures: settings pointing at a throw-away database, the app, and a test client.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.database import make_engine, migrate
from app.main import create_app
from app.settings import PROJECT_ROOT, Settings, load_settings

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
EXIT_URL = "https://www.bbc.co.uk/weather"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "app_env": "test",
        "var_dir": tmp_path / "var",
        "database_url": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}",
        "secret_key": "test-secret-key-" + "x" * 32,
        "data_key": "test-data-key-" + "y" * 32,
        "exit_url": EXIT_URL,
        "content_dir": PROJECT_ROOT / "content",
        # Tests drive the SMS sender themselves, with frozen clocks; no background thread.
        "sender_in_serve": False,
        **overrides,
    }
    return load_settings(**values)


def reset_database(engine: Engine) -> None:
    """Leave an empty database: PostgreSQL loses its schema, SQLite files are new per test."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    reset_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated_engine(engine: Engine) -> Engine:
    migrate(engine)
    return engine


@pytest.fixture
def client(settings: Settings, migrated_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="session")
def public_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for tests that only read public pages: building the pages once keeps tests fast."""
    settings = make_settings(tmp_path_factory.mktemp("public"))
    engine = make_engine(settings.database_url)
    reset_database(engine)
    migrate(engine)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client
    engine.dispose()
