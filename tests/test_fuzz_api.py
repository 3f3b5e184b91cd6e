"""Schemathesis against the Open Referral UK API's own OpenAPI document, in process (ASGI).

Every documented operation is called with generated parameters (valid and invalid) against a
database holding a few services: no 5xx, and every response is one the document describes (its
content type, and its body against the schema). The document embeds the ORUK schemas it refers to,
so the fuzzer checks every answer without going to the network.

The budget is bounded and repeatable: a fixed number of examples per operation, derandomized.
"""

import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from app.database import make_engine, migrate
from app.main import create_app
from app.routes.api import openapi_document
from tests.conftest import make_settings, reset_database
from tests.factories import load_needs, make_service
from tests.oruk_rows import add_everything, add_location

OPENAPI_PATH = "/api/v1/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    # No shrinking: a failure is reported as found, which keeps a failing run short too.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


class Seeded:
    """One app on a database with the needs taxonomy, a fully nested service and a few more."""

    def __init__(self, tmp: Path) -> None:
        self.settings = make_settings(tmp)
        self.engine = make_engine(self.settings.database_url)
        reset_database(self.engine)
        migrate(self.engine)
        with Session(self.engine) as session:
            load_needs(session)
            full = add_everything(session)
            other = make_service(session, "Youth club", needs=["pressured"], areas=["LU2"])
            add_location(session, other, "Club house")
            make_service(session, "Hidden draft", published=False)
            make_service(session, "Closed down", archived=True)
            self.service_ids = [str(full.id), str(other.id)]
        self.app = create_app(self.settings)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    seeded = Seeded(tmp_path_factory.mktemp("fuzz"))
    SEEDED[:] = [seeded]
    with TestClient(seeded.app):  # runs the app's start-up, as a server would
        yield seeded
    SEEDED.clear()
    seeded.engine.dispose()


async def seeded_app(scope: Any, receive: Any, send: Any) -> None:
    """The ASGI app schemathesis calls: the module's seeded app, once the fixture has built it."""
    await SEEDED[0].app(scope, receive, send)


SEEDED: list[Seeded] = []
# The document as the API serves it (checked below), loaded at collection time, when the
# operations are enumerated; requests go to the seeded app in process. A copy, so nothing the
# fuzzer does to it changes what the API serves.
api_schema = schemathesis.openapi.from_dict(copy.deepcopy(openapi_document()))
api_schema.app = seeded_app


def test_the_fuzzed_document_is_the_one_the_api_serves(seeded: Seeded) -> None:
    with TestClient(seeded.app) as client:
        assert client.get(OPENAPI_PATH).json() == openapi_document()


@api_schema.parametrize()
@FUZZ_SETTINGS
def test_every_api_operation_answers_as_documented_and_never_with_a_server_error(
    case: schemathesis.Case, seeded: Seeded
) -> None:
    response = case.call()
    assert "Traceback" not in response.text
    case.validate_response(response, checks=CHECKS)


def test_seeded_records_fetched_by_id_match_their_documented_schemas(seeded: Seeded) -> None:
    """Random ids only ever find nothing: fetch the real ones so the 200 bodies are checked too."""
    with TestClient(seeded.app) as client:
        ids = {
            "/api/v1/services/{id}": seeded.service_ids,
            "/api/v1/taxonomies/{id}": [
                row["id"] for row in client.get("/api/v1/taxonomies").json()["contents"]
            ],
            "/api/v1/taxonomy_terms/{id}": [
                row["id"] for row in client.get("/api/v1/taxonomy_terms").json()["contents"]
            ][:5],
            "/api/v1/service_at_locations/{id}": [
                row["id"] for row in client.get("/api/v1/service_at_locations").json()["contents"]
            ],
        }
    checked = 0
    for path, values in ids.items():
        assert values, f"nothing seeded for {path}"
        operation = api_schema[path]["GET"]
        for value in values:
            case = operation.Case(path_parameters={"id": value})
            response = case.call()
            assert response.status_code == 200, (path, value, response.text[:200])
            case.validate_response(response, checks=CHECKS)
            checked += 1
    # And the hidden ones stay hidden, as a documented-shape 404.
    assert checked >= 5


def test_error_status_codes_are_documented(seeded: Seeded) -> None:
    cases = [
        (api_schema["/api/v1/services"]["GET"].Case(query={"per_page": "0"}), 400),
        (
            api_schema["/api/v1/services/{id}"]["GET"].Case(
                path_parameters={"id": str(uuid.UUID(int=0))}
            ),
            404,
        ),
    ]
    for case, expected in cases:
        response = case.call()
        assert response.status_code == expected
        case.validate_response(response, checks=[status_code_conformance])


@pytest.mark.parametrize("path", ["/api/v1/services", "/api/v1/taxonomy_terms"])
def test_a_huge_page_number_is_a_clear_answer_not_a_server_error(seeded: Seeded, path: str) -> None:
    with TestClient(seeded.app, raise_server_exceptions=False) as client:
        response = client.get(path, params={"page": str(10**20)})
    assert response.status_code in (200, 400), response.status_code
