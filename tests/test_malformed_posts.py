"""Every POST route, sent bodies no browser or Twilio would send: the wrong content type, bytes that
are not UTF-8, a megabyte, deeply nested and duplicated fields, JSON to a form endpoint, a multipart
body without a boundary. Each is answered with a clear 4xx (or, signed out, the usual redirect to
sign-in, or the form shown again), never a 5xx or a traceback, and nothing is stored.

The routes are enumerated from the app, so a POST route added later is covered without editing
this file.
"""

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, table
from twilio.request_validator import RequestValidator

from app.main import create_app
from app.settings import Settings
from tests.admin_helpers import database, signed_in
from tests.conftest import make_settings
from tests.factories import load_needs, make_service
from tests.sms_support import ACCOUNT_SID, AUTH_TOKEN, BASE_URL, FROM_NUMBER
from tests.test_admin_access import every_route

WATCHED_TABLES = [
    "callback_request",
    "problem_report",
    "outbound_sms",
    "audit_event",
    "service",
    "staff_user",
    "team",
    "card_batch",
    "admin_session",
]
MEGABYTE = 1024 * 1024
WEBHOOKS = ("/webhooks/twilio/sms", "/webhooks/twilio/status")


@pytest.fixture
def twilio_settings(tmp_path: Path) -> Settings:
    """Twilio configured (so the webhooks do their checks); the sender never runs here."""
    return make_settings(
        tmp_path,
        sms_backend="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_base="http://127.0.0.1:9",
        public_base_url=BASE_URL,
    )


@pytest.fixture
def browser(settings: Settings, migrated_engine: Engine) -> Iterator[TestClient]:
    """A client that shows a server error as the 500 a visitor would see, not as an exception."""
    app = create_app(settings)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def twilio(twilio_settings: Settings, migrated_engine: Engine) -> Iterator[TestClient]:
    app = create_app(twilio_settings)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield client


def post_routes(client: TestClient) -> list[str]:
    paths = []
    for route in every_route(client.app.app.routes):  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and "POST" in route.methods:
            paths.append(route.path)
    assert paths, "no POST routes found"
    return sorted(set(paths))


def fill(path: str, service_id: str) -> str:
    """A real path for a route: a real service where one is named, else ids that match nothing."""
    path = path.replace("{lang}", "en").replace("{service_id}", service_id)
    path = path.replace("{reference}", "CB-ABCD-EFGH")
    path = re.sub(r"\{(user_id|team_id|batch_id|report_id)\}", "1", path)
    return re.sub(r"\{[^}]+\}", str(uuid.UUID(int=1)), path)


def counts(client: TestClient) -> dict[str, int]:
    with database(client) as db:
        return {
            name: db.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in WATCHED_TABLES
        }


