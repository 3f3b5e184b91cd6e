"""Admin pages for users: adding one with a temporary password, the form's error summary, role and
team changes, no self-demotion, unlocking a locked-out user, removing a lost second factor."""

from fastapi.testclient import TestClient
from sqlmodel import select

from app.models import User
from tests.admin_helpers import (
    CONFIRM,
    PASSWORD,
    TEAM,
    add_team,
    add_user,
    audit_trail,
    database,
    error_links,
    other_browser,
    sign_in,
    signed_in,
    team_row,
    user_row,
    web,
)

__all__ = ["web"]  # fixtures


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

    web.post(
        f"/admin/users/{ben}/password",
        data={"password": "new temporary 1", "csrf_token": csrf, **CONFIRM},
    )

    assert sign_in(other, "ben@example.org", "new temporary 1").status_code == 303


def test_an_admin_removes_the_second_factor_of_a_colleague_who_lost_their_phone(
    web: TestClient,
) -> None:
    ben = add_user(web, "ben@example.org", "editor", totp_secret="encrypted-secret")
    csrf = signed_in(web, "ana@example.org")

    web.post(f"/admin/users/{ben}/two-factor/remove", data={"csrf_token": csrf, **CONFIRM})

    assert user_row(web, "ben@example.org").totp_secret is None
    assert audit_trail(web)[-1].detail == "second factor removed"
    assert sign_in(other_browser(web), "ben@example.org").headers["location"] == "/admin/"
