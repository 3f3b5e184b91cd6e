"""What the listing editor tests share: an editor signed in on a frozen clock, the listing form
read the way a browser submits it, and the history and audit rows a save leaves behind."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.admin.users import create_user
from app.models import AuditEvent, ListingChange, Service, Team
from tests.app_context import clock_of, no_sign_in_delay, set_clock
from tests.factories import load_needs

PASSWORD = "a long and memorable password"
EDITOR = "editor@example.org"
APPROVER = "approver@example.org"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
WINTER_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
Fields = dict[str, list[str]]


class FormReader(HTMLParser):
    """Reads one form's fields the way a browser submits them: ticked boxes, chosen options."""

    def __init__(self, html: str, action: str) -> None:
        super().__init__()
        self.action = action
        self.fields: Fields = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def _add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._in_form = found.get("action") == self.action
        elif not self._in_form or ("name" not in found and tag != "option"):
            return
        elif tag == "input":
            if found.get("type") not in ("checkbox", "radio") or "checked" in found:
                self._add(found["name"], found.get("value", ""))
        elif tag == "select":
            self._select = found["name"]
            self.fields[found["name"]] = [""]
        elif tag == "option" and self._select and "selected" in found:
            self.fields[self._select] = [found.get("value", "")]
        elif tag == "textarea":
            self._textarea = found["name"]
            self._add(found["name"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea][-1] += data


class Clock:
    """A frozen clock the test moves on, as real time moves on between two clicks."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def tick(client: TestClient) -> None:
    """Move the app's clock on a second (the directory pages are cached per version of data)."""
    clock_of(client).moment += timedelta(seconds=1)  # type: ignore[attr-defined]


@pytest.fixture
def db(migrated_engine: Engine) -> Iterator[Session]:
    with Session(migrated_engine) as session:
        load_needs(session)
        yield session


@pytest.fixture
def editor(client: TestClient, db: Session) -> str:
    """Signs an editor in on `client`; returns the session's CSRF token."""
    add_staff(db, EDITOR, "editor")
    return sign_in(client, EDITOR)


@pytest.fixture
def approver(client: TestClient, db: Session) -> str:
    """Signs an approver in on `client`; returns the session's CSRF token."""
    add_staff(db, APPROVER, "approver")
    return sign_in(client, APPROVER)


def second_person(
    client: TestClient, db: Session, email: str = APPROVER, role: str = "approver"
) -> tuple[TestClient, str]:
    """Someone (an approver) signed in on a browser of their own (same app, same clock); and
    their token."""
    add_staff(db, email, role)
    browser = TestClient(client.app, follow_redirects=False)
    return browser, sign_in(browser, email, clock_of(client)())


def approve(browser: TestClient, token: str, service: Service) -> Response:
    """Publish the draft waiting on `service`, as the person signed in on `browser`."""
    return browser.post(f"/admin/listings/{service.id}/approve-draft", data={"csrf_token": token})


def add_staff(db: Session, email: str, role: str) -> None:
    team = None
    if role == "caseworker":
        db.add(Team(name="North youth team"))
        db.flush()
        team = "North youth team"
    create_user(db, email, role, PASSWORD, team)
    db.commit()


def sign_in(client: TestClient, email: str, moment: datetime = WINTER_NOON) -> str:
    """Sign in as a browser does: fetch the form for its token and cookie, then post it."""
    no_sign_in_delay(client)
    set_clock(client, Clock(moment))
    login = client.get("/admin/login")
    data = {"email": email, "password": PASSWORD, "csrf_token": csrf_on(login.text)}
    assert client.post("/admin/login", data=data).status_code == 303
    return csrf_on(client.get("/admin/").text)


def csrf_on(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def listing_form(client: TestClient, service_id: object) -> Fields:
    page = client.get(f"/admin/listings/{service_id}")
    assert page.status_code == 200
    return FormReader(page.text, f"/admin/listings/{service_id}").fields


def post_form(client: TestClient, action: str, fields: Fields) -> int:
    return client.post(action, data=fields).status_code


def reload(db: Session, service: Service) -> Service:
    db.expire_all()
    found = db.get(Service, service.id)
    assert found is not None
    return found


def phone_numbers(db: Session, service: Service) -> list[str]:
    db.expire_all()
    return [phone.number for contact in reload(db, service).contacts for phone in contact.phones]


def history_of(db: Session, service: Service) -> dict[str, tuple[str, str]]:
    db.expire_all()
    rows = db.exec(select(ListingChange).where(ListingChange.service_id == service.id)).all()
    return {row.field: (row.old, row.new) for row in rows}


def audit_actions(db: Session) -> list[str]:
    db.expire_all()
    rows = db.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    return [
        row.action for row in rows if row.action.startswith(("listing", "organization", "report"))
    ]
