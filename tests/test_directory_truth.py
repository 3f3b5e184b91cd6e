"""A help directory that tells the truth: only confirmed listings, each with a way in; hours worded
for lines or places; areas that mean something, on the pages and in the API; the problem report
behind a question; labelled need tags; the youth team listed; untranslated listings said so."""

import uuid
from collections.abc import Iterator
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.main import create_app
from app.models import Location, Service, ServiceAtLocation
from app.settings import Settings
from tests.app_context import set_clock
from tests.factories import EVERY_DAY, load_needs, load_shipped_listings, make_service
from tests.helpers import PageParts
from tests.oruk_rows import add_location

LONDON = ZoneInfo("Europe/London")
TWO_AM_THURSDAY = datetime(2026, 11, 26, 2, 0, tzinfo=LONDON)
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=LONDON)
YOUTH_TEAM = "90136b46-779e-49f3-aefc-bfcd93df32de"
WAYS_IN = ('href="tel:', 'href="sms:', 'href="https://', 'href="mailto:', 'href="/en/callback"')


@pytest.fixture
def db(migrated_engine: Engine) -> Iterator[Session]:
    with Session(migrated_engine) as session:
        load_needs(session)
        yield session


@pytest.fixture
def at_noon(client: TestClient) -> TestClient:
    set_clock(client, lambda: WEDNESDAY_NOON)
    return client


def names_on(html: str) -> list[str]:
    """The listings on a directory page, top to bottom."""
    links = [a for a in PageParts(html).all("a") if a.get("href", "").count("/") == 3]
    ids = [a["href"] for a in links if a["href"].startswith("/en/help/")]
    return [html.split(f'href="{href}"', 1)[1].split(">", 1)[1].split("<", 1)[0] for href in ids]


def listing_item(html: str, name: str) -> str:
    """The directory's list item for one listing."""
    start = html.index(f">{name}</a></h3>")
    return html[start : html.index("</li>", start)]


def test_a_young_person_in_lu4_pressured_at_2am_sees_only_help_they_can_reach_now(
    client: TestClient, db: Session
) -> None:
    load_shipped_listings(db)
    make_service(db, "LU4 night line", needs=["pressured"], areas=["LU4"], hours=[
        (EVERY_DAY, time(0), time(0))
    ])  # fmt: skip
    make_service(db, "LU4 day club", needs=["pressured"], areas=["LU4"], hours=[
        ("MO,TU,WE,TH,FR", time(9), time(17))
    ])  # fmt: skip
    make_service(db, "LU2 night line", needs=["pressured"], areas=["LU2"], hours=[
        (EVERY_DAY, time(0), time(0))
    ])  # fmt: skip
    set_clock(client, lambda: TWO_AM_THURSDAY)

    response = client.get("/en/help?need=pressured&area=LU4&open=1")

    assert response.status_code == 200
    html = response.text
    # The local line first under the area's heading, then the national line that answers now.
    assert names_on(html) == ["LU4 night line", "Emergency services"]
    assert html.index("Services that cover LU4") < html.index("LU4 night line")
    assert html.index("LU4 night line") < html.index("Services not just for one area")
    assert html.index("Services not just for one area") < html.index(">Emergency services<")
    for name in names_on(html):
        item = listing_item(html, name)
        assert "Open now. Lines open day and night" in item
        assert any(way in item for way in WAYS_IN), name


def test_without_open_now_national_lines_with_unknown_hours_show_but_no_unconfirmed_listing(
    client: TestClient, db: Session
) -> None:
    load_shipped_listings(db)
    set_clock(client, lambda: TWO_AM_THURSDAY)

    html = client.get("/en/help?need=pressured&area=LU4").text

    shown = names_on(html)
    assert {"Childline", "Fearless", "Missing People", "Youth team"} <= set(shown)
    assert "At10tive Social Enterprise" not in shown
    unconfirmed = db.exec(select(Service).where(col(Service.verified).is_(False))).all()
    assert unconfirmed
    for service in unconfirmed:
        assert service.name not in html
        assert client.get(f"/en/help/{service.id}").status_code == 404
        assert client.get(f"/api/v1/services/{service.id}").status_code == 404
    # A phone line whose hours are not in content never says "check before you go".
    assert "check before you go" not in html
    for name in shown:
        assert any(way in listing_item(html, name) for way in WAYS_IN), name


def test_shipped_local_organisations_are_not_tagged_with_needs_they_do_not_serve(
    db: Session,
) -> None:
    load_shipped_listings(db)
    local = db.exec(select(Service).where(col(Service.verified).is_(False))).all()

    needs = {service.name: {a.taxonomy_term.code for a in service.attributes} for service in local}

    assert needs["At10tive Social Enterprise"] == set()
    assert needs["Strong Soul Fitness"] == set()
    assert all("pressured" not in codes for codes in needs.values())


