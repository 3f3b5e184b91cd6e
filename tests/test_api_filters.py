"""The Open Referral UK API's services list: search, need, age and modified-after filters, and
pagination."""

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api_helpers import NEEDS_TAXONOMY, db, names, term_id
from tests.factories import make_service
from tests.oruk_schemas import assert_valid_page

__all__ = ["db"]  # fixtures


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
