"""The Open Referral UK API: every kind of response validates against the ORUK schemas
(the root, services in full and in lists, taxonomies and terms, services at locations)."""

import uuid
from collections.abc import Iterator
from datetime import datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Organization
from tests.api_helpers import NEEDS_TAXONOMY, db
from tests.factories import load_shipped_listings, make_service
from tests.oruk_rows import add_everything
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

__all__ = ["db"]  # fixtures


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


def test_the_openapi_document_refers_to_nothing_outside_itself(public_client: TestClient) -> None:
    document = public_client.get("/api/v1/openapi.json").json()

    refs = set(references(document))

    assert refs, "the ORUK answers are documented by reference to their schemas"
    assert {ref for ref in refs if not ref.startswith("#/")} == set()
    for ref in refs:
        target = document
        for part in ref.removeprefix("#/").split("/"):
            assert part in target, f"{ref} points at nothing in the document"
            target = target[part]
    assert {ref.rpartition("/")[2] for ref in refs} >= {
        "service",
        "service_list",
        "taxonomy",
        "taxonomy_term",
        "service_at_location",
        "service_at_location_list",
    }


def references(node: object) -> Iterator[str]:
    """Every `$ref` in a JSON document, however deep."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


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
    service = make_service(db, "Few details", phones=[])

    body = client.get(f"/api/v1/services/{service.id}").json()

    assert_valid(body, SERVICE)
    assert None not in body.values()
    assert "email" not in body and "minimum_age" not in body
    assert body["contacts"] == [] and body["schedules"] == []


def test_list_items_validate_against_service_list_and_the_envelope_against_the_page_schema(
    client: TestClient, db: Session
) -> None:
    add_everything(db)
    make_service(db, "Second service")

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


def test_empty_optional_fields_are_left_out_at_every_level_and_required_ones_are_sent_empty(
    client: TestClient, db: Session
) -> None:
    service = add_everything(db)
    service.description, service.summary, service.email = "", "", ""
    organization = db.get(Organization, service.organization_id)
    assert organization is not None
    organization.description, organization.email = "", ""
    db.add_all([service, organization])
    db.commit()

    body = client.get(f"/api/v1/services/{service.id}").json()

    assert_valid(body, SERVICE)
    assert not [value for value in every_value(body) if value is None]
    assert "description" not in body and "email" not in body
    assert body["organization"]["description"] == ""  # required by the schema
    assert "email" not in body["organization"]


def every_value(node: object) -> Iterator[object]:
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        yield child
        yield from every_value(child)