def test_every_shipped_day_and_night_line_is_open_at_2am_and_says_day_and_night(
    client: TestClient, db: Session
) -> None:
    load_shipped_listings(db)
    set_clock(client, lambda: TWO_AM_THURSDAY)

    html = client.get("/en/help?open=1").text

    assert set(names_on(html)) == {"Emergency services", "Samaritans", "Shout", "Victim Support"}
    assert html.count("Open now. Lines open day and night") == 4
    samaritans = db.exec(select(Service).where(Service.name == "Samaritans")).one()
    page = client.get(f"/en/help/{samaritans.id}").text
    assert "When the lines are open" in page and "Every day: Day and night" in page


def test_an_unknown_or_invalid_area_is_a_clear_error(at_noon: TestClient, db: Session) -> None:
    unknown = at_noon.get("/en/help?area=ZZ9")
    invalid = at_noon.get("/en/help?area=nowhere")

    assert unknown.status_code == 400
    assert "ZZ9 is not a UK postcode area. Check the first part of your postcode" in unknown.text
    assert invalid.status_code == 400
    assert "Enter the first part of a postcode, like LU1" in invalid.text


def test_the_area_field_says_what_it_does(at_noon: TestClient, db: Session) -> None:
    html = at_noon.get("/en/help").text

    assert "We show services near you first, then services that are not just for one area" in html


def test_the_api_postcode_filter_keeps_national_services_and_local_ones_covering_it(
    client: TestClient, db: Session
) -> None:
    make_service(db, "National line")
    make_service(db, "LU4 club", areas=["LU4"])
    make_service(db, "LU2 club", areas=["LU2"])
    make_service(db, "Unconfirmed LU4 club", areas=["LU4"], verified=False)

    def names(query: str) -> set[str]:
        body = client.get(f"/api/v1/services{query}").json()
        return {item["name"] for item in body["contents"]}

    assert names("?postcode=lu4%202ab") == {"National line", "LU4 club"}
    assert names("?postcode=LU2") == {"National line", "LU2 club"}
    assert names("") == {"National line", "LU4 club", "LU2 club"}
    refused = client.get("/api/v1/services?postcode=ZZ9")
    assert refused.status_code == 400
    assert "postcode" in refused.json()["detail"]


def test_hours_are_worded_for_a_place_and_unknown_hours_matter_only_for_a_place(
    at_noon: TestClient, db: Session
) -> None:
    centre = make_service(db, "Drop-in centre", phones=[], hours=[("WE", time(9), time(17))])
    add_location(db, centre)
    unknown = make_service(db, "Walk-in café", phones=[])
    add_location(db, unknown)
    line = make_service(db, "Help line")
    db.commit()

    centre_page = at_noon.get(f"/en/help/{centre.id}").text
    unknown_page = at_noon.get(f"/en/help/{unknown.id}").text
    line_page = at_noon.get(f"/en/help/{line.id}").text

    assert "Open now, until 17:00" in centre_page and "Opening hours</h2>" in centre_page
    assert "Opening hours not confirmed: check before you go" in unknown_page
    assert "not confirmed" not in line_page and "check before you go" not in line_page


def test_an_address_has_a_plain_directions_link_and_no_map_or_third_party_request(
    at_noon: TestClient, db: Session
) -> None:
    service = make_service(db, "Youth centre")
    add_location(db, service)

    html = at_noon.get(f"/en/help/{service.id}").text

    assert "1 High Street, Luton, LU1 2AA" in html
    directions = [
        a
        for a in PageParts(html).all("a")
        if a.get("href", "").startswith("https://www.openstreetmap.org/")
    ]
    assert len(directions) == 1
    assert directions[0]["href"].endswith("query=1+High+Street%2C+Luton%2C+LU1+2AA")
    assert "Get directions" in html
    for tag in ("iframe", "img", "script"):
        assert all("openstreetmap" not in str(item) for item in PageParts(html).all(tag))


def test_a_hidden_address_is_never_shown_on_the_page_or_in_the_api(
    at_noon: TestClient, db: Session
) -> None:
    service = make_service(db, "Refuge")
    link_id = add_location(db, service)
    link = db.get(ServiceAtLocation, uuid.UUID(link_id))
    assert link is not None
    location = db.get(Location, link.location_id)
    assert location is not None
    location.address_hidden = True
    db.add(location)
    db.commit()

    page = at_noon.get(f"/en/help/{service.id}").text
    full = at_noon.get(f"/api/v1/services/{service.id}").text
    links = at_noon.get("/api/v1/service_at_locations").json()

    assert "The address is not shown, to keep the people who use this service safe." in page
    for text in (page, full):
        assert "High Street" not in text and "LU1 2AA" not in text
    assert links["total_items"] == 0
    assert at_noon.get(f"/api/v1/service_at_locations/{link_id}").status_code == 404


