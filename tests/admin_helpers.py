"""Plain helpers for admin tests: staff accounts, teams, signing in as a browser does, the clock;
and, for the admin pages for people, a `web` fixture, row readers and the team form."""

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, col, select

from app.admin.access import COOKIE
from app.admin.users import create_user
from app.models import AuditEvent, Team, User
from tests.app_context import context, enforce_second_factor_setup, no_sign_in_delay, set_clock

__all__ = [
    "enforce_second_factor_setup",
    "set_clock",
]  # tests take it from here with the other admin helpers

PASSWORD = "correct horse battery staple"
# An admin changing someone else's sign-in confirms it is them with their own password.
CONFIRM = {"admin_password": PASSWORD, "admin_password_2fa": PASSWORD}
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def database(client: TestClient) -> Session:
    return Session(context(client).engine)


def add_team(client: TestClient, name: str = "North youth team", **values: object) -> int:
    with database(client) as db:
        team = Team(name=name)
        for field, value in values.items():
            setattr(team, field, value)
        db.add(team)
        db.commit()
        return team.id or 0


def add_user(
    client: TestClient,
    email: str,
    role: str = "admin",
    *,
    team: str | None = None,
    password: str = PASSWORD,
    **changes: object,
) -> int:
    with database(client) as db:
        user = create_user(db, email, role, password, team)
        for name, value in changes.items():
            setattr(user, name, value)
        db.add(user)
        db.commit()
        return user.id or 0


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    """Fetch the sign-in form (for its token and cookie) and post it, as a browser does."""
    form = client.get("/admin/login")
    data = {"email": email, "password": password, "csrf_token": csrf_of(form.text)}
    return client.post("/admin/login", data=data)


def token_from(client: TestClient, path: str = "/admin/account") -> str:
    """The session's CSRF token, read from a page that has a form."""
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code, page.headers.get("location"))
    return csrf_of(page.text)


def signed_in(client: TestClient, email: str, role: str = "admin", team: str | None = None) -> str:
    """Add a user, sign them in on `client` and return the session's CSRF token."""
    add_user(client, email, role, team=team)
    assert sign_in(client, email).status_code == 303
    return token_from(client)


def session_cookie(client: TestClient) -> str | None:
    return client.cookies.get(COOKIE)


def other_browser(client: TestClient) -> TestClient:
    """A second browser on the same app, with its own cookies."""
    return TestClient(client.app, follow_redirects=False)


def audit_trail(client: TestClient) -> list[AuditEvent]:
    with database(client) as db:
        return list(db.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


# --- the admin pages for people (users, teams, audit log, settings) ---

TEAM = "North youth team"


@pytest.fixture
def web(client: TestClient) -> TestClient:
    no_sign_in_delay(client)
    set_clock(client, NOON)
    return client


def user_row(client: TestClient, email: str) -> User:
    with database(client) as db:
        return db.exec(select(User).where(User.email == email)).one()


def team_row(client: TestClient, name: str) -> Team:
    with database(client) as db:
        return db.exec(select(Team).where(Team.name == name)).one()


def error_links(html: str) -> list[str]:
    assert "<title>Error: " in html
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


def team_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "South youth team",
        "areas": "lu4, LU5 3AB; lu4 LU6",
        "needs": ["pressured", "hurt-or-robbed"],
        "duty_phones": "07911 123456\n+44 7400 123456",
        "days": ["MO", "WE", "FR"],
        "works_from": "10:00",
        "works_until": "18:30",
    }
    return {**form, **changes}
