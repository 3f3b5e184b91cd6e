"""Safety and privacy on every public response: headers, no cookies, no addresses in logs."""

import logging

import pytest
from fastapi.testclient import TestClient

from tests.helpers import PUBLIC_PAGES

OTHER_PUBLIC_ROUTES = [
    "/",
    "/c/anything",
    "/en",
    "/en/no-such-page",
    "/nowhere",
    "/healthz",
    "/readyz",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES + OTHER_PUBLIC_ROUTES)
def test_every_public_response_carries_the_security_headers(
    public_client: TestClient, path: str
) -> None:
    response = public_client.get(path)

    policy = response.headers["content-security-policy"]
    script_policy = next(part for part in policy.split(";") if "script-src" in part)
    assert "unsafe-inline" not in script_policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "camera=()" in response.headers["permissions-policy"]


@pytest.mark.parametrize("path", PUBLIC_PAGES + OTHER_PUBLIC_ROUTES)
def test_no_public_response_sets_a_cookie(public_client: TestClient, path: str) -> None:
    response = public_client.get(path)

    assert "set-cookie" not in response.headers
    assert not public_client.cookies


def test_the_inline_style_is_allowed_by_its_hash_and_nothing_else(
    public_client: TestClient,
) -> None:
    import base64
    import hashlib
    import re

    response = public_client.get("/en/")
    style = re.search(r"<style>(.*?)</style>", response.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()

    assert f"style-src 'sha256-{digest}'" in response.headers["content-security-policy"]


def test_the_access_log_records_no_ip_address_or_query(
    public_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="app.access"):
        public_client.get("/en/?phone=07700900123", headers={"X-Forwarded-For": "203.0.113.9"})
        public_client.get("/c/abc123")

    logged = "\n".join(
        record.getMessage() for record in caplog.records if record.name == "app.access"
    )
    assert "GET /en/ 200 cached" in logged
    assert "GET /c/abc123 302" in logged
    for private in ("testclient", "203.0.113.9", "127.0.0.1", "07700900123", "phone="):
        assert private not in logged


def test_cached_pages_are_not_logged_at_info_but_other_requests_are(
    public_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.access"):
        public_client.get("/en/")
        public_client.get("/c/abc123")

    logged = [record.getMessage() for record in caplog.records if record.name == "app.access"]
    assert not any(line.startswith("GET /en/ ") for line in logged)
    assert any(line.startswith("GET /c/abc123 302") for line in logged)
