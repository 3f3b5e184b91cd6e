"""Admin pages for people: users, teams, the audit log and settings; who may use them; CSRF."""

import re
from datetime import UTC, datetime, time

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.admin.settings_store import ADMINS_NEED_TWO_FACTOR, get_flag
from app.models import AdminSession, AppSetting, AuditEvent, Team, User
from app.routes import admin_people
from tests.admin_helpers import (
    NOON,
    PASSWORD,
    add_team,
    add_user,
    audit_trail,
    database,
    other_browser,
    set_clock,
    sign_in,
    signed_in,
)
from tests.factories import load_needs

TEAM = "North youth team"


@pytest.fixture
def web(client: TestClient) -> TestClient:
    client.app.app.state.login_delay = 0  # type: ignore[attr-defined]
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


def test_an_admin_adds_a_user_who_must_change_the_temporary_password(web: TestClient) -> None:
    add_team(web, TEAM)
    csrf = signed_in(web, "ana@example.org")
    form = {
        "email": "Cy@Example.org",
        "role": "caseworker",
        "team": TEAM,
        "password": "temporary pass 1",
    }

    response = web.post("/admin/users/new", data={**form, "csrf_token": csrf})

    cy = user_row(web, "cy@example.org")
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{cy.id}?saved=created"
    assert (cy.role, cy.team_id, cy.must_change_password) == (
        "caseworker",
        team_row(web, TEAM).id,
        True,
    )
    created = audit_trail(web)[-1]
    assert (created.action, created.entity, created.entity_id) == ("create", "user", str(cy.id))
    assert "temporary pass 1" not in created.detail
    assert "cy@example.org" in web.get("/admin/users").text


def test_the_user_form_shows_each_problem_in_an_error_summary(web: TestClient) -> None:
    csrf = signed_in(web, "ana@example.org")
    form = {"email": "not an email", "role": "caseworker", "team": "", "password": "short"}

    response = web.post("/admin/users/new", data={**form, "csrf_token": csrf})
    duplicate = web.post(
        "/admin/users/new",
        data={
            "email": "ANA@example.org",
            "role": "editor",
            "password": PASSWORD,
            "csrf_token": csrf,
        },
    )

    assert response.status_code == 400
    assert error_links(response.text) == ["email", "team", "password"]
    assert "There is already an account for ana@example.org" in duplicate.text
    with database(web) as db:
        assert len(db.exec(select(User)).all()) == 1


def test_an_admin_changes_a_users_role_and_team(web: TestClient) -> None:
    add_team(web, TEAM)
    ben = add_user(web, "ben@example.org", "editor")
    csrf = signed_in(web, "ana@example.org")

    response = web.post(
        f"/admin/users/{ben}", data={"role": "caseworker", "team": TEAM, "csrf_token": csrf}
    )

    assert response.status_code == 303
    assert user_row(web, "ben@example.org").role == "caseworker"
    assert audit_trail(web)[-1].detail == f"role: editor → caseworker; team: no team → {TEAM}"


def test_an_admin_cannot_deactivate_or_demote_themselves(web: TestClient) -> None:
    csrf = signed_in(web, "ana@example.org")
    ana = user_row(web, "ana@example.org").id

    demote = web.post(f"/admin/users/{ana}", data={"role": "editor", "csrf_token": csrf})
    deactivate = web.post(f"/admin/users/{ana}/deactivate", data={"csrf_token": csrf})

    assert demote.status_code == 400
    assert error_links(demote.text) == ["role"]
    assert deactivate.status_code == 400
    assert "You cannot deactivate your own account" in deactivate.text
    ana_now = user_row(web, "ana@example.org")
    assert (ana_now.role, ana_now.active) == ("admin", True)
    assert web.get("/admin/").status_code == 200


def test_reactivating_or_a_new_temporary_password_lets_a_locked_out_user_in(
    web: TestClient,
) -> None:
    ben = add_user(web, "ben@example.org", "editor")
    csrf = signed_in(web, "ana@example.org")
    other = other_browser(web)
    for _ in range(5):
        sign_in(other, "ben@example.org", "wrong guesses here")
    assert sign_in(other, "ben@example.org").status_code == 429
    assert "Locked after failed sign-ins" in web.get("/admin/users").text

    web.post(
        f"/admin/users/{ben}/password", data={"password": "new temporary 1", "csrf_token": csrf}
    )

    assert sign_in(other, "ben@example.org", "new temporary 1").status_code == 303


