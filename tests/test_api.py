"""The Open Referral UK API: every response against the shared ORUK schemas, filters, pagination,
hidden listings, errors, CORS, ETags and the query budget."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.directory.revision import bump_directory_revision
from app.models import Service
from tests.factories import load_needs, load_shipped_listings, make_service
from tests.oruk_rows import add_everything, add_location, add_many_services, counted_statements
from tests.oruk_schemas import (
    LOCATION,
    SERVICE,
    SERVICE_AT_LOCATION,
    SERVICE_LIST_ITEM,
    TAXONOMY,
    TAXONOMY_TERM,
    assert_valid,
    assert_valid_page,
)

NEEDS_TAXONOMY = "9a0a9f9a-967a-411d-a434-f6e62e6f8b10"


@pytest.fixture
def db(migrated_engine: Engine) -> Iterator[Session]:
    with Session(migrated_engine) as session:
        load_needs(session)
        yield session


def term_id(client: TestClient, code: str) -> str:
    terms = client.get("/api/v1/taxonomy_terms").json()["contents"]
    return next(str(term["id"]) for term in terms if term["code"] == code)


# --- every response validates --------------------------------------------------------------------


def test_the_root_says_which_hsds_version_and_profile_and_where_the_openapi_document_is(
    public_client: TestClient,
) -> None:
    about = public_client.get("/api/v1/").json()

    assert about["version"] == "3.0"
    assert about["profile"].startswith("https://")
    assert about["openapi_url"].endswith("/api/v1/openapi.json")
    document = public_client.get("/api/v1/openapi.json").json()
    assert set(document["paths"]) >= {
        f"/api/v1{path}"
        for path in ["/", "/services", "/services/{id}", "/taxonomies", "/taxonomy_terms"]
    }
    assert "/api/v1/{path}" not in document["paths"]


def test_a_fully_nested_service_validates_against_the_oruk_service_schema(
    client: TestClient, db: Session
) -> None:
    service = add_everything(db)

    body = client.get(f"/api/v1/services/{service.id}").json()

    assert_valid(body, SERVICE)
    assert body["organization"]["name"] == "Street Doctors organisation"
    assert [phone["type"] for phone in body["contacts"][0]["phones"]] == ["voice", "text"]
    assert body["funding"] == [] and body["cost_options"] == []
    assert body["languages"][0]["code"] == "pl"
    assert body["attributes"][0]["taxonomy_term"]["taxonomy_id"] == NEEDS_TAXONOMY
    assert body["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "LU1 2AA"
    assert body["service_areas"][0]["extent"] == "LU1"
    hours = [
        (s["byday"], s["opens_at"], s["closes_at"], s["description"]) for s in body["schedules"]
    ]
    assert hours == [
        ("MO,TU,WE,TH,FR", "09:00:00", "17:30:00", "Open Monday to Friday, 9am to 5:30pm"),
        ("FR,SA", "22:00:00", "02:00:00", "Open Friday and Saturday, 10pm to 2am the next day"),
        ("SA", "00:00:00", "00:00:00", "Open 24 hours, Saturday"),
    ]
    assert datetime.fromisoformat(body["last_modified"]).tzinfo is not None
    assert body["assured_date"] == "2026-11-01"


def test_a_service_without_optional_details_leaves_them_out_rather_than_sending_null(
    client: TestClient, db: Session
) -> None:
    service = make_service(db, "Not confirmed yet", verified=False)

    body = client.get(f"/api/v1/services/{service.id}").json()

    assert_valid(body, SERVICE)
    assert None not in body.values()
    assert "assured_date" not in body and "minimum_age" not in body
    assert body["contacts"] == [] and body["schedules"] == []


def test_list_items_validate_against_service_list_and_the_envelope_against_the_page_schema(
    client: TestClient, db: Session
) -> None:
    add_everything(db)
    make_service(db, "Second service", verified=False)

    body = client.get("/api/v1/services").json()

    assert_valid_page(body, "/services")
    for item in body["contents"]:
        assert_valid(item, SERVICE_LIST_ITEM)
    assert body["total_items"] == 2
    assert "contacts" not in body["contents"][0]  # list items carry one-to-one fields only


def test_every_shipped_listing_validates_in_full_and_in_the_list(
    client: TestClient, db: Session
) -> None:
    load_shipped_listings(db)

    listing = client.get("/api/v1/services?per_page=100").json()

    assert_valid_page(listing, "/services")
    assert listing["total_items"] == len(listing["contents"]) > 0
    for item in listing["contents"]:
        assert_valid(item, SERVICE_LIST_ITEM)
        assert_valid(client.get(f"/api/v1/services/{item['id']}").json(), SERVICE)


def test_taxonomies_and_their_terms_validate_in_lists_and_by_id(
    client: TestClient, db: Session
) -> None:
    taxonomies = client.get("/api/v1/taxonomies").json()
    terms = client.get(f"/api/v1/taxonomy_terms?taxonomy_id={NEEDS_TAXONOMY}").json()

    assert_valid_page(taxonomies, "/taxonomies")
    assert_valid_page(terms, "/taxonomy_terms")
    assert [taxonomy["id"] for taxonomy in taxonomies["contents"]] == [NEEDS_TAXONOMY]
    assert terms["contents"][0]["code"] == "pressured"  # in the order of the needs file
    assert_valid(client.get(f"/api/v1/taxonomies/{NEEDS_TAXONOMY}").json(), TAXONOMY)
    one_term = client.get(f"/api/v1/taxonomy_terms/{terms['contents'][0]['id']}").json()
    assert_valid(one_term, TAXONOMY_TERM)
    assert one_term == terms["contents"][0]
    other = client.get(f"/api/v1/taxonomy_terms?taxonomy_id={uuid.uuid4()}").json()
    assert other["empty"] is True


def test_services_at_locations_validate_in_the_list_and_in_full(
    client: TestClient, db: Session
) -> None:
    service = add_everything(db)

    listing = client.get("/api/v1/service_at_locations").json()
    link_id = listing["contents"][0]["id"]
    full = client.get(f"/api/v1/service_at_locations/{link_id}").json()

    assert_valid_page(listing, "/service_at_locations")
    assert listing["contents"][0]["service"]["id"] == str(service.id)
    assert full["id"] == link_id and full["service_id"] == str(service.id)
    assert_valid(full, SERVICE_AT_LOCATION)
    assert_valid(full["service"], SERVICE)
    assert_valid(full["location"], LOCATION)
    assert full["location"]["addresses"][0]["city"] == "Luton"


# --- filters and pagination ----------------------------------------------------------------------


def names(client: TestClient, query: str) -> set[str]:
    response = client.get(f"/api/v1/services?{query}")
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["contents"]}


def test_search_finds_words_in_name_or_description_whatever_their_case(
    client: TestClient, db: Session
) -> None:
    make_service(db, "Knife Crime Line", summary="Talk it through.")
    mentoring = make_service(db, "Youth club", summary="Sport.")
    mentoring.description = "Weekly mentoring after school."
    db.add(mentoring)
    db.commit()

    assert names(client, "search=KNIFE") == {"Knife Crime Line"}
    assert names(client, "search=Mentoring") == {"Youth club"}
    assert names(client, "search=%25") == set()  # a literal %, not a wildcard
    assert names(client, "search=nothing+like+this") == set()


def test_need_filters_and_search_and_age_combine(client: TestClient, db: Session) -> None:
    make_service(db, "Pressure line", needs=["pressured"], minimum_age=11, maximum_age=18)
    make_service(db, "Pressure club", needs=["pressured", "low-or-unsafe"], minimum_age=18)
    make_service(db, "Low mood line", needs=["low-or-unsafe"])
    make_service(db, "No needs at all")
    pressured = term_id(client, "pressured")

    assert names(client, f"taxonomy_term_id={pressured}") == {"Pressure line", "Pressure club"}
    assert names(client, f"taxonomy_id={NEEDS_TAXONOMY}") == {
        "Pressure line",
        "Pressure club",
        "Low mood line",
    }
    assert names(client, f"taxonomy_id={uuid.uuid4()}") == set()
    assert names(client, f"taxonomy_term_id={pressured}&search=club") == {"Pressure club"}
    assert names(client, f"taxonomy_term_id={pressured}&minimum_age=20") == {"Pressure club"}
    assert names(client, f"taxonomy_id={NEEDS_TAXONOMY}&maximum_age=12&search=line") == {
        "Pressure line",
        "Low mood line",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("minimum_age=19", {"Anyone", "Young adults", "Sixteen up"}),
        ("maximum_age=15", {"Anyone", "Teens"}),
        ("minimum_age=16&maximum_age=16", {"Anyone", "Teens", "Sixteen up"}),
        ("minimum_age=10&maximum_age=10", {"Anyone"}),
        ("minimum_age=0&maximum_age=150", {"Anyone", "Teens", "Young adults", "Sixteen up"}),
    ],
)
def test_age_filters_keep_services_whose_age_range_lets_that_person_in(
    client: TestClient, db: Session, query: str, expected: set[str]
) -> None:
    make_service(db, "Anyone")
    make_service(db, "Teens", minimum_age=11, maximum_age=18)
    make_service(db, "Young adults", minimum_age=18, maximum_age=25)
    make_service(db, "Sixteen up", minimum_age=16)

    assert names(client, query) == expected


def test_modified_after_takes_a_date_or_a_date_time_in_any_time_zone(
    client: TestClient, db: Session
) -> None:
    for name, day in [("Old", 1), ("New", 10)]:
        service = make_service(db, name)
        service.last_modified = datetime(2026, 1, day, 12, 0, tzinfo=UTC)
        db.add(service)
    db.commit()

    assert names(client, "modified_after=2026-01-10") == {"New"}
    assert names(client, "modified_after=2026-01-10T12:00:00Z") == {"New"}
    assert names(client, "modified_after=2026-01-10T13:00:00%2B01:00") == {"New"}
    assert names(client, "modified_after=2026-01-10T12:00:01Z") == set()
    assert names(client, "modified_after=2025-12-31") == {"Old", "New"}


@pytest.mark.parametrize(
    ("per_page", "page", "names_on_page", "first", "last"),
    [
        (2, 1, [1, 2], True, False),
        (2, 2, [3, 4], False, False),
        (2, 3, [5], False, True),
        (2, 4, [], False, True),
        (50, 1, [1, 2, 3, 4, 5], True, True),
    ],
)
def test_pages_report_their_number_size_and_whether_they_are_first_or_last(
    client: TestClient,
    db: Session,
    per_page: int,
    page: int,
    names_on_page: list[int],
    first: bool,
    last: bool,
) -> None:
    for number in [3, 1, 5, 2, 4]:
        make_service(db, f"Service {number}")

    body = client.get(f"/api/v1/services?per_page={per_page}&page={page}").json()

    assert_valid_page(body, "/services")
    assert [item["name"] for item in body["contents"]] == [f"Service {n}" for n in names_on_page]
    assert body["total_items"] == 5
    assert body["total_pages"] == (3 if per_page == 2 else 1)
    assert body["page_number"] == page and body["size"] == len(names_on_page)
    assert (body["first_page"], body["last_page"], body["empty"]) == (
        first,
        last,
        not names_on_page,
    )


def test_an_empty_directory_is_one_empty_first_and_last_page(client: TestClient) -> None:
    body = client.get("/api/v1/services").json()

    assert_valid_page(body, "/services")
    assert body == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


# --- hidden listings, errors, CORS and caching ---------------------------------------------------


def test_unpublished_and_archived_services_never_appear_anywhere(
    client: TestClient, db: Session
) -> None:
    make_service(db, "Shown", needs=["pressured"])
    hidden = [
        make_service(db, "Draft", needs=["pressured"], published=False),
        make_service(db, "Retired", needs=["pressured"], archived=True),
    ]
    links = [add_location(db, service) for service in hidden]
    pressured = term_id(client, "pressured")

    for query in ["", f"taxonomy_term_id={pressured}", f"taxonomy_id={NEEDS_TAXONOMY}"]:
        assert names(client, query) == {"Shown"}
    assert names(client, "search=Draft") == names(client, "search=Retired") == set()
    assert client.get("/api/v1/service_at_locations").json()["total_items"] == 0
    for service, link in zip(hidden, links, strict=True):
        assert client.get(f"/api/v1/services/{service.id}").status_code == 404
        assert client.get(f"/api/v1/service_at_locations/{link}").status_code == 404


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("minimum_age=ten", "minimum_age"),
        ("maximum_age=15.5", "maximum_age"),
        ("minimum_age=-1", "minimum_age"),
        ("minimum_age=18&maximum_age=11", "minimum_age"),
        ("modified_after=yesterday", "modified_after"),
        ("modified_after=2026-13-01", "modified_after"),
        ("taxonomy_term_id=pressured", "taxonomy_term_id"),
    ],
)
def test_bad_parameters_get_a_400_that_names_the_parameter(
    public_client: TestClient, query: str, named: str
) -> None:
    response = public_client.get(f"/api/v1/services?{query}")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["detail"].startswith(named)


def assert_json_404(response: Any) -> None:
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    "kind", ["services", "taxonomies", "taxonomy_terms", "service_at_locations"]
)
def test_unknown_ids_get_a_json_404(client: TestClient, db: Session, kind: str) -> None:
    make_service(db, "Some other service", needs=["pressured"])

    assert_json_404(client.get(f"/api/v1/{kind}/{uuid.uuid4()}"))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/services/not-an-id",
        "/api/v1/taxonomies/42",
        "/api/v1/taxonomy_terms/pressured",
        "/api/v1/service_at_locations/%3Cscript%3E",
        "/api/v1/organizations",
        "/api/v1/services/1/extra",
    ],
)
def test_malformed_ids_and_unknown_paths_get_a_json_404(
    public_client: TestClient, path: str
) -> None:
    assert_json_404(public_client.get(path))


def test_every_api_response_lets_any_site_read_it_and_preflights_are_answered(
    client: TestClient,
) -> None:
    for path in ["/api/v1/", "/api/v1/services", "/api/v1/taxonomy_terms", "/api/v1/openapi.json"]:
        assert client.get(path).headers["access-control-allow-origin"] == "*"

    preflight = client.options(
        "/api/v1/services",
        headers={
            "Origin": "https://directory.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "*"


def test_a_client_with_the_current_etag_gets_an_empty_304_until_the_listing_changes(
    client: TestClient, db: Session
) -> None:
    service = make_service(db, "Cached line")
    path = f"/api/v1/services/{service.id}"
    first = client.get(path)
    etag = first.headers["etag"]

    again = client.get(path, headers={"If-None-Match": etag})
    service.name = "Renamed line"
    db.add(service)
    db.commit()
    changed = client.get(path, headers={"If-None-Match": etag})

    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["access-control-allow-origin"] == "*"
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert client.get("/api/v1/services").headers["etag"]


# --- query budget --------------------------------------------------------------------------------


def test_listing_and_showing_services_cost_the_same_few_queries_with_5_or_5000_services(
    client: TestClient, db: Session, migrated_engine: Engine
) -> None:
    shown = add_everything(db)
    paths = {
        "list": "/api/v1/services?per_page=100",
        "filtered": f"/api/v1/services?per_page=100&taxonomy_id={NEEDS_TAXONOMY}&minimum_age=12",
        "full": f"/api/v1/services/{shown.id}",
        "at locations": "/api/v1/service_at_locations?per_page=100",
    }

    tracker = client.app.app.state.directory_revision  # type: ignore[attr-defined]
    tracker.refresh_seconds = 0  # read the revision on every request: changes show at once

    def measure() -> dict[str, int]:
        counts = {}
        for name, path in paths.items():
            client.get(path)  # warm: the pool opens connections outside the count
            bump_directory_revision(db)  # a change, so a cached list is made again and counted
            db.commit()
            with counted_statements(client) as statements:
                assert client.get(path).status_code == 200
            counts[name] = len(statements)
        return counts

    add_many_services(migrated_engine, 4)
    few = measure()
    add_many_services(migrated_engine, 4995)
    many = measure()

    assert client.get("/api/v1/services").json()["total_items"] == 5000
    assert client.get("/api/v1/service_at_locations").json()["total_items"] == 5000
    assert few == many, (few, many)
    # Lists: the revision row, then the count and the page (services at locations are not cached).
    assert many["list"] <= 3 and many["filtered"] <= 3 and many["at locations"] <= 3
    assert many["full"] <= 9


def test_a_repeated_list_is_answered_from_memory_until_a_change_is_saved(
    client: TestClient, db: Session
) -> None:
    service = make_service(db, "First line")
    seconds = [1000.0]
    tracker = client.app.app.state.directory_revision  # type: ignore[attr-defined]
    tracker.clock = lambda: seconds[0]
    path = "/api/v1/services?per_page=10"
    gzip_only = {"Accept-Encoding": "gzip"}

    first = client.get(path, headers=gzip_only)
    with counted_statements(client) as statements:
        again = client.get(path, headers=gzip_only)
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        unchanged = client.get(path, headers={"If-None-Match": first.headers["etag"]})

    assert statements == []
    assert again.content == first.content and again.headers["content-encoding"] == "gzip"
    assert again.headers["content-type"] == "application/json"
    assert again.headers["access-control-allow-origin"] == "*"
    assert plain.json() == first.json() and "content-encoding" not in plain.headers
    assert plain.headers["etag"] == first.headers["etag"]
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == first.headers["etag"]
    assert_valid_page(first.json(), "/services")
    assert_valid(first.json()["contents"][0], SERVICE_LIST_ITEM)

    renamed = db.get(Service, service.id)
    assert renamed is not None
    renamed.name = "Renamed line"
    bump_directory_revision(db)  # saved on another instance (another engine, same database)
    db.commit()
    assert client.get(path).json()["contents"][0]["name"] == "First line"  # for up to a second
    seconds[0] += tracker.refresh_seconds
    changed = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.json()["contents"][0]["name"] == "Renamed line"
