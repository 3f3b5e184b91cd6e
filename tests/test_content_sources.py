"""Every word sourced: pages name their sources, show only listed phone numbers, and the new topics
exist in every language; an unchecked translation says so and links to the English page."""

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.content import load_content
from app.content_report import READING_GRADE_TARGET, reading_grade
from app.content_rules import phone_numbers_in
from app.main import create_app
from app.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.helpers import CONTENT, LANGUAGES

NEW_TOPICS = (
    "grief-and-shock",
    "stopping-carrying",
    "a-friend-carries",
    "stop-and-search",
    "arrested-under-18",
    "threats-online",
)


def copy_of_content(tmp_path: Path) -> Path:
    content_dir = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content_dir)
    return content_dir


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(content_dir: Path, file: str) -> list[str]:
    return [
        problem.message
        for problem in load_content(content_dir).problems
        if problem.path.endswith(file)
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("call [101](tel:101)", "call [0800 123 4567](tel:08001234567)"),  # a link
        ("Not an emergency: call", "Not an emergency: 0800 123 4567, or call"),  # plain text
        ("(tel:101)", "(tel:102)"),  # a short number is a number too when it is a link
    ],
)
def test_a_phone_number_not_in_the_facts_list_fails_the_check(
    tmp_path: Path, old: str, new: str
) -> None:
    content_dir = copy_of_content(tmp_path)
    replace_in(content_dir / "pages" / "en" / "feeling-unsafe.md", old, new)

    problems = problems_of(content_dir, "en/feeling-unsafe.md")

    assert any("is not in content/facts.yaml" in problem for problem in problems), problems


def test_a_number_removed_from_the_facts_list_fails_every_page_that_shows_it(
    tmp_path: Path,
) -> None:
    content_dir = copy_of_content(tmp_path)
    replace_in(content_dir / "facts.yaml", '  - number: "116123"\n', '  - number: "1"\n')

    problems = [str(problem) for problem in load_content(content_dir).problems]

    assert any("en/grief-and-shock.md" in p and "116123" in p for p in problems)
    assert any("ur/grief-and-shock.md" in p and "116123" in p for p in problems)


def test_years_sizes_and_ages_are_not_taken_for_phone_numbers() -> None:
    the_law = CONTENT.pages[("en", "the-law")]
    stopping = CONTENT.pages[("en", "stopping-carrying")]

    assert "7.62" in the_law.markdown
    assert phone_numbers_in(the_law) == []
    assert "24 September 2024" in stopping.markdown
    assert phone_numbers_in(stopping) == ["08001111", "101"]


def test_a_topic_without_sources_fails_the_check(tmp_path: Path) -> None:
    content_dir = copy_of_content(tmp_path)
    replace_in(content_dir / "pages" / "en" / "stop-and-search.md", "sources:", "links:")

    problems = problems_of(content_dir, "en/stop-and-search.md")

    assert any(problem.startswith("front matter needs 'sources'") for problem in problems)


def test_the_card_without_sources_fails_the_check(tmp_path: Path) -> None:
    content_dir = copy_of_content(tmp_path)
    replace_in(content_dir / "pages" / "pt" / "card.md", "sources:", "links:")

    problems = problems_of(content_dir, "pt/card.md")

    assert any(problem.startswith("front matter needs 'sources'") for problem in problems)


def test_a_page_marked_as_needing_no_sources_passes(tmp_path: Path) -> None:
    content_dir = copy_of_content(tmp_path)
    page = content_dir / "pages" / "en" / "browsing-safely.md"
    text = page.read_text(encoding="utf-8")
    head, _, body = text.partition("sources:")
    page.write_text(head + "sources: none\n---" + body.split("\n---", 1)[1], encoding="utf-8")

    assert problems_of(content_dir, "en/browsing-safely.md") == []
    assert load_content(content_dir).pages[("en", "browsing-safely")].sources == []


@pytest.mark.parametrize("slug", NEW_TOPICS)
def test_every_new_topic_is_in_every_language_with_its_sources(slug: str) -> None:
    english = CONTENT.pages[("en", slug)]

    assert english.sources and all(source.url for source in english.sources)
    assert slug in CONTENT.topic_slugs
    for lang in LANGUAGES:
        page = CONTENT.pages[(lang, slug)]
        assert page.sources == english.sources, lang
        assert page.headings[-1].startswith("h2 "), lang  # ends with "what you can do next"
    assert reading_grade(english.markdown) <= READING_GRADE_TARGET


def test_every_english_page_stays_at_reading_grade_six_or_below() -> None:
    for slug in CONTENT.page_slugs:
        page = CONTENT.pages[("en", slug)]
        if page.markdown.strip():
            assert reading_grade(page.markdown) <= READING_GRADE_TARGET, slug


def test_the_card_says_most_young_people_do_not_carry_with_its_source(
    public_client: TestClient,
) -> None:
    card = CONTENT.pages[("en", "card")]

    html = public_client.get("/en/").text

    assert "Most young people do not carry." in html
    assert any("Youth Endowment Fund" in source.title for source in card.sources)


def test_an_unchecked_translation_says_so_in_its_language_and_links_to_english(
    public_client: TestClient,
) -> None:
    assert not CONTENT.pages[("ur", "grief-and-shock")].reviewed

    html = public_client.get("/ur/grief-and-shock").text

    assert '<p class="note">' in html
    assert '<a href="/en/grief-and-shock">انگریزی صفحہ پڑھیں</a>' in html


def test_the_notice_on_the_card_links_to_the_english_card(public_client: TestClient) -> None:
    html = public_client.get("/pl/").text

    assert '<a href="/en/">Przeczytaj stronę po angielsku</a>' in html


def test_the_notice_disappears_once_the_translation_is_checked(tmp_path: Path) -> None:
    content_dir = copy_of_content(tmp_path)
    page = content_dir / "pages" / "ur" / "grief-and-shock.md"
    replace_in(page, "reviewed: false", "reviewed: true")

    with TestClient(create_app(make_settings(tmp_path, content_dir=content_dir))) as client:
        checked = client.get("/ur/grief-and-shock").text
        unchecked = client.get("/ur/threats-online").text

    assert "انگریزی صفحہ پڑھیں" not in checked
    assert '<p class="note">' not in checked
    assert '<a href="/en/threats-online">انگریزی صفحہ پڑھیں</a>' in unchecked
