"""The audit log and settings: every change and sign-in is logged without personal data; the log is
filtered, paged and read-only; an admin turns on the second-factor rule."""

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from app.admin.settings_store import editors_need_two_factor
from app.models import AuditEvent
from tests.admin_helpers import (
    PASSWORD,
    audit_trail,
    database,
    error_links,
    sign_in,
    signed_in,
    team_form,
    team_row,
    user_row,
    web,
)

__all__ = ["web"]  # fixtures


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
    web.post("/admin/settings", data={"csrf_token": csrf})  # editors' rule off
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


def test_an_admin_turns_off_the_editors_second_factor_rule_in_settings(web: TestClient) -> None:
    csrf = signed_in(web, "ana@example.org")

    page = web.get("/admin/settings")
    response = web.post("/admin/settings", data={"csrf_token": csrf})

    assert "Editors must use a second factor" in page.text
    assert response.status_code == 303
    with database(web) as db:
        assert not editors_need_two_factor(db)
