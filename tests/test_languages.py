"""Languages: chosen from the phone's settings, kept in the URL, switchable, never a dead end."""

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.i18n import negotiate
from app.main import create_app
from app.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.helpers import CONTENT, LANGUAGES, PageParts

REQUIRED_LANGUAGES = {"en", "ur", "pl", "ro", "bn", "pa", "ar", "pt"}


def test_the_town_languages_are_all_offered() -> None:
    assert set(LANGUAGES) >= REQUIRED_LANGUAGES
    assert CONTENT.languages["ur"].dir == "rtl"
    assert CONTENT.languages["ar"].dir == "rtl"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ur", "ur"),
        ("pt-BR,pt;q=0.9,en;q=0.8", "pt"),
        ("pa-IN", "pa"),
        ("PL-pl", "pl"),
        ("fr-FR, de;q=0.9, ro;q=0.5", "ro"),
        ("en;q=0.2, ar;q=0.9", "ar"),
        ("bn;q=0, en;q=0.1", "en"),
        ("*", "en"),
        ("fr, de", "en"),
        ("", "en"),
        (None, "en"),
        ("; q=abc,,,,", "en"),
        ("ur;q=nonsense, pl;q=0.5", "pl"),
        ("x" * 5000, "en"),
        ("zh-Hant-TW;q=0.9, ur-PK;q=0.8", "ur"),
    ],
)
def test_the_best_language_is_chosen_from_accept_language(
    header: str | None, expected: str
) -> None:
    assert negotiate(header, LANGUAGES) == expected


@pytest.mark.parametrize("path", ["/", "/c/school-42"])
def test_the_card_opens_in_the_phone_language_visible_in_the_address(
    public_client: TestClient, path: str
) -> None:
    response = public_client.get(path, headers={"Accept-Language": "ur-PK,ur;q=0.9,en;q=0.5"})

    assert response.status_code == 302
    assert response.headers["location"] == "/ur/"


@pytest.mark.parametrize("lang", sorted(REQUIRED_LANGUAGES - {"en"}))
def test_each_language_has_its_own_interface_words(public_client: TestClient, lang: str) -> None:
    html = public_client.get(f"/{lang}/").text

    for english in ("Exit this page", "Skip to main content", "Find out more"):
        assert english not in html


@pytest.mark.parametrize("slug", ["", "the-law", "if-someone-is-stabbed"])
def test_the_language_switcher_keeps_the_reader_on_the_same_page(
    public_client: TestClient, slug: str
) -> None:
    page = PageParts(public_client.get(f"/pl/{slug}").text)
    switcher = [a for a in page.all("a") if "hreflang" in a]

    assert {a["hreflang"] for a in switcher} == set(LANGUAGES)
    for link in switcher:
        assert link["href"] == f"/{link['hreflang']}/{slug}"
        assert link["lang"] == link["hreflang"]
        assert public_client.get(link["href"]).status_code == 200
    current = [a for a in switcher if a.get("aria-current") == "page"]
    assert [a["hreflang"] for a in current] == ["pl"]


@pytest.mark.parametrize("lang", ["ur", "ar"])
def test_right_to_left_pages_keep_phone_numbers_left_to_right(
    public_client: TestClient, lang: str
) -> None:
    html = public_client.get(f"/{lang}/").text

    assert f'<html lang="{lang}" dir="rtl">' in html
    assert '<span dir="ltr">0800 1111</span>' in html


def test_unreviewed_translations_say_so_in_their_own_language(public_client: TestClient) -> None:
    unreviewed = next(
        page for (lang, _slug), page in CONTENT.pages.items() if lang != "en" and not page.reviewed
    )
    path = f"/{unreviewed.lang}/{'' if unreviewed.slug == 'card' else unreviewed.slug}"
    english_note = "This translation has not been checked by a fluent speaker yet."

    html = public_client.get(path).text

    assert 'class="note"' in html
    assert english_note not in html


def content_with(tmp_path: Path) -> Path:
    content_dir = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content_dir)
    return content_dir


def test_a_missing_translated_page_is_shown_in_english_marked_as_english(tmp_path: Path) -> None:
    content_dir = content_with(tmp_path)
    (content_dir / "pages" / "pl" / "your-future.md").unlink()

    with TestClient(create_app(make_settings(tmp_path, content_dir=content_dir))) as client:
        response = client.get("/pl/your-future")

    assert response.status_code == 200
    assert '<html lang="pl"' in response.text
    english_title = CONTENT.pages[("en", "your-future")].title
    assert f'<article lang="en" dir="ltr">\n<h1>{english_title}</h1>' in response.text
    assert "This page is not translated yet" not in response.text  # the note is in Polish
    assert 'class="note"' in response.text


def test_a_missing_interface_string_is_shown_in_english_marked_as_english(tmp_path: Path) -> None:
    content_dir = content_with(tmp_path)
    catalog = content_dir / "locales" / "ro" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    start = text.index('msgid "Find out more"')
    end = text.index("\n\n", start)
    emptied = text[:start] + 'msgid "Find out more"\nmsgstr ""' + text[end:]
    catalog.write_text(emptied, encoding="utf-8")

    with TestClient(create_app(make_settings(tmp_path, content_dir=content_dir))) as client:
        html = client.get("/ro/").text

    assert '<span lang="en" dir="ltr">Find out more</span>' in html
    assert "Exit this page" not in html


def test_a_new_language_needs_only_files(tmp_path: Path) -> None:
    content_dir = content_with(tmp_path)
    with (content_dir / "languages.yaml").open("a", encoding="utf-8") as languages:
        languages.write("- code: so\n  name: Soomaali\n  dir: ltr\n")

    with TestClient(create_app(make_settings(tmp_path, content_dir=content_dir))) as client:
        card = client.get("/so/")
        chosen = client.get("/", headers={"Accept-Language": "so-SO"}, follow_redirects=False)

    assert card.status_code == 200
    assert '<html lang="so" dir="ltr">' in card.text
    assert chosen.headers["location"] == "/so/"


@pytest.mark.parametrize("lang", ["ur", "ar"])
def test_example_phone_numbers_in_forms_read_left_to_right(
    public_client: TestClient, lang: str
) -> None:
    html = public_client.get(f"/{lang}/callback").text

    assert '<span dir="ltr">07700 900 982</span>' in html
