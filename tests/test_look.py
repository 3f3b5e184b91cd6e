"""The home page, the statements and the offline worker, as the served bytes show them."""

import json
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.helpers import LANGUAGES, TOPICS, PageParts
from tests.test_content_check import copy_of_content, replace_in, run_check


def test_the_card_offers_the_text_keyword_only_when_texts_reach_the_service(
    tmp_path: Path, public_client: TestClient
) -> None:
    settings = make_settings(
        tmp_path,
        sms_backend="twilio",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="token",
        twilio_from_number="+447700900001",
    )
    with TestClient(create_app(settings)) as client:
        english = client.get("/en/").text
        polish = client.get("/pl/").text

    assert 'Or text <b dir="auto">HELP</b> to <a href="sms:+447700900001?&amp;body=HELP"' in english
    assert ">07700 900001</a>" in english
    assert '<b dir="auto">POMOC</b>' in polish
    assert "sms:+44" not in public_client.get("/en/").text  # console SMS: nothing to text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_accessibility_statement_names_who_runs_it_and_how_to_report_a_problem(
    public_client: TestClient, lang: str
) -> None:
    response = public_client.get(f"/{lang}/accessibility")
    page = PageParts(response.text)

    assert response.status_code == 200
    assert "<bdi>Example council</bdi>" in response.text
    links = [a.get("href") for a in page.all("a")]
    assert "mailto:youth.services@example.org" in links
    assert "https://www.equalityadvisoryservice.com/" in links
    assert "2.2 AA" in response.text and "{operator" not in response.text


def test_the_privacy_notice_says_no_cookies_are_used(public_client: TestClient) -> None:
    assert "This site uses no cookies." in public_client.get("/en/privacy").text


def test_each_language_has_its_own_offline_worker_keeping_only_its_public_pages(
    public_client: TestClient,
) -> None:
    response = public_client.get("/ur/sw.js")
    pages = json.loads(response.text.split("var PAGES = ", 1)[1].split(";\n", 1)[0])

    assert response.headers["content-security-policy"] == "default-src 'none'; connect-src 'self'"
    assert response.headers["cache-control"] == "no-cache"
    assert {"/ur/", "/ur/privacy", "/ur/accessibility"} <= set(pages)
    assert {f"/ur/{slug}" for slug in TOPICS} <= set(pages)
    assert not [path for path in pages if not path.startswith(("/ur/", "/static/"))]
    assert not [path for path in pages if "callback" in path or "/help" in path]
    assert public_client.get("/xx/sw.js").status_code == 404


def test_public_pages_allow_the_worker_and_manifest_from_this_site_only(
    public_client: TestClient,
) -> None:
    policy = public_client.get("/en/").headers["content-security-policy"]

    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy
    assert policy.startswith("default-src 'none'; script-src 'self';")
    manifest = public_client.get("/ar/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    assert manifest.json()["dir"] == "rtl" and manifest.json()["theme_color"] == "#1d70b8"


def test_urdu_interface_strings_end_with_the_urdu_full_stop() -> None:
    path = PROJECT_ROOT / "content/locales/ur/LC_MESSAGES/messages.po"
    with path.open("rb") as file:
        catalog = [message for message in read_po(file) if message.id]

    latin_stops = [m.id for m in catalog if str(m.string).rstrip().endswith(".")]
    assert latin_stops == []
    assert any(str(m.string).endswith("۔") for m in catalog)


def test_a_translation_texting_a_different_word_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    content_dir = copy_of_content(tmp_path)
    replace_in(content_dir / "pages/pl/help-now.md", "body: SHOUT", "body: POMOC")

    code, output = run_check(content_dir, monkeypatch, capsys)

    assert code == 1 and "text words or chat pages differ from English" in output


def test_the_accessibility_statement_is_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    content_dir = copy_of_content(tmp_path)
    (content_dir / "pages/en/accessibility.md").unlink()

    code, output = run_check(content_dir, monkeypatch, capsys)

    assert code == 1 and "accessibility.md: required page is missing" in output
