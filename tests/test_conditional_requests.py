"""Conditional requests: a client that already holds a response gets an empty 304, the same way on
a cached page, the directory and the API (If-None-Match read as RFC 9110 says, not as a substring).
"""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.api_helpers import db
from tests.factories import make_service

__all__ = ["db"]  # fixtures

PATHS = {"a cached page": "/en/the-law", "the directory": "/en/help", "the API": "/api/v1/services"}
EVERY_PATH = pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def served(client: TestClient, db: Session) -> TestClient:
    make_service(db, "Night line")
    return client


def opaque(etag: str) -> str:
    return etag.removeprefix("W/").strip('"')


@EVERY_PATH
def test_a_client_listing_the_current_etag_among_others_gets_an_empty_304(
    served: TestClient, path: str
) -> None:
    first = served.get(path, headers=GZIP)
    etag = first.headers["etag"]

    again = served.get(path, headers={**GZIP, "If-None-Match": f'"older", {etag} ,W/"other"'})

    assert first.status_code == 200
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag


@EVERY_PATH
def test_an_etag_that_only_contains_ours_gets_the_full_response(
    served: TestClient, path: str
) -> None:
    first = served.get(path, headers=GZIP)
    tag = opaque(first.headers["etag"])
    lookalikes = [f'"stale-{tag}"', f'W/"{tag}-stale"', f'"x", "{tag}x"', tag, f'"{tag}']

    answers = [served.get(path, headers={**GZIP, "If-None-Match": value}) for value in lookalikes]

    assert [answer.status_code for answer in answers] == [200] * len(lookalikes)
    assert all(answer.content == first.content for answer in answers)


@EVERY_PATH
def test_any_etag_or_the_weak_form_of_ours_gets_a_304(served: TestClient, path: str) -> None:
    first = served.get(path, headers=GZIP)
    weak = f'W/"{opaque(first.headers["etag"])}"'

    star = served.get(path, headers={**GZIP, "If-None-Match": "*"})
    weakly = served.get(path, headers={**GZIP, "If-None-Match": weak})

    assert (star.status_code, weakly.status_code) == (304, 304)


@pytest.mark.parametrize(
    "path", [PATHS["a cached page"], PATHS["the directory"]], ids=["a cached page", "the directory"]
)
def test_a_client_that_stops_accepting_gzip_gets_the_plain_page_not_a_304(
    served: TestClient, path: str
) -> None:
    zipped = served.get(path, headers=GZIP)

    plain = served.get(
        path, headers={"Accept-Encoding": "identity", "If-None-Match": zipped.headers["etag"]}
    )

    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.text == zipped.text and plain.headers["etag"] != zipped.headers["etag"]
