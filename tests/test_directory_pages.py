"""The public help directory: filters, order, listings in the reader's language, problem reports."""

import time as time_module
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func
from sqlmodel import Session, col, select

from app.directory.revision import bump_directory_revision
from app.main import create_app
from app.models import ProblemReport, Service
from app.settings import Settings
from tests.app_context import context, set_clock
from tests.factories import EVERY_DAY, load_needs, load_shipped_listings, make_service
from tests.helpers import PageParts, made_by_the_request

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def db(migrated_engine: Engine) -> Iterator[Session]:
    with Session(migrated_engine) as session:
        load_needs(session)
        yield session


@pytest.fixture
def directory(client: TestClient, db: Session) -> TestClient:
    set_clock(client, lambda: WEDNESDAY_NOON)
    return client


def names_on(response_text: str) -> list[str]:
    page = PageParts(response_text)
    hrefs = [a.get("href", "") for a in page.all("a")]
    text = response_text
    return [
        text.split(f'href="{href}"', 1)[1].split(">", 1)[1].split("<", 1)[0]
        for href in hrefs
        if href.startswith("/en/help/") and href.count("/") == 3
    ]


def test_the_directory_lists_services_that_can_help_now_first(
    directory: TestClient, db: Session
) -> None:
    make_service(db, "Unknown hours")
    make_service(db, "Opens later", hours=[("WE", time(18), time(20))])
    make_service(db, "Open all the time", hours=[(EVERY_DAY, time(0), time(0))])
    make_service(db, "Open this afternoon", hours=[("WE", time(9), time(17))])
    make_service(db, "Not confirmed", verified=False)

    response = directory.get("/en/help")

    assert response.status_code == 200
    assert names_on(response.text) == [
        "Open all the time",
        "Open this afternoon",
        "Opens later",
        "Unknown hours",
    ]
    # These are phone lines: their hours are the lines' hours.
    assert "Open now. Lines open until 17:00" in response.text
    assert "Lines closed now. Lines open today at 18:00" in response.text


def test_filters_by_need_area_age_and_open_now_combine(directory: TestClient, db: Session) -> None:
    make_service(db, "National line", needs=["pressured"])
    make_service(db, "LU1 club", needs=["pressured"], areas=["LU1"], minimum_age=11, maximum_age=18)
    make_service(db, "LU2 club", needs=["pressured"], areas=["LU2"])
    make_service(db, "Parents group", needs=["parents-and-carers"])
    make_service(db, "Open now line", needs=["pressured"], hours=[(EVERY_DAY, time(0), time(0))])

    def names(query: str) -> set[str]:
        return set(names_on(directory.get(f"/en/help?{query}").text))

    assert names("need=pressured") == {"National line", "LU1 club", "LU2 club", "Open now line"}
    assert names("need=pressured&area=lu1 2ab") == {"National line", "LU1 club", "Open now line"}
    assert names("need=pressured&area=LU1&age=25") == {"National line", "Open now line"}
    assert names("need=pressured&area=LU1&age=15&open=1") == {"Open now line"}
    assert names("need=parents-and-carers") == {"Parents group"}
    assert names("need=not-a-need") == names("")


def test_bad_filters_get_a_clear_error_and_still_show_help(
    directory: TestClient, db: Session
) -> None:
    make_service(db, "Still here")

    response = directory.get("/en/help?area=nowhere&age=old")

    assert response.status_code == 400
    page = PageParts(response.text)
    summary_links = [a["href"] for a in page.all("a") if a.get("href", "").startswith("#")]
    assert "#area" in summary_links and "#age" in summary_links
    assert "Enter the first part of a postcode, like LU1" in response.text
    assert "Enter your age as a number, like 15" in response.text
    assert response.text.count("<title>Error:") == 1
    assert "Still here" in response.text


def test_unpublished_and_archived_services_never_appear(directory: TestClient, db: Session) -> None:
    hidden = make_service(db, "Hidden", published=False)
    archived = make_service(db, "Archived", archived=True)
    make_service(db, "Shown")

    listed = names_on(directory.get("/en/help").text)

    assert listed == ["Shown"]
    assert directory.get(f"/en/help/{hidden.id}").status_code == 404
    assert directory.get(f"/en/help/{archived.id}").status_code == 404


