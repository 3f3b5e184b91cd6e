"""The Open Referral UK API's ETags, its in-memory cache of lists, and its query budget: the same
few queries with 5 or 5000 services."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.directory.revision import bump_directory_revision
from app.models import Service
from tests.api_helpers import NEEDS_TAXONOMY, db
from tests.app_context import context
from tests.factories import make_service
from tests.oruk_rows import add_everything, add_many_services, counted_statements
from tests.oruk_schemas import SERVICE_LIST_ITEM, assert_valid, assert_valid_page

__all__ = ["db"]  # fixtures


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

    tracker = context(client).directory_revision
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
    tracker = context(client).directory_revision
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
