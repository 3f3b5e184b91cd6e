"""Landing on the card from a printed code, choosing a language, health checks, not-found pages."""

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from app.callbacks.form import form_token
from app.database import make_engine
from app.main import create_app
from tests.app_context import context, fastapi_app, use_engine
from tests.helpers import PageParts


@pytest.mark.parametrize("code", ["abc123", "RETIRED-2019", "x" * 200, "%E2%9C%93", "..", "0"])
def test_any_printed_code_lands_on_the_card(public_client: TestClient, code: str) -> None:
    response = public_client.get(f"/c/{code}")

    assert response.status_code == 302
    assert response.headers["location"] == "/en/"
    assert public_client.get(response.headers["location"]).status_code == 200


def test_the_home_page_sends_the_reader_to_the_card_in_their_language(
    public_client: TestClient,
) -> None:
    response = public_client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert response.status_code == 302
    assert response.headers["location"] == "/en/"
    assert "Accept-Language" in response.headers["vary"]
    assert response.headers["cache-control"] == "no-store"


def test_a_language_without_its_slash_is_redirected_to_the_card(public_client: TestClient) -> None:
    response = public_client.get("/en")

    assert response.status_code == 301
    assert response.headers["location"] == "/en/"


@pytest.mark.parametrize("path", ["/en/no-such-topic", "/nowhere", "/en/the-law/extra", "/xx"])
def test_a_missing_page_is_a_friendly_404_that_still_offers_help(
    public_client: TestClient, path: str
) -> None:
    response = public_client.get(path)

    assert response.status_code == 404
    page = PageParts(response.text)
    hrefs = [a.get("href") for a in page.all("a")]
    assert "tel:999" in hrefs
    assert "/en/" in hrefs
    assert len(page.all("h1")) == 1


def test_health_checks_report_the_process_and_the_database(public_client: TestClient) -> None:
    assert public_client.get("/healthz").text == "ok"
    assert public_client.get("/readyz").status_code == 200


def test_readiness_fails_when_the_database_cannot_be_reached(client: TestClient) -> None:
    use_engine(fastapi_app(client), make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert client.get("/healthz").status_code == 200


def test_posting_to_a_card_page_does_not_serve_the_page(client: TestClient) -> None:
    response = client.post("/en/", data={"a": "b"})

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_the_app_builds_from_settings_alone(settings: object) -> None:
    assert create_app(settings) is not None  # type: ignore[arg-type]


def test_when_the_database_is_down_the_card_still_works_and_forms_say_what_to_do(
    client: TestClient,
) -> None:
    use_engine(fastapi_app(client), make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))

    card = client.get("/en/")
    topic = client.get("/ur/the-law")
    ready = client.get("/readyz")
    directory = client.get("/en/help")
    secret = context(client).keys.hash_secret
    answers = {"phone": "07700 900982", "best_time": "any", "text_ok": "no", "say_who": "no"}
    started = form_token(secret, time.time() - 30)
    form = client.post("/en/callback", data={**answers, "started": started})
    api = client.get("/api/v1/services")

    assert card.status_code == 200 and topic.status_code == 200
    assert ready.status_code == 503
    for response in (directory, form):
        assert response.status_code == 503
        assert "try again" in response.text.lower()
        assert 'href="tel:08001111"' in response.text or "0800 1111" in response.text
        assert "Traceback" not in response.text
    assert api.status_code == 503 and api.json()["detail"]


def test_when_every_database_connection_is_busy_pages_say_try_again(client: TestClient) -> None:
    busy = create_engine(context(client).engine.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    use_engine(fastapi_app(client), busy)

    with busy.connect():  # the only connection, held by someone else
        directory = client.get("/en/help?area=LU1")
        api = client.get("/api/v1/services?per_page=3")

    assert directory.status_code == 503
    assert "try again" in directory.text.lower()
    assert "Traceback" not in directory.text
    assert api.status_code == 503 and api.json()["detail"]