def test_every_way_to_reach_a_service_is_on_its_listing(at_noon: TestClient, db: Session) -> None:
    service = make_service(db, "Everything line", phones=[("0800 000 0000", "voice"), (
        "07700 900123", "sms"
    )])  # fmt: skip
    service.chat_url = "https://example.org/chat"
    service.email = "help@example.org"
    service.cost = "free"
    service.accessibility = "Step-free entrance"
    db.add(service)
    db.commit()

    html = at_noon.get(f"/en/help/{service.id}").text

    hrefs = {a.get("href") for a in PageParts(html).all("a")}
    assert {
        "tel:08000000000",
        "sms:07700900123",
        "https://example.org/chat",
        "https://example.org/help",
        "mailto:help@example.org",
    } <= hrefs
    assert "Chat online" in html and "Languages:" not in html
    assert "Free" in html and "Step-free entrance" in html


def test_reporting_a_problem_sits_behind_a_question_with_fixed_choices(
    at_noon: TestClient, db: Session
) -> None:
    service = make_service(db, "Help line")

    html = at_noon.get(f"/en/help/{service.id}").text
    sent = at_noon.post(
        f"/en/help/{service.id}/report", data={"kind": "closed"}, follow_redirects=False
    )

    details = html[html.index("<details") : html.index("</details>")]
    assert "<summary>Something wrong with this listing?</summary>" in details
    assert " open" not in details.split(">", 1)[0]  # closed until the reader opens it
    kinds = [
        item["value"] for item in PageParts(details).all("input") if item.get("type") == "radio"
    ]
    assert kinds == ["wrong-phone", "closed", "wrong-hours", "other"]
    assert "Report a problem" not in html
    assert sent.status_code == 303  # the note is optional


def test_need_tags_read_as_labelled_links(at_noon: TestClient, db: Session) -> None:
    service = make_service(db, "Help line", needs=["pressured", "carry-for-protection"])

    html = at_noon.get(f"/en/help/{service.id}").text

    tags = html[html.index('<p class="tags">') :].split("</p>", 1)[0]
    assert tags.startswith('<p class="tags">Help with:')
    assert 'href="/en/help?need=pressured">Someone is pressuring me</a>' in tags
    assert 'href="/en/help?need=carry-for-protection">I carry for protection</a>' in tags


def test_the_youth_team_is_listed_with_the_callback_link_and_no_text_keyword_without_twilio(
    client: TestClient, db: Session
) -> None:
    load_shipped_listings(db)
    set_clock(client, lambda: WEDNESDAY_NOON)

    english = client.get(f"/en/help/{YOUTH_TEAM}").text
    polish = client.get(f"/pl/help/{YOUTH_TEAM}").text
    assert 'href="/en/callback"' in english and 'href="/pl/callback"' in polish
    assert "sms:" not in english.split("<main", 1)[1]  # console texts reach nobody


def test_the_youth_team_offers_its_text_keyword_in_the_readers_language_with_twilio(
    settings: Settings, db: Session
) -> None:
    twilio = settings.model_copy(
        update={
            "sms_backend": "twilio",
            "twilio_account_sid": "AC" + "0" * 32,
            "twilio_auth_token": "token",
            "twilio_from_number": "+447700900123",
        }
    )
    load_shipped_listings(db)
    with TestClient(create_app(twilio), follow_redirects=False) as client:
        set_clock(client, lambda: WEDNESDAY_NOON)
        english = client.get(f"/en/help/{YOUTH_TEAM}").text
        polish = client.get(f"/pl/help/{YOUTH_TEAM}").text

    assert 'href="sms:+447700900123?&amp;body=HELP"' in english
    assert "Text HELP to" in english and "07700 900123" in english
    assert "body=POMOC" in polish


def test_a_listing_not_translated_says_once_in_the_readers_language_that_it_is_in_english(
    at_noon: TestClient, db: Session
) -> None:
    untranslated = make_service(db, "Youth club")
    translated = make_service(db, "Helpline", translations={"pl": ("Telefon", "Pomoc.")})
    for row in translated.translations:
        row.description = "Pomagamy młodym ludziom."
        db.add(row)
    db.commit()

    polish = at_noon.get(f"/pl/help/{untranslated.id}").text
    polish_translated = at_noon.get(f"/pl/help/{translated.id}").text
    english = at_noon.get(f"/en/help/{untranslated.id}").text

    assert polish.count("Ten wpis jest po angielsku.") == 1
    assert "Ten wpis jest po angielsku." not in polish_translated
    assert "This listing is in English." not in english
