"""The Open Referral UK validator's checks, replayed: the root, the services list on its first, a
middle and its last page, a service by id, and each optional endpoint as a list and by id, every
answer against the schemas in the repository (tests/oruk_schemas.py). Then what must never appear
(drafts, unconfirmed and scheduled-out listings, organisations with nothing public) and the
filters the profile names."""

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import ListingDraft, utcnow
from tests.api_helpers import db, names, term_id
from tests.factories import load_shipped_listings, make_service
from tests.oruk_rows import add_everything
from tests.oruk_schemas import (
    ORGANIZATION,
    SERVICE,
    SERVICE_AT_LOCATION,
    TAXONOMY,
    TAXONOMY_TERM,
    assert_valid,
    assert_valid_list,
    assert_valid_page,
)

__all__ = ["db"]  # fixtures
PER_PAGE = 3


def get(client: TestClient, path: str) -> Any:
    response = client.get(f"/api/v1{path}")
    assert response.status_code == 200, (path, response.text)
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_the_validators_sequence_of_requests_gets_schema_valid_answers(
    client: TestClient, db: Session
) -> None:
    load_shipped_listings(db)
    add_everything(db)

    root = get(client, "/")
    assert root["version"] == "HSDS-UK-3.0"
    assert root["profile"].startswith("https://")
    assert root["openapi_url"].startswith("http") and root["openapi_url"].endswith("openapi.json")

    first = get(client, f"/services?per_page={PER_PAGE}")
    assert_valid_page(first, "/services")
    pages = first["total_pages"]
    assert pages >= 3, "enough listings for a middle page"
    seen = {item["id"] for item in first["contents"]}
    for number in ((pages + 1) // 2, pages):
        page = get(client, f"/services?per_page={PER_PAGE}&page={number}")
        assert_valid_page(page, "/services")
        assert page["page_number"] == number
        assert page["last_page"] is (number == pages)
        seen |= {item["id"] for item in page["contents"]}
    for service_id in sorted(seen):
        assert_valid(get(client, f"/services/{service_id}"), SERVICE)

    for path, item, in_reference in [
        ("/taxonomies", TAXONOMY, True),
        ("/taxonomy_terms", TAXONOMY_TERM, True),
        ("/organizations", ORGANIZATION, False),
        ("/service_at_locations", SERVICE_AT_LOCATION, True),
    ]:
        listed = get(client, path)
        if in_reference:
            assert_valid_page(listed, path)
        else:  # the reference document has no organizations path: its Page and the profile's item
            assert_valid_list(listed, item)
        assert listed["contents"], f"{path} is empty: nothing to fetch by id"
        assert_valid(get(client, f"{path}/{listed['contents'][0]['id']}"), item)


def test_drafts_unconfirmed_and_scheduled_out_listings_and_their_organisations_never_appear(
    client: TestClient, db: Session
) -> None:
    public = make_service(db, "Youth line")
    unconfirmed = make_service(db, "Local club", verified=False)
    later = make_service(db, "Winter line")
    later.show_from = date(2099, 1, 1)
    db.add(
        ListingDraft(
            service_id=public.id,
            actor="editor@example.org",
            proposed_at=utcnow(),
            content='{"name": "Yuoth line"}',
        )
    )
    db.commit()

    everything = " ".join(
        client.get(f"/api/v1{path}").text
        for path in ["/services", "/organizations", "/service_at_locations"]
    )

    assert "Youth line" in everything
    assert "Yuoth" not in everything
    for hidden in (unconfirmed, later):
        assert hidden.name not in everything
        assert client.get(f"/api/v1/services/{hidden.id}").status_code == 404
        assert client.get(f"/api/v1/organizations/{hidden.organization_id}").status_code == 404
    assert client.get(f"/api/v1/organizations/{public.organization_id}").status_code == 200


def test_organization_id_taxonomy_term_id_postcode_and_modified_after_filter_services(
    client: TestClient, db: Session
) -> None:
    national = make_service(db, "National line", needs=["pressured"])
    local = make_service(db, "Luton club", needs=["worried-about-a-friend"], areas=["LU4"])
    make_service(db, "Leeds club", areas=["LS1"])

    assert names(client, f"organization_id={national.organization_id}") == {"National line"}
    assert names(client, f"organization_id={local.organization_id}") == {"Luton club"}
    pressured = term_id(client, "pressured")
    assert names(client, f"taxonomy_term_id={pressured}") == {"National line"}
    assert names(client, "postcode=LU4 1AB") == {"National line", "Luton club"}
    assert names(client, "modified_after=2099-01-01") == set()
    assert len(names(client, "modified_after=2000-01-01")) == 3
    bad = client.get("/api/v1/services?organization_id=not-an-id")
    assert bad.status_code == 400
