"""Who may use the admin pages for people (users, teams, audit log, settings): editors and
caseworkers get 403, admins open every page uncached, signed-out visitors are sent to sign in, and
a post without the right CSRF token is refused and changes nothing."""

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import select

from app.models import AdminSession, AppSetting, AuditEvent, Team, User
from app.routes import admin_people
from tests.admin_helpers import (
    PASSWORD,
    TEAM,
    add_team,
    add_user,
    database,
    signed_in,
    team_form,
    web,
)
from tests.factories import load_needs

__all__ = ["web"]  # fixtures


ADMIN_PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/teams",
    "/admin/teams/new",
    "/admin/teams/{team}",
    "/admin/audit",
    "/admin/settings",
]
POST_ROUTES = sorted(
    route.path
    for route in admin_people.router.routes
    if isinstance(route, APIRoute) and "POST" in (route.methods or set())
)
ADMIN_POSTS = [path for path in POST_ROUTES if not path.startswith("/admin/account")]


def fill(path: str, user: int, team: int) -> str:
    return path.replace("{user_id}", str(user)).replace("{team_id}", str(team))


@pytest.mark.parametrize("role", ["editor", "caseworker"])
def test_editors_and_caseworkers_get_403_on_admin_pages(web: TestClient, role: str) -> None:
    team = add_team(web, TEAM)
    user = add_user(web, "ben@example.org", "editor")
    csrf = signed_in(web, "cy@example.org", role, team=TEAM)

    pages = {path: web.get(path.format(user=user, team=team)).status_code for path in ADMIN_PAGES}
    posts = {
        path: web.post(fill(path, user, team), data={"csrf_token": csrf}).status_code
        for path in ADMIN_POSTS
    }

    assert set(pages.values()) == {403}, pages
    assert set(posts.values()) == {403}, posts
    assert web.get("/admin/account").status_code == 200


def test_an_admin_opens_every_admin_page_and_none_is_cached(web: TestClient) -> None:
    with database(web) as db:
        load_needs(db)
    team = add_team(web, TEAM, is_fallback=True, duty_phones="+447911123456", needs="pressured")
    user = add_user(web, "ben@example.org", "caseworker", team=TEAM, totp_secret="encrypted")
    signed_in(web, "ana@example.org")

    pages = [web.get(path.format(user=user, team=team)) for path in ADMIN_PAGES]
    pages += [web.get("/admin/account"), web.get("/admin/account/two-factor")]

    assert [page.status_code for page in pages] == [200] * len(pages)
    assert {page.headers["cache-control"] for page in pages} == {"no-store"}
    assert "(fallback team)" in pages[3].text
    assert 'value="yes" checked' in pages[5].text  # the team's fallback box
    assert "Remove their second factor" in pages[2].text


def test_signed_out_visitors_are_sent_to_sign_in(web: TestClient) -> None:
    response = web.get("/admin/users")

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin/users"


def snapshot(client: TestClient) -> list[list[dict[str, object]]]:
    with database(client) as db:
        return [
            sorted((row.model_dump() for row in db.exec(select(model)).all()), key=repr)
            for model in (User, Team, AppSetting, AuditEvent, AdminSession)
        ]


@pytest.mark.parametrize("token", ["", "wrong-token"], ids=["missing token", "wrong token"])
@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
    web: TestClient, path: str, token: str
) -> None:
    team = add_team(web, TEAM)
    user = add_user(web, "ben@example.org", "editor", totp_secret="encrypted-secret")
    signed_in(web, "ana@example.org")
    before = snapshot(web)
    form = {**team_form(), "role": "admin", "password": PASSWORD, "current": PASSWORD}
    if token:
        form["csrf_token"] = token

    response = web.post(fill(path, user, team), data=form)

    assert response.status_code == 403
    assert snapshot(web) == before
