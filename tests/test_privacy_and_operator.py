"""Who runs it and the privacy notice: the operator from content/site.yaml on every public page,
the notice in every language stating the retention settings, and content-check on both."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.pages import build_site
from tests.conftest import make_settings
from tests.helpers import CONTENT, LANGUAGES, PUBLIC_PAGES, PageParts
from tests.test_content_check import copy_of_content, run_check

# The cookie line in each language's privacy notice, as its translator wrote it.
NO_COOKIES = {
    "en": "This site uses no cookies.",
    "ur": "یہ ویب سائٹ کوئی کوکیز استعمال نہیں کرتی۔",
    "pl": "Ta strona nie używa plików cookie.",
    "ro": "Acest site nu folosește cookie-uri.",
    "bn": "এই সাইট কোনো কুকি ব্যবহার করে না।",
    "pa": "ਇਹ ਸਾਈਟ ਕੋਈ ਕੂਕੀਜ਼ ਨਹੀਂ ਵਰਤਦੀ।",
    "ar": "لا يستخدم هذا الموقع ملفات تعريف الارتباط (الكوكيز).",
    "pt": "Este site não usa cookies.",
}


@pytest.fixture(scope="module")
def notices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The privacy notice in every language, rendered for an install keeping 17 and 45 days."""
    settings = make_settings(
        tmp_path_factory.mktemp("privacy"), retention_closed_days=17, retention_open_days=45
    )
    site = build_site(CONTENT, settings)
    return {lang: site.responses[f"/{lang}/privacy"].identity.decode() for lang in LANGUAGES}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_privacy_notice_names_the_operator_the_retention_days_and_no_cookies(
    notices: dict[str, str], lang: str
) -> None:
    text = " ".join(PageParts(notices[lang]).text)
    links = [a.get("href") for a in PageParts(notices[lang]).all("a")]

    assert "Example council" in text
    assert "mailto:youth.services@example.org" in links
    assert "mailto:dpo@example.org" in links
    assert "tel:02079460000" in links
    assert " 17 " in text and " 45 " in text  # the settings, not the defaults (30 and 90)
    assert "{retention" not in text
    assert NO_COOKIES[lang] in text
    assert "https://ico.org.uk/make-a-complaint/" in links


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_privacy_notice_is_served_in_every_language(
    public_client: TestClient, lang: str
) -> None:
    response = public_client.get(f"/{lang}/privacy")

    assert response.status_code == 200
    page = PageParts(response.text)
    assert page.first("html")["lang"] == lang
    assert len(page.all("h1")) == 1


def test_the_privacy_notice_is_not_a_topic_on_the_card() -> None:
    assert "privacy" not in CONTENT.topic_slugs


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_shows_who_runs_it_and_links_to_both_statements(
    public_client: TestClient, path: str
) -> None:
    lang = path.split("/")[1]
    page = PageParts(public_client.get(path).text)

    links = [a.get("href") for a in page.all("a")]
    assert f"/{lang}/privacy" in links
    assert "Example council" in "".join(page.text)
    header = PageParts(public_client.get(path).text.split("</header>")[0])
    logo = header.first("img")
    assert logo["alt"] == "Example council"
    assert public_client.get(logo["src"]).headers["content-type"] == "image/svg+xml"
    assert f"/{lang}/accessibility" in links


def test_the_footer_says_run_by_in_the_readers_language(public_client: TestClient) -> None:
    english = public_client.get("/en/").text
    polish = public_client.get("/pl/").text

    assert "Run by <bdi>Example council</bdi>." in english
    assert "Prowadzi: <bdi>Example council</bdi>." in polish
    assert ">Informacja o prywatności</a>" in polish


# --- content-check on site.yaml and the privacy notice ---


def test_a_logo_that_is_not_an_svg_image_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    content_dir = copy_of_content(tmp_path)
    (content_dir / "operator-logo.svg").write_text("not a picture", encoding="utf-8")

    code, output = run_check(content_dir, monkeypatch, capsys)

    assert code == 1
    assert "is not an SVG image" in output


def test_content_check_says_when_the_operator_is_still_the_demo(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_check(CONTENT.directory, monkeypatch, capsys)

    assert code == 0
    assert "Run by: Example council (the shipped demo: fill in content/site.yaml)" in output
