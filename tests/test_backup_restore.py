"""deploy/backup.sh and deploy/restore.sh on a real PostgreSQL database: a callback request
backed up from one database is there, still readable with DATA_KEY, in another after a restore.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlmodel import Session, select

from app.database import make_engine
from app.models import CallbackRequest
from app.security import Keys
from app.settings import PROJECT_ROOT, Settings
from tests.built_once import database_beside
from tests.conftest import TEST_DATABASE_URL
from tests.sms_support import YOUNG_PERSON, request_callback

DEPLOY = PROJECT_ROOT / "deploy"
pytestmark = [
    pytest.mark.skipif(
        not TEST_DATABASE_URL.startswith("postgresql"),
        reason="backups are of PostgreSQL: set TEST_DATABASE_URL (.ci/run's second pass)",
    ),
    pytest.mark.skipif(
        shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
        reason="pg_dump and pg_restore are not installed (postgresql-client)",
    ),
]


def empty_database_beside(url: str, suffix: str) -> str:
    """A new, empty database named after `url`'s with `suffix` (dropped first if it is there)."""
    parsed = make_url(url)
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}{suffix}"'))
    finally:
        admin.dispose()
    return database_beside(url, suffix)


def run(*command: str, **env: str) -> str:
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **env}, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_backup_restored_into_another_database_keeps_the_callback_requests(
    tmp_path: Path, settings: Settings, migrated_engine: Engine
) -> None:
    reference = request_callback(migrated_engine, settings)
    backups = tmp_path / "backups"

    # The app's own DATABASE_URL form is accepted as it is.
    written = Path(
        run(str(DEPLOY / "backup.sh"), settings.database_url, BACKUP_DIR=str(backups)).strip()
    )
    target = empty_database_beside(settings.database_url, "_restored")
    run(str(DEPLOY / "restore.sh"), str(written), target)

    assert written.parent == backups and re.fullmatch(r"card-\d{8}T\d{6}Z\.dump", written.name)
    assert written.stat().st_mode & 0o777 == 0o600  # personal data, even though encrypted
    restored = make_engine(target)
    try:
        with Session(restored) as db:
            row = db.exec(
                select(CallbackRequest).where(CallbackRequest.reference == reference)
            ).one()
        assert row.phone_encrypted is not None
        assert Keys.of(settings).cipher.decrypt(row.phone_encrypted) == YOUNG_PERSON
    finally:
        restored.dispose()


def test_a_restore_into_a_database_that_is_not_empty_changes_nothing(
    tmp_path: Path, settings: Settings, migrated_engine: Engine
) -> None:
    request_callback(migrated_engine, settings)
    written = run(
        str(DEPLOY / "backup.sh"), settings.database_url, BACKUP_DIR=str(tmp_path)
    ).strip()
    before = _count(migrated_engine)

    failed = subprocess.run(
        [str(DEPLOY / "restore.sh"), written, settings.database_url],
        capture_output=True,
        text=True,
        check=False,
    )

    assert failed.returncode != 0
    assert _count(migrated_engine) == before  # one transaction: rolled back whole


def _count(engine: Engine) -> int:
    with Session(engine) as db:
        return len(db.exec(select(CallbackRequest)).all())
