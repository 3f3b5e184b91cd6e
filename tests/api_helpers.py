"""What the Open Referral UK API tests share: a database with the needs taxonomy loaded, and small
readers of the API (a need's term id, the names a services query returns)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from tests.factories import load_needs

NEEDS_TAXONOMY = "9a0a9f9a-967a-411d-a434-f6e62e6f8b10"


@pytest.fixture
def db(migrated_engine: Engine) -> Iterator[Session]:
    with Session(migrated_engine) as session:
        load_needs(session)
        yield session


def term_id(client: TestClient, code: str) -> str:
    terms = client.get("/api/v1/taxonomy_terms").json()["contents"]
    return next(str(term["id"]) for term in terms if term["code"] == code)


def names(client: TestClient, query: str) -> set[str]:
    response = client.get(f"/api/v1/services?{query}")
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["contents"]}
