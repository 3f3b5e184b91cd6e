"""Behind a load balancer: X-Forwarded-For is believed only from the addresses in settings.

Per-client limits (problem reports here) must see each young person's own address when the
service sits behind a trusted proxy, and must not be fooled by a header anyone can send.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.main import create_app
from tests.conftest import make_settings
from tests.factories import make_service


def report_statuses(client: TestClient, service_id: object, addresses: list[str]) -> list[int]:
    return [
        client.post(
            f"/en/help/{service_id}/report",
            data={"kind": "other"},
            headers={"X-Forwarded-For": address},
            follow_redirects=False,
        ).status_code
        for address in addresses
    ]


@pytest.fixture
def service_id(migrated_engine: Engine) -> Iterator[object]:
    with Session(migrated_engine) as db:
        yield make_service(db, "Line").id


def test_a_trusted_proxy_gives_each_forwarded_client_its_own_limit(
    tmp_path: Path, migrated_engine: Engine, service_id: object
) -> None:
    # The test client connects from the address "testclient".
    settings = make_settings(tmp_path, forwarded_allow_ips="testclient")
    addresses = [f"203.0.113.{n}" for n in range(1, 8)]

    with TestClient(create_app(settings)) as client:
        statuses = report_statuses(client, service_id, addresses)

    assert statuses == [303] * 7


def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(
    tmp_path: Path, migrated_engine: Engine, service_id: object
) -> None:
    settings = make_settings(tmp_path)
    addresses = [f"203.0.113.{n}" for n in range(1, 8)]

    with TestClient(create_app(settings)) as client:
        statuses = report_statuses(client, service_id, addresses)

    assert statuses == [303] * 5 + [429] * 2
