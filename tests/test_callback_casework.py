"""A caseworker's day with a callback request: found from the menu, worked, logged and closed;
and who may see a young person's number (the routed team's caseworkers; an admin only by
breaking glass with a reason)."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from app.callbacks.retention import wipe_expired
from app.models import CallbackActivity, CallbackRequest
from tests.admin_helpers import (
    NOON,
    add_team,
    audit_trail,
    csrf_of,
    database,
    set_clock,
    sign_in,
    signed_in,
    token_from,
)
from tests.test_callback_queue import PHONE, make_request

TEAM = "North"


def stored(client: TestClient, reference: str) -> CallbackRequest:
    with database(client) as db:
        return db.exec(select(CallbackRequest).where(CallbackRequest.reference == reference)).one()


def post(client: TestClient, path: str, token: str, **data: str) -> str:
    """Post a form as the browser does and return the page it ends on."""
    response = client.post(path, data={"csrf_token": token, **data})
    if response.status_code == 303:
        return client.get(response.headers["location"]).text
    assert response.status_code in (200, 400), response.status_code
    return response.text


def test_a_caseworker_sees_new_and_overdue_counts_in_the_menu_and_the_queue_on_the_dashboard(
    client: TestClient,
) -> None:
    add_team(client, TEAM, areas="LU1")
    make_request(client, "LU1", at=NOON - timedelta(hours=30))  # overdue
    make_request(client, "LU1", at=NOON)
    make_request(client, "LU1", at=NOON)
    set_clock(client, NOON)
    signed_in(client, "worker@example.org", "caseworker", team=TEAM)

    dashboard = client.get("/admin/").text

    assert '<a href="/admin/callbacks">Callbacks' in dashboard
    assert "(3 new, 1 overdue)" in dashboard
    assert dashboard.count('<li class="overdue">') == 1
    assert dashboard.count("/admin/callbacks/") >= 3  # each request opens from the dashboard


def test_an_editor_has_no_callbacks_link(client: TestClient) -> None:
    signed_in(client, "editor@example.org", "editor")

    assert "/admin/callbacks" not in client.get("/admin/").text


def test_the_queue_shows_what_a_caseworker_needs_before_opening_a_request(
    client: TestClient,
) -> None:
    add_team(client, TEAM, areas="LU1")
    reference = make_request(client, "LU1", at=NOON - timedelta(hours=2))
    set_clock(client, NOON)
    signed_in(client, "worker@example.org", "caseworker", team=TEAM)

    queue = client.get("/admin/callbacks").text

    card = queue[queue.index(reference) :]
    for shown in ("2 hours ago", "in 22 hours", "LU1", "اردو", "Today", "No: keep it private"):
        assert shown in card, shown
    assert "Nobody yet" in card and "<table" not in queue


def test_the_queue_filters_by_status_and_shows_who_claimed(client: TestClient) -> None:
    add_team(client, TEAM, areas="LU1")
    set_clock(client, NOON)
    claimed, waiting = make_request(client, "LU1"), make_request(client, "LU1")
    token = signed_in(client, "worker@example.org", "caseworker", team=TEAM)
    post(client, f"/admin/callbacks/{claimed}/claim", token)

    only_new = client.get("/admin/callbacks?status=new").text
    only_claimed = client.get("/admin/callbacks?status=claimed").text

    assert waiting in only_new and claimed not in only_new
    assert claimed in only_claimed and "worker@example.org" in only_claimed


def test_no_answer_keeps_the_request_open_and_suggests_the_next_try_within_the_team_hours(
    client: TestClient,
) -> None:
    add_team(client, TEAM, areas="LU1")  # Monday to Friday, 9:00 to 17:00
    set_clock(client, NOON + timedelta(hours=4))  # Wednesday 16:00 in London
    reference = make_request(client, "LU1", at=NOON)
    token = signed_in(client, "worker@example.org", "caseworker", team=TEAM)

    page = post(client, f"/admin/callbacks/{reference}/attempts", token, kind="no-answer")

    request = stored(client, reference)
    assert (request.status, request.claimed_by is not None) == ("claimed", True)
    assert "Called, no answer" in page
    assert "Try again" in page and "Thu 26 Nov, 09:00" in page  # 18:00 is after hours


def test_a_note_is_encrypted_kept_out_of_the_audit_log_and_wiped_with_the_number(
    client: TestClient,
) -> None:
    add_team(client, TEAM, areas="LU1")
    set_clock(client, NOON)
    reference = make_request(client, "LU1", at=NOON)
    token = signed_in(client, "worker@example.org", "caseworker", team=TEAM)
    secret = "Lives with nan, call after school"

    page = post(client, f"/admin/callbacks/{reference}/notes", token, note=secret)

    assert secret in page
    with database(client) as db:
        row = db.exec(select(CallbackActivity)).one()
        assert row.note_encrypted and secret not in row.note_encrypted
    assert all(secret not in event.detail for event in audit_trail(client))
    assert "note" in [event.action for event in audit_trail(client)]
    with database(client) as db:
        wipe_expired(db, NOON + timedelta(days=91), 30, 90)
        db.commit()
        assert db.exec(select(CallbackActivity)).one().note_encrypted is None


def test_an_empty_or_too_long_note_is_refused_and_kept_on_the_page(client: TestClient) -> None:
    add_team(client, TEAM, areas="LU1")
    set_clock(client, NOON)
    reference = make_request(client, "LU1", at=NOON)
    token = signed_in(client, "worker@example.org", "caseworker", team=TEAM)
    long_note = "x" * 2001

    empty = client.post(f"/admin/callbacks/{reference}/notes", data={"csrf_token": token})
    too_long = client.post(
        f"/admin/callbacks/{reference}/notes", data={"csrf_token": token, "note": long_note}
    )

    assert empty.status_code == 400 and "Write the note first" in empty.text
    assert too_long.status_code == 400 and "under 2000 characters" in too_long.text
    assert long_note in too_long.text
    with database(client) as db:
        assert db.exec(select(CallbackActivity)).all() == []


def test_closing_needs_an_outcome_and_referred_on_needs_the_service(client: TestClient) -> None:
    add_team(client, TEAM, areas="LU1")
    set_clock(client, NOON)
    reference = make_request(client, "LU1", at=NOON)
    token = signed_in(client, "worker@example.org", "caseworker", team=TEAM)
    path = f"/admin/callbacks/{reference}/close"

    nothing = client.post(path, data={"csrf_token": token})
    no_service = client.post(path, data={"csrf_token": token, "outcome": "referred"})
    referred = client.post(
        path, data={"csrf_token": token, "outcome": "referred", "referred_to": "Fearless"}
    )

    assert nothing.status_code == 400 and "Choose what happened" in nothing.text
    assert no_service.status_code == 400 and "which service" in no_service.text
    assert referred.status_code == 303
    request = stored(client, reference)
    assert (request.status, request.outcome, request.referred_to) == (
        "closed",
        "referred",
        "Fearless",
    )


def test_no_contact_needs_three_attempts_on_two_days(client: TestClient) -> None:
    add_team(client, TEAM, areas="LU1")
    set_clock(client, NOON)
    reference = make_request(client, "LU1", at=NOON)
    token = signed_in(client, "worker@example.org", "caseworker", team=TEAM)
    attempts, close = (
        f"/admin/callbacks/{reference}/attempts",
        f"/admin/callbacks/{reference}/close",
    )
    for minutes in (0, 10, 20):
        set_clock(client, NOON + timedelta(minutes=minutes))
        post(client, attempts, token, kind="no-answer")

    same_day = client.post(close, data={"csrf_token": token, "outcome": "no-contact"})
    set_clock(client, NOON + timedelta(days=1))
    sign_in(client, "worker@example.org")  # the session has timed out overnight
    token = token_from(client)
    post(client, attempts, token, kind="no-message")
    next_day = client.post(close, data={"csrf_token": token, "outcome": "no-contact"})

    assert same_day.status_code == 400 and "3 logged, on 1 day" in same_day.text
    assert next_day.status_code == 303
    assert stored(client, reference).outcome == "no-contact"


def test_a_caseworker_sees_the_number_as_call_and_text_links_and_the_private_script(
    client: TestClient,
) -> None:
    add_team(client, TEAM, areas="LU1")
    set_clock(client, NOON)
    reference = make_request(client, "LU1", at=NOON)  # said: keep it private, texts are safe
    token = signed_in(client, "worker@example.org", "caseworker", team=TEAM)

    before = client.get(f"/admin/callbacks/{reference}").text
    page = post(client, f"/admin/callbacks/{reference}/reveal", token)

    assert "Keep it private" in before and "returning your call" in before
    assert PHONE not in before
    assert f'href="tel:{PHONE}"' in page and f'href="sms:{PHONE}"' in page


def test_an_admin_without_the_team_sees_the_number_only_by_breaking_glass_with_a_reason(
    client: TestClient,
) -> None:
    add_team(client, TEAM, areas="LU1")
    set_clock(client, NOON)
    reference = make_request(client, "LU1", at=NOON)
    token = signed_in(client, "admin@example.org", "admin")

    page = client.get(f"/admin/callbacks/{reference}").text
    reveal = client.post(f"/admin/callbacks/{reference}/reveal", data={"csrf_token": token})
    no_reason = client.post(
        f"/admin/callbacks/{reference}/break-glass", data={"csrf_token": token, "reason": "x"}
    )
    reason = "Police asked about a missing child"
    broken = client.post(
        f"/admin/callbacks/{reference}/break-glass", data={"csrf_token": token, "reason": reason}
    )

    assert "Show the number" not in page and "Break glass" in page
    assert reveal.status_code == 400 and "Only the team this request is routed to" in reveal.text
    assert PHONE not in reveal.text
    assert no_reason.status_code == 400 and PHONE not in no_reason.text
    assert broken.status_code == 200 and PHONE in broken.text
    glass = [event for event in audit_trail(client) if event.action == "break-glass"]
    assert len(glass) == 1 and reason in glass[0].detail and glass[0].entity_id == reference


def test_an_admin_dashboard_shows_each_team_and_requests_with_no_duty_phone(
    client: TestClient,
) -> None:
    add_team(client, TEAM, areas="LU1", duty_phones="")
    add_team(client, "South", areas="LU3", duty_phones="+447700900123")
    set_clock(client, NOON)
    make_request(client, "LU1", at=NOON - timedelta(hours=30))
    make_request(client, "LU3", at=NOON)
    signed_in(client, "admin@example.org", "admin")

    dashboard = client.get("/admin/").text

    assert "1 open callback request is with a team that has no duty phone" in dashboard
    north = dashboard[dashboard.index(">North<") :]
    assert "<td>1</td><td>1</td><td>1</td><td><strong>None</strong>" in north
    assert "(2 new, 1 overdue)" in dashboard


def test_a_closed_request_takes_no_more_attempts(client: TestClient) -> None:
    add_team(client, TEAM, areas="LU1")
    set_clock(client, NOON)
    reference = make_request(client, "LU1", at=NOON)
    token = signed_in(client, "worker@example.org", "caseworker", team=TEAM)
    post(client, f"/admin/callbacks/{reference}/close", token, outcome="not-appropriate")

    late = client.post(
        f"/admin/callbacks/{reference}/attempts", data={"csrf_token": token, "kind": "spoke"}
    )

    assert late.status_code == 400 and "This request is closed" in late.text
    assert csrf_of(late.text)
    with database(client) as db:
        assert db.exec(select(CallbackActivity)).all() == []
