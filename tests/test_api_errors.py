"""The Open Referral UK API's edges: hidden listings never appear, bad parameters get a 400 that
names them, unknown ids and paths get a JSON 404, and any site may read every response (CORS)."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api_helpers import NEEDS_TAXONOMY, db, names, term_id
from tests.factories import make_service
from tests.oruk_rows import add_location

__all__ = ["db"]  # fixtures


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
        "/api/v1/organizations/not-an-id",
        "/api/v1/organisations",
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
