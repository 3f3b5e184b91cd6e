"""`translations export` writes reviewers' approved work into the content files for the repository,
and `content-check` counts the items checked in the admin."""

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.__main__ import main
from app.admin.users import create_user
from app.content import load_content, split_front_matter
from app.review import store
from app.review.items import content_items
from app.settings import Settings
from tests.admin_helpers import NOON, PASSWORD
from tests.test_content_check import copy_of_content

NEW_WORDS = "یہ ایک نیا جملہ ہے۔"
ANSWER = "ہم آپ کو جلد جواب دیں گے۔"


def run(
    args: list[str], content_dir: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTENT_DIR", str(content_dir))
    monkeypatch.setenv("VAR_DIR", str(content_dir.parent / "var"))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    main(args)


def _reviewed_and_corrected(engine: Engine, content_dir: Path) -> tuple[str, str]:
    """Approve a new your-future section and a new interface string; check all of your-body."""
    content = load_content(content_dir)
    items = {found.key: found for found in content_items(content, "ur")}
    section = [found for found in items.values() if found.group == "your-future"][-1]
    string = next(
        found
        for found in items.values()
        if found.english == "A youth worker will contact you as soon as they can, usually today."
    )
    with Session(engine) as db:
        reviewer = create_user(db, "r@example.org", "reviewer", PASSWORD, languages="ur")
        admin = create_user(db, "a@example.org", "admin", PASSWORD)
        for found, words in (
            (section, section.translation.strip() + " " + NEW_WORDS),
            (string, ANSWER),
        ):
            suggestion = store.suggest(
                db, content, reviewer, "ur", found, found.text_hash, words, "", NOON
            )
            store.approve(db, content, admin, suggestion, found, NOON)
        for found in items.values():
            if found.group == "your-body":
                store.check(db, reviewer, "ur", found, found.text_hash, NOON)
        db.commit()
    return section.key, string.english


def test_export_writes_approved_corrections_and_checked_pages_into_the_content_files(
    tmp_path: Path, settings: Settings, migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    content_dir = copy_of_content(tmp_path)
    future = content_dir / "pages" / "ur" / "your-future.md"
    body = content_dir / "pages" / "ur" / "your-body.md"
    catalog = content_dir / "locales" / "ur" / "LC_MESSAGES" / "messages.po"
    before = {path: path.read_text(encoding="utf-8") for path in (future, body, catalog)}
    _, msgid = _reviewed_and_corrected(migrated_engine, content_dir)

    run(["translations", "export", "--lang", "ur"], content_dir, settings, monkeypatch)

    after = {path: path.read_text(encoding="utf-8") for path in (future, body, catalog)}
    assert NEW_WORDS in after[future] and NEW_WORDS not in before[future]
    assert split_front_matter(after[body])[0]["reviewed"] is True
    assert split_front_matter(after[future])[0]["reviewed"] is False  # only one part checked
    assert f'msgid "{msgid}"\nmsgstr "{ANSWER}"' in after[catalog]
    for path in (future, body, catalog):  # an edit in place: one line changed, no reformatting
        old, new = before[path].splitlines(), after[path].splitlines()
        assert len(old) == len(new) or path == catalog
        assert sum(a != b for a, b in zip(old, new, strict=False)) <= 2, path
    reloaded = load_content(content_dir)
    assert reloaded.problems == []
    assert reloaded.pages[("ur", "your-body")].reviewed
    assert content_items(reloaded, "pl") == content_items(load_content(content_dir), "pl")


def test_content_check_counts_the_items_checked_in_the_admin(
    tmp_path: Path,
    settings: Settings,
    migrated_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    content_dir = copy_of_content(tmp_path)
    total = len(content_items(load_content(content_dir), "ur"))
    body = [
        found
        for found in content_items(load_content(content_dir), "ur")
        if found.group == "your-body"
    ]
    with Session(migrated_engine) as db:
        reviewer = create_user(db, "r@example.org", "reviewer", PASSWORD, languages="ur")
        for found in body:
            store.check(db, reviewer, "ur", found, found.text_hash, NOON)
        db.commit()

    run(["content-check"], content_dir, settings, monkeypatch)

    lines = capsys.readouterr().out.splitlines()
    urdu = next(line for line in lines if line.strip().startswith("ur "))
    polish = next(line for line in lines if line.strip().startswith("pl "))
    assert f"items checked {len(body)}/{total}" in urdu
    assert f"items checked 0/{total}" in polish
