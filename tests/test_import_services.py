"""`import-services`: files load idempotently, keep their ids, and never clobber staff edits."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.directory.files import ListingFileError, read_listing_files
from app.directory.importer import import_listings
from app.models import Phone, Service
from app.settings import PROJECT_ROOT
from tests.conftest import TEST_DATABASE_URL

SERVICES = PROJECT_ROOT / "content" / "services"


def copy_of_services(tmp_path: Path) -> Path:
    target = tmp_path / "services"
    shutil.copytree(SERVICES, target)
    return target


def test_importing_twice_changes_nothing_the_second_time(migrated_engine: Engine) -> None:
    needs, listings = read_listing_files(SERVICES)
    with Session(migrated_engine) as db:
        first = import_listings(db, needs, listings)
        second = import_listings(db, needs, listings)
        count = len(db.exec(select(Service)).all())

    assert len(first.added) == len(listings) == count
    assert (second.added, second.changed, len(second.unchanged)) == ([], [], len(listings))


def test_a_changed_file_updates_its_listing_and_keeps_every_id(
    migrated_engine: Engine, tmp_path: Path
) -> None:
    services = copy_of_services(tmp_path)
    needs, listings = read_listing_files(services)
    with Session(migrated_engine) as db:
        import_listings(db, needs, listings)
        db.commit()  # as `import-services` does
        phone_ids = set(db.exec(select(Phone.id)).all())
    path = services / "samaritans.yaml"
    path.write_text(path.read_text().replace("day or night", "at any time"), encoding="utf-8")

    needs, listings = read_listing_files(services)
    with Session(migrated_engine) as db:
        report = import_listings(db, needs, listings)
        samaritans = db.exec(select(Service).where(Service.name == "Samaritans")).one()
        assert set(db.exec(select(Phone.id)).all()) == phone_ids

    assert [name.split(" (")[0] for name in report.changed] == ["Samaritans"]
    assert "at any time" in samaritans.summary


def test_a_listing_edited_by_staff_is_not_overwritten_by_its_file(migrated_engine: Engine) -> None:
    needs, listings = read_listing_files(SERVICES)
    with Session(migrated_engine) as db:
        import_listings(db, needs, listings)
        service = db.exec(select(Service).where(Service.name == "Samaritans")).one()
        service.summary, service.source_fingerprint = "Edited by a youth worker", None
        db.add(service)
        db.commit()
        changed_file = [
            listing.model_copy(update={"summary": "From the file"})
            if listing.name == "Samaritans"
            else listing
            for listing in listings
        ]
        report = import_listings(db, needs, changed_file)
        db.refresh(service)

    assert service.summary == "Edited by a youth worker"
    assert [name.split(" (")[0] for name in report.edited_by_staff] == ["Samaritans"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('number: "116 123"', 'number: "116-123"', "digits and spaces only"),
        ("verified: true", "verified: yes please", "verified"),
        ("minimum_age: null", "minimum_age: -1", "minimum_age"),
        ("needs: [", "needs: [made-up-need, ", "unknown needs"),
        ("url: https://www.samaritans.org\n", "url: http://www.samaritans.org\n", "url"),
        ("name: Samaritans\nsummary", "nam: Samaritans\nsummary", "nam"),
    ],
)
def test_a_bad_listing_file_is_named_with_its_problem_and_nothing_is_read(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    services = copy_of_services(tmp_path)
    path = services / "samaritans.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")

    with pytest.raises(ListingFileError) as error:
        read_listing_files(services)

    assert expected in str(error.value)
    assert "samaritans" in str(error.value).lower()


def test_an_unconfirmed_listing_may_not_give_phone_numbers(tmp_path: Path) -> None:
    services = copy_of_services(tmp_path)
    path = services / "samaritans.yaml"
    path.write_text(path.read_text().replace("verified: true", "verified: false"), encoding="utf-8")

    with pytest.raises(ListingFileError, match="unverified listing"):
        read_listing_files(services)


def test_the_command_reports_what_changed(tmp_path: Path) -> None:
    database_url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'cards.db'}"
    env = {"VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    if TEST_DATABASE_URL:
        pytest.skip("the suite's PostgreSQL schema is managed by the fixtures")

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", "import-services"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first, second = run(), run()

    assert first.returncode == 0 and second.returncode == 0, first.stderr
    assert first.stdout.startswith(f"{len(read_listing_files(SERVICES)[1])} added")
    assert second.stdout.startswith("0 added, 0 changed")