def malformed_bodies(token: str) -> list[tuple[str, dict[str, str], bytes]]:
    """(label, headers, body): each carries the CSRF token where a body could carry one."""
    form = "application/x-www-form-urlencoded"
    nested = "&".join(f"a{'[x]' * 50}={i}" for i in range(200))
    return [
        ("text/plain", {"content-type": "text/plain"}, f"csrf_token={token}&phone=1".encode()),
        ("no content type", {}, f"csrf_token={token}&name=x".encode()),
        (
            "json to a form",
            {"content-type": "application/json"},
            b'{"csrf_token": "%s"}' % (token.encode()),
        ),
        ("broken json", {"content-type": "application/json"}, b'{"csrf_token": '),
        ("xml", {"content-type": "application/xml"}, b"<a><b>&xxe;</b></a>"),
        (
            "invalid utf-8",
            {"content-type": form},
            b"csrf_token=" + token.encode() + b"&name=\xff\xfe\xc3\x28&phone=%FF%FE&\xff=\x80",
        ),
        (
            "invalid utf-8 charset",
            {"content-type": form + "; charset=utf-8"},
            b"\xff\xfe\xfd=\xc0\xaf",
        ),
        ("one megabyte", {"content-type": form}, b"csrf_token=x&name=" + b"a" * MEGABYTE),
        (
            "one megabyte of fields",
            {"content-type": form},
            b"&".join([b"csrf_token=x", *(b"f%d=1" % i for i in range(MEGABYTE // 12))]),
        ),
        ("deeply nested", {"content-type": form}, f"csrf_token={token}&{nested}".encode()),
        (
            "duplicated fields",
            {"content-type": form},
            b"&".join(
                [b"csrf_token=x", b"csrf_token=" + token.encode()] * 3
                + [b"phone=07700900123", b"phone=not-a-number"] * 50
                + [b"best_time=today", b"best_time=never", b"email=a@b", b"email=c@d"]
            ),
        ),
        ("multipart without boundary", {"content-type": "multipart/form-data"}, b"--x\r\n\r\n"),
        (
            "multipart truncated",
            {"content-type": "multipart/form-data; boundary=zzz"},
            b'--zzz\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode(),
        ),
        ("gzip claimed", {"content-type": form, "content-encoding": "gzip"}, b"\x1f\x8bnot gzip"),
    ]


# Bodies a form parser still reads, valid CSRF token included: signed in, an action that needs
# nothing but the token (publish, reactivate...) may rightly be done, so these are only held to
# "no 5xx, no traceback".
TOKEN_READABLE = {"invalid utf-8", "deeply nested", "duplicated fields"}


def check_all(
    client: TestClient,
    paths: list[str],
    token: str,
    signed_out_ok: set[int],
    skip: frozenset[str] | set[str] = frozenset(),
) -> None:
    before = counts(client)
    failures = []
    for path in paths:
        for label, headers, body in malformed_bodies(token):
            if label in skip:
                continue
            response = client.post(path, content=body, headers=headers)
            status = response.status_code
            if not (400 <= status < 500 or status in signed_out_ok):
                failures.append(f"{path} [{label}]: {status} {response.text[:120]!r}")
            elif status == 303 and not response.headers["location"].startswith("/admin/login"):
                failures.append(f"{path} [{label}]: 303 to {response.headers['location']}")
            if "Traceback" in response.text:
                failures.append(f"{path} [{label}]: a traceback in the body")
            if 400 <= status < 500 and not response.text.strip():
                failures.append(f"{path} [{label}]: {status} with an empty body")
    assert counts(client) == before
    assert not failures, "\n".join(failures)


def test_public_forms_refuse_malformed_bodies(browser: TestClient) -> None:
    with database(browser) as db:
        load_needs(db)
        service_id = str(make_service(db, "Youth club").id)
    paths = [
        fill(path, service_id)
        for path in post_routes(browser)
        if not path.startswith(("/admin", "/webhooks"))
    ]
    assert "/en/callback" in paths and f"/en/help/{service_id}/report" in paths
    # Each public form shows its page again (200) with an error when it cannot use what came.
    token = browser.get("/en/callback").text
    check_all(browser, paths, _csrf_or_blank(token), {200})


def _csrf_or_blank(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return match.group(1) if match else ""


def test_admin_routes_signed_out_redirect_or_refuse_malformed_bodies(browser: TestClient) -> None:
    with database(browser) as db:
        service_id = str(make_service(db, "Youth club").id)
    paths = [fill(path, service_id) for path in post_routes(browser) if path.startswith("/admin")]
    # Signing in shows its form again (200) for a body it cannot read.
    check_all(browser, paths, "not-a-token", {200, 303})


def test_admin_routes_signed_in_refuse_malformed_bodies(browser: TestClient) -> None:
    with database(browser) as db:
        service_id = str(make_service(db, "Youth club").id)
    token = signed_in(browser, "admin@example.org", "admin")
    paths = [
        fill(path, service_id)
        for path in post_routes(browser)
        # Signing out with a good token is what it is for; it is covered signed out above.
        if path.startswith("/admin") and "logout" not in path
    ]
    check_all(browser, paths, token, set(), skip=TOKEN_READABLE)
    failures = []
    for path in paths:
        for label, headers, body in malformed_bodies(token):
            if label in TOKEN_READABLE:
                response = browser.post(path, content=body, headers=headers)
                if response.status_code >= 500 or "Traceback" in response.text:
                    failures.append(f"{path} [{label}]: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_twilio_webhooks_refuse_malformed_bodies_signed_or_not(twilio: TestClient) -> None:
    """Unsigned: refused. Signed as Twilio signs a request with no form fields (a body that is
    not a form has none): at most the empty answer to an empty message, and nothing stored."""
    before = counts(twilio)
    failures = []
    validator = RequestValidator(AUTH_TOKEN)
    for path in WEBHOOKS:
        assert path in post_routes(twilio)
        signature = validator.compute_signature(BASE_URL + path, {})
        for label, headers, body in malformed_bodies(""):
            for extra in ({}, {"X-Twilio-Signature": signature}):
                response = twilio.post(path, content=body, headers={**headers, **extra})
                status = response.status_code
                allowed = status < 500 if extra else 400 <= status < 500
                if not allowed or "Traceback" in response.text:
                    failures.append(f"{path} [{label}] signed={bool(extra)}: {status}")
    assert counts(twilio) == before
    assert not failures, "\n".join(failures)
