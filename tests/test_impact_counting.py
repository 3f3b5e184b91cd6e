"""Counting public use for the impact report: each counter, who is not counted, adding counts to
the database, a clean stop of the app, and that nothing personal is stored to make the report."""

import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect
from sqlmodel import Session, select

from app.directory.search import find_service, london_day
from app.impact.tally import Tally, flush
from app.main import create_app
from app.models import ScanCount, Service, UsageCount
from app.settings import Settings
from tests.app_context import context
from tests.card_helpers import PHONE, add_batch
from tests.factories import load_shipped_listings

DAY = date(2026, 11, 30)
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
WHATSAPP = "WhatsApp/2.23.20.0 A"


def stored(engine: Engine) -> dict[tuple[str, str, str], int]:
    with Session(engine) as db:
        rows = db.exec(select(UsageCount)).all()
        return {(row.kind, row.subject, row.detail): row.count for row in rows}


def counted(client: TestClient) -> dict[tuple[str, str, str], int]:
    """Store what the app counted so far (as its background flush does), then read it back."""
    flush(context(client).tally, context(client).engine)
    return stored(context(client).engine)


@pytest.fixture
def app_client(client: TestClient) -> TestClient:
    context(client).tally.today = lambda: DAY
    return client


def test_a_card_page_read_on_a_phone_counts_once_by_page_and_language(
    app_client: TestClient,
) -> None:
    for path in ("/en/", "/en/", "/pl/", "/en/the-law"):
        assert app_client.get(path, headers={"User-Agent": PHONE}).status_code == 200

    assert counted(app_client) == {
        ("page", "card", "en"): 2,
        ("page", "card", "pl"): 1,
        ("page", "the-law", "en"): 1,
    }


def test_a_page_the_phone_already_has_still_counts_as_read(app_client: TestClient) -> None:
    first = app_client.get("/en/privacy", headers={"User-Agent": PHONE})
    again = app_client.get(
        "/en/privacy", headers={"User-Agent": PHONE, "If-None-Match": first.headers["etag"]}
    )

    assert again.status_code == 304
    assert counted(app_client) == {("page", "privacy", "en"): 2}


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("HEAD", {"User-Agent": PHONE}),
        ("GET", {"User-Agent": BOT}),
        ("GET", {"User-Agent": WHATSAPP}),
        ("GET", {}),
        ("GET", {"User-Agent": PHONE, "Sec-Purpose": "prefetch;prerender"}),
        ("GET", {"User-Agent": PHONE, "Purpose": "prefetch"}),
        ("GET", {"User-Agent": PHONE, "X-Purpose": "preview"}),
    ],
)
def test_robots_prefetches_and_head_requests_are_not_counted_anywhere(
    app_client: TestClient, method: str, headers: dict[str, str]
) -> None:
    listing = listing_id(app_client)
    headers = {"User-Agent": "", **headers}  # the test client's own agent would be a robot's
    for path in ("/en/", "/en/help?need=pressured&area=LU1", f"/en/help/{listing}"):
        answer = app_client.request(method, path, headers=headers)
        assert answer.status_code in (200, 405), path  # the directory answers GET only

    assert counted(app_client) == {}


def listing_id(client: TestClient) -> str:
    """A listing the public can open, from the shipped ones."""
    with Session(context(client).engine) as db:
        if db.exec(select(Service)).first() is None:
            load_shipped_listings(db)
        today = london_day(context(client).clock())
        services = db.exec(select(Service)).all()
        shown = [s for s in services if find_service(db, s.id, today) is not None]
        return str(shown[0].id)


def test_a_directory_search_counts_by_need_and_area_and_never_what_was_typed(
    app_client: TestClient,
) -> None:
    with Session(context(app_client).engine) as db:
        load_shipped_listings(db)
    searches = [
        "/en/help?need=pressured&area=lu1 2ab",
        "/en/help?need=pressured&area=LU1",
        "/en/help?need=my-secret&area=ZZ99",  # not our need, not a real district
        "/en/help",
        "/en/help?need=pressured&area=LU1&page=2",  # the next page of the same search
    ]
    for path in searches:
        app_client.get(path, headers={"User-Agent": PHONE})

    assert counted(app_client) == {
        ("search", "pressured", "LU1"): 2,
        ("search", "any", "any"): 2,
    }