def test_a_listing_shows_how_to_contact_when_open_and_when_checked(
    directory: TestClient, db: Session
) -> None:
    service = make_service(
        db,
        "Text and call line",
        phones=[("116 000", "voice"), ("116 000", "sms")],
        hours=[("MO,TU,WE,TH,FR", time(9), time(17))],
        minimum_age=11,
        maximum_age=25,
    )

    response = directory.get(f"/en/help/{service.id}")

    hrefs = [a.get("href") for a in PageParts(response.text).all("a")]
    assert "tel:116000" in hrefs and "sms:116000" in hrefs
    assert "Monday to Friday: 09:00 to 17:00" in response.text
    assert "Ages 11 to 25" in response.text
    assert "Details last checked 1 November 2026" in response.text


def test_an_unconfirmed_listing_is_not_shown_to_the_public(
    directory: TestClient, db: Session
) -> None:
    service = make_service(db, "Local club", verified=False)

    assert directory.get(f"/en/help/{service.id}").status_code == 404
    assert "Local club" not in directory.get("/en/help").text


def test_a_listing_in_another_language_falls_back_to_english_marked_as_english(
    directory: TestClient, db: Session
) -> None:
    translated = make_service(
        db, "Helpline", translations={"pl": ("Telefon zaufania", "Pomoc dla młodych.")}
    )
    untranslated = make_service(db, "Youth club", summary="A club for young people.")

    polish = directory.get(f"/pl/help/{translated.id}").text
    english = directory.get(f"/pl/help/{untranslated.id}").text

    assert "<h1>Telefon zaufania</h1>" in polish
    assert "Pomoc dla młodych." in polish
    assert '<h1 lang="en" dir="ltr">Youth club</h1>' in english
    assert '<p class="lead" lang="en" dir="ltr">A club for young people.</p>' in english