def test_an_admin_removes_the_second_factor_of_a_colleague_who_lost_their_phone(
    web: TestClient,
) -> None:
    ben = add_user(web, "ben@example.org", "editor", totp_secret="encrypted-secret")
    csrf = signed_in(web, "ana@example.org")

    web.post(f"/admin/users/{ben}/two-factor/remove", data={"csrf_token": csrf})

    assert user_row(web, "ben@example.org").totp_secret is None
    assert audit_trail(web)[-1].detail == "second factor removed"
    assert sign_in(other_browser(web), "ben@example.org").headers["location"] == "/admin/"


def test_a_team_is_saved_with_districts_need_codes_and_e164_phones(web: TestClient) -> None:
    with database(web) as db:
        load_needs(db)
    csrf = signed_in(web, "ana@example.org")

    response = web.post("/admin/teams/new", data={**team_form(), "csrf_token": csrf})

    team = team_row(web, "South youth team")
    assert response.headers["location"] == f"/admin/teams/{team.id}?saved=created"
    assert team.areas == "LU4,LU5,LU6"
    assert team.needs == "pressured,hurt-or-robbed"
    assert team.duty_phones == "+447911123456,+447400123456"
    assert (team.works_byday, team.works_from, team.works_until) == (
        "MO,WE,FR",
        time(10),
        time(18, 30),
    )
    assert "+447911" not in "".join(event.detail for event in audit_trail(web))
    page = web.get(f"/admin/teams/{team.id}").text
    assert 'value="LU4, LU5, LU6"' in page
    assert 'value="pressured" checked' in page


def test_the_team_form_checks_every_field_and_shows_an_error_summary(web: TestClient) -> None:
    with database(web) as db:
        load_needs(db)
    add_team(web, TEAM)
    csrf = signed_in(web, "ana@example.org")
    form = team_form(
        name="north YOUTH team",
        areas="LU1, Luton",
        needs=["not-a-need"],
        duty_phones="01582 123456",  # a landline cannot get the duty texts
        days=["XX"],
        works_from="9am",
        works_until="",
    )

    response = web.post("/admin/teams/new", data={**form, "csrf_token": csrf})

    assert response.status_code == 400
    assert error_links(response.text) == [
        "name",
        "areas",
        "needs",
        "duty_phones",
        "days",
        "works_from",
        "works_until",
    ]
    assert "Luton is not a postcode district" in response.text
    assert 'value="LU1, Luton"' in response.text  # what was typed is kept
    with database(web) as db:
        assert len(db.exec(select(Team)).all()) == 1


def test_only_one_team_is_the_fallback_and_it_cannot_just_be_switched_off(
    web: TestClient,
) -> None:
    with database(web) as db:
        load_needs(db)
    first = add_team(web, TEAM, is_fallback=True)
    csrf = signed_in(web, "ana@example.org")

    web.post("/admin/teams/new", data={**team_form(is_fallback="yes"), "csrf_token": csrf})
    second = team_row(web, "South youth team")
    switch_off = web.post(f"/admin/teams/{second.id}", data={**team_form(), "csrf_token": csrf})

    with database(web) as db:
        fallbacks = db.exec(select(Team.id).where(col(Team.is_fallback).is_(True))).all()
    assert fallbacks == [second.id]
    assert first != second.id
    assert switch_off.status_code == 400
    assert error_links(switch_off.text) == ["is_fallback"]


def test_each_change_and_sign_in_is_in_the_audit_log_without_personal_data(
    web: TestClient,
) -> None:
    sign_in(web, "ana@example.org", "a wrong password")
    csrf = signed_in(web, "ana@example.org")
    web.post(
        "/admin/users/new",
        data={
            "email": "ben@example.org",
            "role": "editor",
            "password": PASSWORD,
            "csrf_token": csrf,
        },
    )
    ben = user_row(web, "ben@example.org").id
    web.post(f"/admin/users/{ben}", data={"role": "admin", "csrf_token": csrf})
    web.post("/admin/teams/new", data={**team_form(needs=[]), "csrf_token": csrf})
    team = team_row(web, "South youth team").id
    web.post(f"/admin/teams/{team}", data={**team_form(needs=[], name="S"), "csrf_token": csrf})
    web.post("/admin/settings", data={"admins_need_two_factor": "yes", "csrf_token": csrf})
    web.post("/admin/logout", data={"csrf_token": csrf})

    trail = audit_trail(web)
    assert [(event.action, event.entity) for event in trail] == [
        ("sign-in-failed", None),
        ("sign-in", None),
        ("create", "user"),
        ("update", "user"),
        ("create", "team"),
        ("update", "team"),
        ("update", "setting"),
        ("sign-out", None),
    ]
    assert all(event.actor == "ana@example.org" for event in trail[1:])
    assert all(event.session_ref for event in trail[1:])
    assert trail[5].detail == "changed: name"
    assert not any(PASSWORD in event.detail or "+447911" in event.detail for event in trail)


