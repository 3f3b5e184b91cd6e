"""Translation review in the admin: checks keyed to both texts, suggestions that may not touch
numbers or links, a page's notice going when all of it is checked, approved corrections going
live in this instance at once and in another within the refresh time."""

import time

from fastapi.testclient import TestClient
from sqlmodel import select

from app.main import create_app
from app.models import TranslationCheck, TranslationSuggestion
from app.review.items import Item
from app.review.store import CHANGED, CHECKED, NOT_CHECKED, ReviewState
from app.settings import Settings
from tests.admin_helpers import NOON, add_user, database, sign_in, token_from, web
from tests.app_context import context, set_clock
from tests.review_helpers import check, item, items_of, notice_in, own_pages, reviewer, suggest

__all__ = ["web"]  # fixtures

NEW_WORDS = "یہ ایک نیا جملہ ہے۔"


def test_a_check_holds_only_while_the_english_and_the_translation_read_as_checked() -> None:
    checked = Item("page/the-law/body/1", "the-law", "Section", "Carrying is a crime.", "جرم ہے۔")
    state = ReviewState()
    state.checked[checked.key].add(checked.text_hash)

    english_changed = Item(checked.key, "the-law", "Section", "Carrying is illegal.", "جرم ہے۔")
    translation_changed = Item(checked.key, "the-law", "Section", "Carrying is a crime.", "جرم۔")
    never = Item("page/the-law/body/2", "the-law", "Section", "Other words.", "دوسرے")

    assert state.status(checked) == CHECKED
    assert state.status(english_changed) == CHANGED
    assert state.status(translation_changed) == CHANGED
    assert state.status(never) == NOT_CHECKED
    assert len({checked.text_hash, english_changed.text_hash, translation_changed.text_hash}) == 3


def test_a_reviewer_reads_english_beside_the_translation_in_their_languages_only(
    web: TestClient,
) -> None:
    reviewer(web, langs="ur")
    law = items_of(web, "ur", "the-law")

    page = web.get("/admin/translations/ur/the-law")

    assert page.status_code == 200
    html = page.text
    assert 'lang="en"' in html and 'lang="ur" dir="rtl"' in html
    assert html.count("Reads right") == len(law)
    assert html.count("Suggest a change") == len(law)
    assert "Not checked yet" in html
    assert web.get("/admin/translations/pl/the-law").status_code == 403
    assert web.get("/admin/translations/en/the-law").status_code == 403
    assert web.get("/admin/translations").text.count("/admin/translations/") == 1


def test_staff_who_are_not_reviewers_cannot_check_translations(web: TestClient) -> None:
    add_user(web, "ed@example.org", "editor")
    sign_in(web, "ed@example.org")

    assert web.get("/admin/translations").status_code == 403
    assert web.get("/admin/translations/ur/the-law").status_code == 403


def test_a_text_changed_since_it_was_checked_shows_as_changed_since_checked(
    web: TestClient,
) -> None:
    csrf = reviewer(web)
    title = item(web, "ur", "page/the-law/meta/title")
    with database(web) as db:  # checked once, when the translation read differently
        db.add(TranslationCheck(lang="ur", item=title.key, text_hash="0" * 64, at=NOON))
        db.commit()

    before = web.get("/admin/translations/ur/the-law").text
    response = check(web, csrf, "ur", title)
    after = web.get("/admin/translations/ur/the-law").text

    assert "Changed since checked" in before
    assert response.status_code == 303
    assert "Changed since checked" not in after


def test_a_suggestion_that_changes_a_phone_number_is_refused_with_a_clear_message(
    web: TestClient,
) -> None:
    csrf = reviewer(web)
    childline = item(web, "ur", "page/help-now/meta/lines.2.action")

    response = suggest(web, csrf, "ur", childline, "Childline 0800 1112")

    assert response.status_code == 400
    assert "phone numbers, other numbers and links must stay exactly as they are in English" in (
        response.text
    )
    assert "1112" in response.text  # what it would have changed, kept in the form to fix
    with database(web) as db:
        assert db.exec(select(TranslationSuggestion)).all() == []