def test_a_problem_report_is_recorded_without_personal_data(
    directory: TestClient, db: Session
) -> None:
    service = make_service(db, "Wrong number line")

    response = directory.post(
        f"/en/help/{service.id}/report", data={"kind": "wrong-phone", "details": "Number rings out"}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/en/help/{service.id}?reported=1#report"
    assert "Thank you" in directory.get(response.headers["location"]).text
    report = db.exec(select(ProblemReport)).one()
    assert (report.service_id, report.kind, report.details) == (
        service.id,
        "wrong-phone",
        "Number rings out",
    )


def test_a_report_without_a_reason_is_refused_and_nothing_is_stored(
    directory: TestClient, db: Session
) -> None:
    service = make_service(db, "Line")

    response = directory.post(f"/en/help/{service.id}/report", data={"kind": "", "details": "x"})

    assert response.status_code == 400
    assert "Choose what is wrong" in response.text
    assert db.exec(select(func.count()).select_from(ProblemReport)).one() == 0


def test_reports_are_rate_limited(directory: TestClient, db: Session) -> None:
    service = make_service(db, "Line")
    statuses = [
        directory.post(f"/en/help/{service.id}/report", data={"kind": "other"}).status_code
        for _ in range(7)
    ]

    assert statuses == [303] * 5 + [429] * 2
    assert db.exec(select(func.count()).select_from(ProblemReport)).one() == 5


def test_the_card_and_topics_link_to_the_directory(public_client: TestClient) -> None:
    card_links = [a.get("href") for a in PageParts(public_client.get("/en/").text).all("a")]
    topic_links = [
        a.get("href") for a in PageParts(public_client.get("/en/feeling-unsafe").text).all("a")
    ]

    assert "/en/help" in card_links
    assert "/en/help?need=pressured" in topic_links


def test_every_shipped_listing_renders_in_every_language(
    directory: TestClient, db: Session
) -> None:
    load_shipped_listings(db)
    ids = db.exec(select(Service.id).where(col(Service.verified))).all()

    for lang in ("en", "ur", "pa"):
        assert directory.get(f"/{lang}/help").status_code == 200
        for service_id in ids:
            assert directory.get(f"/{lang}/help/{service_id}").status_code == 200


def count_queries(engine: Engine, client: TestClient, path: str) -> int:
    statements: list[str] = []

    def record(*args: object) -> None:
        if made_by_the_request(str(args[2]), args[3]):
            statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


class RevisionClock:
    """Stands in for the monotonic clock of an app's directory revision: tests move it on."""

    def __init__(self, client: TestClient) -> None:
        self.now = 1000.0
        tracker = context(client).directory_revision
        tracker.clock = lambda: self.now
        self.refresh_seconds: float = tracker.refresh_seconds

    def wait_for_refresh(self) -> None:
        self.now += self.refresh_seconds + 0.001


@pytest.fixture
def revision_clock(directory: TestClient) -> RevisionClock:
    return RevisionClock(directory)


def test_the_directory_uses_the_same_few_queries_for_5_or_5000_services(
    directory: TestClient, db: Session, revision_clock: RevisionClock
) -> None:
    from tests.factories import add_many_services

    app_engine = context(directory).engine
    path = "/en/help?need=pressured&area=LU1&age=15"
    add_many_services(db, 5)
    few = count_queries(app_engine, directory, path)
    add_many_services(db, 4995)
    revision_clock.wait_for_refresh()
    many = count_queries(app_engine, directory, path)

    assert few == many
    assert many <= 12
    assert len(names_on(directory.get(path).text)) == 20
    assert count_queries(app_engine, directory, path) == 0  # served from memory


def test_a_page_of_a_5000_listing_directory_shows_who_can_help_now_first(
    directory: TestClient, db: Session
) -> None:
    from tests.factories import add_many_services

    make_service(db, "Unknown hours", needs=["pressured"])
    make_service(db, "Closed today", needs=["pressured"], hours=[("TH", time(9), time(17))])
    make_service(
        db, "Open all the time", needs=["pressured"], hours=[(EVERY_DAY, time(0), time(0))]
    )
    add_many_services(db, 5000)  # all open 9 to 5 on weekdays: open now, on Wednesday at noon

    first = directory.get("/en/help?need=pressured&area=LU1")
    last = directory.get("/en/help?need=pressured&area=LU1&page=251")

    # Local services covering LU1 first, then the national ones, each group open now first.
    assert names_on(first.text)[:4] == ["Service 0", "Service 1", "Service 10", "Service 100"]
    assert names_on(last.text) == ["Open all the time", "Closed today", "Unknown hours"]
    assert "Lines closed now. Lines open tomorrow at 09:00" in last.text


def test_concurrent_requests_for_one_uncached_page_render_it_once(
    directory: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.routes import directory as directory_routes

    make_service(db, "Only line", needs=["pressured"])
    searches: list[str] = []
    real_find = directory_routes.find_services

    def slow_find(*args: Any, **kwargs: Any) -> Any:
        searches.append("search")
        time_module.sleep(0.3)  # a big directory: the other requests arrive meanwhile
        return real_find(*args, **kwargs)

    monkeypatch.setattr(directory_routes, "find_services", slow_find)
    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(lambda _: directory.get("/en/help?need=pressured"), range(16)))

    assert [response.status_code for response in responses] == [200] * 16
    assert all("Only line" in response.text for response in responses)
    assert searches == ["search"]
    assert context(directory).directory_cache.made == 1


def test_a_change_saved_on_this_instance_shows_at_once_and_on_another_within_the_interval(
    directory: TestClient, db: Session, settings: Settings, revision_clock: RevisionClock
) -> None:
    service = make_service(db, "Old name")
    assert "Old name" in directory.get("/en/help").text
    with TestClient(create_app(settings)) as other_instance:  # the same database
        assert "Old name" in other_instance.get("/en/help").text
        engine = context(other_instance).engine

        with Session(engine) as session:  # an editor saves on the other instance
            renamed = session.get(Service, service.id)
            assert renamed is not None
            renamed.name = "New name"
            bump_directory_revision(session)
            session.commit()

        assert "New name" in other_instance.get("/en/help").text
    assert "Old name" in directory.get("/en/help").text  # cached here, for up to a second
    revision_clock.wait_for_refresh()
    page = directory.get("/en/help").text
    assert "New name" in page and "Old name" not in page


def test_the_directory_page_is_sent_compressed_with_an_etag(
    directory: TestClient, db: Session
) -> None:
    make_service(db, "Line")

    first = directory.get("/en/help", headers={"Accept-Encoding": "gzip"})
    again = directory.get(
        "/en/help", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]}
    )

    assert first.headers["content-encoding"] == "gzip"
    assert again.status_code == 304