def add_event(
    client: TestClient, at: datetime, action: str, actor: str = "ana@example.org"
) -> None:
    with database(client) as db:
        db.add(AuditEvent(at=at, action=action, actor=actor))
        db.commit()


def listed_actions(html: str) -> list[str]:
    return re.findall(r"<li>\n<strong>([^<]+)</strong>", html)


def test_the_audit_log_is_newest_first_and_filters_by_action_user_and_london_day(
    web: TestClient,
) -> None:
    signed_in(web, "ana@example.org")
    add_event(web, datetime(2026, 7, 1, 22, 30, tzinfo=UTC), "july-first")  # 23:30 in London
    add_event(web, datetime(2026, 7, 1, 23, 30, tzinfo=UTC), "july-second")  # 00:30 on 2 July
    add_event(web, datetime(2026, 7, 3, 9, 0, tzinfo=UTC), "july-third", "ben@example.org")

    everything = web.get("/admin/audit")
    by_day = web.get("/admin/audit", params={"from": "2026-07-02", "to": "2026-07-02"})
    by_user = web.get("/admin/audit", params={"user": "BEN@example.org"})
    by_action = web.get("/admin/audit", params={"action": "july-first"})
    bad_date = web.get("/admin/audit", params={"from": "yesterday"})

    assert listed_actions(everything.text)[-3:] == ["july-third", "july-second", "july-first"]
    assert listed_actions(by_day.text) == ["july-second"]
    assert listed_actions(by_user.text) == ["july-third"]
    assert listed_actions(by_action.text) == ["july-first"]
    assert bad_date.status_code == 400
    assert error_links(bad_date.text) == ["from"]


def test_the_audit_log_is_paged_and_keeps_its_filters(web: TestClient) -> None:
    signed_in(web, "ana@example.org")
    for minute in range(55):
        add_event(web, datetime(2026, 11, 20, 9, minute, tzinfo=UTC), f"test-{minute:02}")
    add_event(web, datetime(2026, 11, 21, 9, tzinfo=UTC), "other", "ben@example.org")

    first = web.get("/admin/audit", params={"user": "ana@example.org", "to": "2026-11-20"})
    next_url = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert next_url
    second = web.get(next_url.group(1).replace("&amp;", "&"))

    assert len(listed_actions(first.text)) == 50
    assert listed_actions(first.text)[0] == "test-54"
    assert listed_actions(second.text) == [f"test-{minute:02}" for minute in range(4, -1, -1)]
    assert 'rel="next"' not in second.text


def test_the_audit_log_cannot_be_changed_through_the_application(web: TestClient) -> None:
    csrf = signed_in(web, "ana@example.org")
    before = audit_trail(web)
    entry = before[-1].id

    answers = [
        web.post("/admin/audit", data={"csrf_token": csrf}).status_code,
        web.post(f"/admin/audit/{entry}", data={"csrf_token": csrf}).status_code,
        web.post(f"/admin/audit/{entry}/delete", data={"csrf_token": csrf}).status_code,
        web.delete(f"/admin/audit/{entry}").status_code,
        web.put(f"/admin/audit/{entry}").status_code,
    ]

    assert set(answers) <= {404, 405}
    assert [event.model_dump() for event in audit_trail(web)] == [
        event.model_dump() for event in before
    ]


def test_an_admin_turns_on_the_second_factor_rule_in_settings(web: TestClient) -> None:
    csrf = signed_in(web, "ana@example.org")

    page = web.get("/admin/settings")
    response = web.post(
        "/admin/settings", data={"admins_need_two_factor": "yes", "csrf_token": csrf}
    )

    assert "Admins must use a second factor" in page.text
    assert response.status_code == 303
    with database(web) as db:
        assert get_flag(db, ADMINS_NEED_TWO_FACTOR)


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