def test_opening_a_listing_counts_it_by_its_id_and_language(app_client: TestClient) -> None:
    service = listing_id(app_client)
    app_client.get(f"/ur/help/{service.upper()}", headers={"User-Agent": PHONE})
    app_client.get(f"/ur/help/{service}", headers={"User-Agent": PHONE})
    missing = app_client.get(f"/en/help/{uuid.uuid4()}", headers={"User-Agent": PHONE})

    assert missing.status_code == 404
    assert counted(app_client) == {("listing", service, "ur"): 2}


def test_counts_are_added_to_what_is_stored_and_several_tallies_add_up(
    migrated_engine: Engine,
) -> None:
    first, second = Tally(lambda: DAY), Tally(lambda: DAY)
    for _ in range(3):
        first.add("page", "card", "en")
    second.add("page", "card", "en")
    second.add("page", "card", "ar")

    assert flush(first, migrated_engine) == 3
    assert flush(second, migrated_engine) == 2
    first.add("page", "card", "en")
    assert flush(first, migrated_engine) == 1
    assert flush(first, migrated_engine) == 0  # nothing twice

    assert stored(migrated_engine) == {("page", "card", "en"): 5, ("page", "card", "ar"): 1}


def test_counts_wait_in_memory_when_the_database_cannot_take_them(
    migrated_engine: Engine, settings: Settings
) -> None:
    from app.database import make_engine

    tally = Tally(lambda: DAY)
    tally.add("page", "card", "en")
    broken = make_engine("sqlite:////nonexistent-directory/impact.db")

    assert flush(tally, broken) == 0
    assert tally.pending() == 1
    assert flush(tally, migrated_engine) == 1
    assert stored(migrated_engine) == {("page", "card", "en"): 1}


def test_a_normal_stop_of_the_app_stores_every_count_it_still_held(
    settings: Settings, migrated_engine: Engine
) -> None:
    slow = settings.model_copy(update={"impact_flush_seconds": 3600})
    with TestClient(create_app(slow)) as client:
        context(client).tally.today = lambda: DAY
        for _ in range(7):
            client.get("/en/", headers={"User-Agent": PHONE})
        assert stored(migrated_engine) == {}  # not yet: the next flush is an hour away

    assert stored(migrated_engine) == {("page", "card", "en"): 7}


def test_nothing_personal_is_stored_to_make_the_report(
    app_client: TestClient, migrated_engine: Engine
) -> None:
    """A visit with a distinctive browser, address, cookie and typed search leaves only counts."""
    code = add_batch(app_client).code
    service = listing_id(app_client)
    agent = PHONE + " UniqueDevice/4242"
    headers = {"User-Agent": agent, "X-Forwarded-For": "203.0.113.77", "Cookie": "id=tracker99"}
    for path in (
        f"/c/{code}",
        "/en/",
        "/en/help?need=pressured&area=LU1+9XY&age=15&q=Sam+Smith",
        f"/en/help/{service}",
    ):
        app_client.get(path, headers=headers)
    counted(app_client)

    columns = {column["name"] for column in inspect(migrated_engine).get_columns("usage_count")}
    assert columns == {"day", "kind", "subject", "detail", "count"}
    with Session(migrated_engine) as db:
        usage = [row.model_dump() for row in db.exec(select(UsageCount)).all()]
        scans = [row.model_dump() for row in db.exec(select(ScanCount)).all()]
    text = repr(usage + scans)
    for personal in ("UniqueDevice", "203.0.113", "tracker99", "9XY", "Sam", "15"):
        assert personal not in text, personal
    assert {(row["kind"], row["subject"], row["detail"]) for row in usage} == {
        ("page", "card", "en"),
        ("search", "pressured", "LU1"),
        ("listing", service, "en"),
    }
    assert [(row["bucket"], row["scans"]) for row in scans] == [(code, 1)]