def test_a_suggestion_that_adds_a_link_or_changes_a_text_message_number_is_refused(
    web: TestClient,
) -> None:
    csrf = reviewer(web)
    section = items_of(web, "ur", "your-future")[-1]
    danger = next(found for found in items_of(web, "ur", "sms") if "999" in found.english)

    link = suggest(web, csrf, "ur", section, section.translation + " [x](https://example.org)")
    number = suggest(web, csrf, "ur", danger, danger.translation.replace("999", "998"))
    fine = suggest(
        web, csrf, "ur", section, section.translation.strip() + " " + NEW_WORDS, "clearer"
    )

    assert link.status_code == 400 and "links differ from English" in link.text
    assert number.status_code == 400 and "numbers differ from English" in number.text
    assert fine.status_code == 303
    with database(web) as db:
        kept = db.exec(select(TranslationSuggestion)).one()
    assert (kept.item, kept.note, kept.status) == (section.key, "clearer", "open")


def test_checking_every_part_of_a_page_removes_its_public_notice(web: TestClient) -> None:
    own_pages(web)
    csrf = reviewer(web)
    notice = notice_in(web, "ur")
    assert notice in web.get("/ur/your-body").text

    parts = items_of(web, "ur", "your-body")
    for part in parts[:-1]:
        assert check(web, csrf, "ur", part).status_code == 303
    still = web.get("/ur/your-body").text
    assert check(web, csrf, "ur", parts[-1]).status_code == 303

    assert notice in still
    assert notice not in web.get("/ur/your-body").text
    assert notice in web.get("/ur/your-family").text  # not checked yet
    assert "Every part of this page is checked" in web.get("/admin/translations/ur/your-body").text


def _approve_a_suggestion(web: TestClient, settings: Settings) -> Item:
    """A reviewer suggests new words for a section; an admin approves them; the section."""
    csrf = reviewer(web)
    section = items_of(web, "ur", "your-future")[-1]
    assert (
        suggest(web, csrf, "ur", section, section.translation.strip() + " " + NEW_WORDS).status_code
        == 303
    )
    admin = TestClient(web.app, follow_redirects=False)
    set_clock(admin, NOON)
    add_user(admin, "ana@example.org", "admin")
    sign_in(admin, "ana@example.org")
    waiting = admin.get("/admin/translations/suggestions")
    assert NEW_WORDS in waiting.text
    with database(web) as db:
        suggestion = db.exec(select(TranslationSuggestion)).one()
    approved = admin.post(
        f"/admin/translations/suggestions/{suggestion.id}/approve",
        data={"csrf_token": token_from(admin)},
    )
    assert approved.status_code == 303
    return section


def test_an_approved_correction_is_on_the_public_page_at_once(
    web: TestClient, settings: Settings
) -> None:
    own_pages(web)
    assert NEW_WORDS not in web.get("/ur/your-future").text

    section = _approve_a_suggestion(web, settings)

    assert NEW_WORDS in web.get("/ur/your-future").text
    assert NEW_WORDS not in web.get("/pl/your-future").text
    corrected = item(web, "ur", section.key)
    with database(web) as db:
        checks = db.exec(select(TranslationCheck).where(TranslationCheck.item == section.key))
        assert corrected.text_hash in {found.text_hash for found in checks}  # counts as checked


def test_another_instance_shows_an_approved_correction_within_the_refresh_time(
    web: TestClient, settings: Settings
) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as other:
        own_pages(other)
        assert NEW_WORDS not in other.get("/ur/your-future").text
        own_pages(web)

        _approve_a_suggestion(web, settings)

        deadline = time.monotonic() + settings.directory_refresh_seconds + 10
        while NEW_WORDS not in other.get("/ur/your-future").text:
            assert time.monotonic() < deadline, "the other instance never showed the correction"
            time.sleep(0.1)
        assert context(other).translations.revision
