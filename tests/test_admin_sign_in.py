"""Staff sign-in: passwords, lockout, session timeouts, rotation, revocation, the second factor,
temporary passwords, the admins-must-use-a-second-factor setting, and `create-user`."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.admin.access import COOKIE
from app.admin.settings_store import EDITORS_NEED_TWO_FACTOR, set_flag
from app.models import User
from app.security import DataCipher
from app.settings import Settings
from tests.admin_helpers import (
    CONFIRM,
    NOON,
    PASSWORD,
    add_team,
    add_user,
    audit_trail,
    csrf_of,
    database,
    enforce_second_factor_setup,
    other_browser,
    session_cookie,
    set_clock,
    sign_in,
    signed_in,
    token_from,
)
from tests.app_context import clock_of, context, no_sign_in_delay

NOT_RIGHT = "The email address or password is not right"


@pytest.fixture
def web(client: TestClient) -> TestClient:
    no_sign_in_delay(client)
    set_clock(client, NOON)
    return client


def is_signed_out(response: object) -> bool:
    location: str = getattr(response, "headers", {}).get("location", "")
    return getattr(response, "status_code", 0) == 303 and location.startswith("/admin/login")


def test_the_right_password_signs_in_and_opens_the_dashboard(web: TestClient) -> None:
    add_user(web, "ana@example.org", "editor")

    response = sign_in(web, "Ana@Example.org ", PASSWORD)

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/"
    assert "HttpOnly" in response.headers["set-cookie"]
    assert "Path=/admin" in response.headers["set-cookie"]
    assert "samesite=lax" in response.headers["set-cookie"].lower()
    dashboard = web.get("/admin/")
    assert dashboard.status_code == 200
    assert "ana@example.org" in dashboard.text
    assert dashboard.headers["cache-control"] == "no-store"


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(web: TestClient) -> None:
    add_user(web, "ana@example.org", "editor")

    wrong_password = sign_in(web, "ana@example.org", "not the password at all")
    unknown_email = sign_in(web, "nobody@example.org", PASSWORD)

    for response in (wrong_password, unknown_email):
        assert response.status_code == 400
        assert NOT_RIGHT in response.text
        assert "<title>Error: " in response.text
    assert session_cookie(web) is None


def test_five_failures_lock_the_account_for_fifteen_minutes(web: TestClient) -> None:
    add_user(web, "ana@example.org", "editor")

    answers = [sign_in(web, "ana@example.org", "wrong password here").status_code for _ in range(5)]
    set_clock(web, NOON + timedelta(minutes=14))
    still_locked = sign_in(web, "ana@example.org", PASSWORD)
    set_clock(web, NOON + timedelta(minutes=15, seconds=1))
    after_lockout = sign_in(web, "ana@example.org", PASSWORD)

    assert answers == [400, 400, 400, 400, 429]
    assert still_locked.status_code == 429
    assert "Too many attempts" in still_locked.text
    assert after_lockout.status_code == 303


def test_an_unknown_email_locks_the_same_way(web: TestClient) -> None:
    answers = [sign_in(web, "nobody@example.org", "wrong password").status_code for _ in range(6)]

    assert answers == [400, 400, 400, 400, 429, 429]


def test_a_session_ends_after_30_idle_minutes(web: TestClient) -> None:
    add_user(web, "ana@example.org", "editor")
    sign_in(web, "ana@example.org")

    set_clock(web, NOON + timedelta(minutes=29))
    busy = web.get("/admin/")
    set_clock(web, NOON + timedelta(minutes=29 + 31))
    idle = web.get("/admin/")

    assert busy.status_code == 200
    assert is_signed_out(idle)


def test_a_session_ends_12_hours_after_sign_in_however_busy(web: TestClient) -> None:
    add_user(web, "ana@example.org", "editor")
    sign_in(web, "ana@example.org")

    for minutes in range(20, 12 * 60, 20):
        set_clock(web, NOON + timedelta(minutes=minutes))
        assert web.get("/admin/").status_code == 200
    set_clock(web, NOON + timedelta(hours=12, minutes=1))

    assert is_signed_out(web.get("/admin/"))


def test_each_sign_in_gets_a_new_session_and_a_signed_out_one_stops_working(
    web: TestClient,
) -> None:
    csrf = signed_in(web, "ana@example.org", "editor")
    first = session_cookie(web)
    web.post("/admin/logout", data={"csrf_token": csrf})
    sign_in(web, "ana@example.org")
    second = session_cookie(web)
    replay = other_browser(web)
    replay.cookies.set(COOKIE, first or "")

    assert first and second and first != second
    assert is_signed_out(replay.get("/admin/"))
    assert web.get("/admin/").status_code == 200


def test_signing_out_everywhere_ends_every_session(web: TestClient) -> None:
    csrf = signed_in(web, "ana@example.org", "editor")
    phone = other_browser(web)
    sign_in(phone, "ana@example.org")

    response = web.post("/admin/logout-everywhere", data={"csrf_token": csrf})

    assert is_signed_out(response)
    assert is_signed_out(phone.get("/admin/"))
    assert is_signed_out(web.get("/admin/"))


def test_deactivating_a_user_ends_their_sessions_at_once(web: TestClient) -> None:
    user_id = add_user(web, "ben@example.org", "editor")
    ben = other_browser(web)
    sign_in(ben, "ben@example.org")
    csrf = signed_in(web, "ana@example.org")

    web.post(f"/admin/users/{user_id}/deactivate", data={"csrf_token": csrf})

    assert is_signed_out(ben.get("/admin/"))
    assert sign_in(ben, "ben@example.org").status_code == 400


def test_a_temporary_password_must_be_changed_at_first_sign_in(web: TestClient) -> None:
    csrf = signed_in(web, "ana@example.org")
    web.post(
        "/admin/users/new",
        data={
            "email": "cy@example.org",
            "role": "editor",
            "password": "temporary pass 1",
            "csrf_token": csrf,
        },
    )
    cy = other_browser(web)

    first = sign_in(cy, "cy@example.org", "temporary pass 1")
    sent_on = [
        cy.get(path).headers.get("location")
        for path in (first.headers["location"], "/admin/account")
    ]
    form = token_from(cy, "/admin/account/password")
    new = "my own long password"
    changed = cy.post(
        "/admin/account/password",
        data={"current": "temporary pass 1", "new": new, "confirm": new, "csrf_token": form},
    )

    assert sent_on == ["/admin/account/password", "/admin/account/password"]
    assert changed.status_code == 303
    assert cy.get("/admin/account").status_code == 200


def test_a_new_temporary_password_ends_their_sessions_and_must_be_changed(web: TestClient) -> None:
    user_id = add_user(web, "ben@example.org", "editor")
    ben = other_browser(web)
    sign_in(ben, "ben@example.org")
    csrf = signed_in(web, "ana@example.org")

    web.post(
        f"/admin/users/{user_id}/password",
        data={"password": "a fresh temporary one", "csrf_token": csrf, **CONFIRM},
    )

    assert is_signed_out(ben.get("/admin/"))
    assert sign_in(ben, "ben@example.org").status_code == 400
    sign_in(ben, "ben@example.org", "a fresh temporary one")
    assert ben.get("/admin/").headers["location"] == "/admin/account/password"


def turn_on_two_factor(client: TestClient) -> str:
    """Set up TOTP through the account pages, as a person with an authenticator app does."""
    page = client.get("/admin/account/two-factor")
    assert page.status_code == 200
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text)
    assert shown
    secret = shown.group(1).replace(" ", "")
    assert f"secret={secret}" in page.text  # the otpauth:// URI, as text
    pending = re.search(r'name="pending" value="([^"]+)"', page.text)
    assert pending
    data = {
        "code": pyotp.TOTP(secret).at(clock_of(client)()),
        "pending": pending.group(1),
        "csrf_token": csrf_of(page.text),
    }
    assert client.post("/admin/account/two-factor", data=data).status_code == 303
    return secret


def test_once_a_second_factor_is_set_sign_in_asks_for_the_code(web: TestClient) -> None:
    add_team(web)
    csrf = signed_in(web, "ana@example.org", "caseworker", team="North youth team")
    secret = turn_on_two_factor(web)
    web.post("/admin/logout", data={"csrf_token": csrf})
    later = NOON + timedelta(seconds=30)  # the set-up's code cannot be used again
    set_clock(web, later)

    signed = sign_in(web, "ana@example.org")
    blocked = web.get("/admin/")
    code_form = token_from(web, "/admin/login/code")
    wrong = web.post("/admin/login/code", data={"code": "000000", "csrf_token": code_form})
    code = pyotp.TOTP(secret).at(later)
    right = web.post("/admin/login/code", data={"code": code, "csrf_token": code_form})
    web.post("/admin/logout", data={"csrf_token": token_from(web)})
    sign_in(web, "ana@example.org")
    replayed = web.post(
        "/admin/login/code", data={"code": code, "csrf_token": token_from(web, "/admin/login/code")}
    )

    assert signed.status_code == 303
    assert blocked.headers["location"] == "/admin/login/code"
    assert wrong.status_code == 400
    assert right.headers["location"] == "/admin/"
    assert replayed.status_code == 400  # one code, one use
    with database(web) as db:
        stored = db.exec(select(User.totp_secret)).one()
    assert stored and secret not in stored
    key = context(web).settings.data_key.get_secret_value()  # type: ignore[union-attr]
    assert DataCipher(key).decrypt(stored) == secret


def test_a_wrong_set_up_code_leaves_the_second_factor_off(web: TestClient) -> None:
    csrf = signed_in(web, "ana@example.org")
    page = web.get("/admin/account/two-factor")
    pending = re.search(r'name="pending" value="([^"]+)"', page.text)
    assert pending

    response = web.post(
        "/admin/account/two-factor",
        data={"code": "123456", "pending": pending.group(1), "csrf_token": csrf},
    )
    forged = web.post(
        "/admin/account/two-factor",
        data={"code": "123456", "pending": "not-encrypted", "csrf_token": csrf},
    )

    assert response.status_code == 400
    assert "<title>Error: " in response.text
    assert forged.status_code == 400
    with database(web) as db:
        assert db.exec(select(User.totp_secret)).one() is None


def test_removing_the_second_factor_needs_the_current_password(web: TestClient) -> None:
    signed_in(web, "ed@example.org", "editor")
    with database(web) as db:  # an admin let editors go without a second factor
        set_flag(db, EDITORS_NEED_TWO_FACTOR, False)
        db.commit()
    turn_on_two_factor(web)
    csrf = token_from(web)

    refused = web.post(
        "/admin/account/two-factor/remove", data={"current": "wrong", "csrf_token": csrf}
    )
    removed = web.post(
        "/admin/account/two-factor/remove", data={"current": PASSWORD, "csrf_token": csrf}
    )

    assert refused.status_code == 400
    assert removed.status_code == 303
    with database(web) as db:
        assert db.exec(select(User.totp_secret)).one() is None


def test_when_admins_must_use_a_second_factor_they_are_sent_to_set_one_up(
    web: TestClient,
) -> None:
    csrf = signed_in(web, "ana@example.org")
    add_team(web)
    editor = other_browser(web)
    add_user(web, "ed@example.org", "editor")
    sign_in(editor, "ed@example.org")

    web.post("/admin/settings", data={"csrf_token": csrf})  # editors may go without
    enforce_second_factor_setup(web)

    assert web.get("/admin/users").headers["location"] == "/admin/account/two-factor"
    assert web.get("/admin/account").headers["location"] == "/admin/account/two-factor"
    assert editor.get("/admin/account").status_code == 200
    turn_on_two_factor(web)
    assert web.get("/admin/users").status_code == 200
    removal = web.post(
        "/admin/account/two-factor/remove", data={"current": PASSWORD, "csrf_token": csrf}
    )
    assert removal.status_code == 400
    assert web.post("/admin/logout", data={"csrf_token": csrf}).status_code == 303


def test_an_admin_who_must_set_up_a_second_factor_can_still_sign_out(web: TestClient) -> None:
    csrf = signed_in(web, "ana@example.org")
    enforce_second_factor_setup(web)

    response = web.post("/admin/logout", data={"csrf_token": csrf})

    assert is_signed_out(response)
    assert [event.action for event in audit_trail(web)][-1] == "sign-out"


def create_user_command(
    settings: Settings, tmp_path: Path, password: str, *args: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DATA_KEY", "APP_ENV", "DATABASE_URL"}
    }
    environment |= {"VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": settings.database_url}
    return subprocess.run(
        [sys.executable, "-m", "app", "create-user", *args],
        input=password + "\n",
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_create_user_reads_the_password_from_standard_input(
    settings: Settings, migrated_engine: Engine, tmp_path: Path
) -> None:
    args = ("--email", "First@Example.org", "--role", "admin")

    result = create_user_command(settings, tmp_path, PASSWORD, *args)

    assert result.returncode == 0, result.stderr
    assert "created admin first@example.org" in result.stdout
    with Session(migrated_engine) as db:
        user = db.exec(select(User)).one()
    assert (user.email, user.role, user.active) == ("first@example.org", "admin", True)
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("password", "args", "message"),
    [
        ("short", ("--role", "editor"), "at least 12 characters"),
        (PASSWORD, ("--role", "caseworker", "--team", "Nowhere"), "no team called 'Nowhere'"),
        ("", ("--role", "editor"), "standard input"),
    ],
    ids=["short password", "unknown team", "no password"],
)
def test_create_user_gives_a_one_line_error(
    settings: Settings,
    migrated_engine: Engine,
    tmp_path: Path,
    password: str,
    args: tuple[str, ...],
    message: str,
) -> None:
    result = create_user_command(settings, tmp_path, password, "--email", "a@example.org", *args)

    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 1
    assert len(errors) == 1
    assert message in errors[0]
    with Session(migrated_engine) as db:
        assert db.exec(select(User)).first() is None
