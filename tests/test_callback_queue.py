"""A caseworker works their team's queue; personal data is wiped on schedule."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from app.callbacks.requests import CallbackDetails, Stored, create_callback
from app.callbacks.retention import wipe_expired
from app.models import CallbackRequest, OutboundSms
from app.security import Keys
from tests.admin_helpers import (
    NOON,
    add_team,
    audit_trail,
    csrf_of,
    database,
    set_clock,
    signed_in,
)
from tests.app_context import context

PHONE = "+447700900982"


def keys_of(client: TestClient) -> Keys:
    return context(client).keys


def make_request(client: TestClient, area: str, at: datetime = NOON, name: str = "Sam") -> str:
    details = CallbackDetails(
        phone=PHONE,
        name=name,
        best_time="today",
        need=None,
        area=area,
        lang="en",
        call_lang="ur",
        text_ok=True,
        say_who=False,
    )
    stored = create_callback(
        context(client).engine,
        [],
        details,
        keys_of(client),
        at,
        timedelta(hours=24),
        "https://card.example",
        lambda s: s,
    )
    assert isinstance(stored, Stored)
    return stored.reference


def test_a_caseworker_sees_only_their_own_team_requests(client: TestClient) -> None:
    add_team(client, "North", areas="LU1")
    add_team(client, "South", areas="LU3")
    set_clock(client, NOON)
    north = make_request(client, "LU1")
    south = make_request(client, "LU3")
    signed_in(client, "worker@example.org", "caseworker", team="North")

    queue = client.get("/admin/callbacks").text

    assert north in queue and south not in queue
    assert client.get(f"/admin/callbacks/{south}").status_code == 404
    assert client.get(f"/admin/callbacks/{north}").status_code == 200


def test_a_caseworker_claims_reveals_and_closes_a_request(client: TestClient) -> None:
    add_team(client, "North", areas="LU1")
    set_clock(client, NOON)
    reference = make_request(client, "LU1")
    signed_in(client, "worker@example.org", "caseworker", team="North")
    page = client.get(f"/admin/callbacks/{reference}")
    assert "07700" not in page.text and "7700900982" not in page.text

    token = csrf_of(page.text)
    assert (
        client.post(f"/admin/callbacks/{reference}/claim", data={"csrf_token": token}).status_code
        == 303
    )
    revealed = client.post(f"/admin/callbacks/{reference}/reveal", data={"csrf_token": token})
    closed = client.post(
        f"/admin/callbacks/{reference}/close", data={"csrf_token": token, "outcome": "helped"}
    )

    assert PHONE in revealed.text and "Sam" in revealed.text
    assert closed.status_code == 303
    with database(client) as db:
        request = db.exec(select(CallbackRequest)).one()
    assert (request.status, request.outcome) == ("closed", "helped")
    views = [event for event in audit_trail(client) if event.action == "view-contact"]
    assert len(views) == 1 and views[0].entity_id == reference
    assert all(
        PHONE not in event.detail and "Sam" not in event.detail for event in audit_trail(client)
    )


def test_a_request_cannot_be_claimed_twice_or_closed_without_an_outcome(client: TestClient) -> None:
    add_team(client, "North", areas="LU1")
    set_clock(client, NOON)
    reference = make_request(client, "LU1")
    token = signed_in(client, "worker@example.org", "caseworker", team="North")

    client.post(f"/admin/callbacks/{reference}/claim", data={"csrf_token": token})
    again = client.post(f"/admin/callbacks/{reference}/claim", data={"csrf_token": token})
    no_outcome = client.post(f"/admin/callbacks/{reference}/close", data={"csrf_token": token})

    assert again.status_code == 400 and "already claimed" in again.text
    assert no_outcome.status_code == 400 and "Choose what happened" in no_outcome.text


def test_overdue_requests_are_flagged(client: TestClient) -> None:
    add_team(client, "North", areas="LU1")
    reference = make_request(client, "LU1", at=NOON - timedelta(hours=30))
    set_clock(client, NOON)
    signed_in(client, "worker@example.org", "caseworker", team="North")

    queue = client.get("/admin/callbacks").text

    assert reference in queue and "Overdue" in queue


def test_an_admin_sees_every_team_and_an_editor_sees_none(client: TestClient) -> None:
    add_team(client, "North", areas="LU1")
    add_team(client, "South", areas="LU3")
    set_clock(client, NOON)
    north, south = make_request(client, "LU1"), make_request(client, "LU3")
    signed_in(client, "admin@example.org", "admin")
    queue = client.get("/admin/callbacks").text
    assert north in queue and south in queue

    client.post("/admin/logout", data={"csrf_token": csrf_of(queue)})
    signed_in(client, "editor@example.org", "editor")
    assert client.get("/admin/callbacks").status_code == 403


def test_personal_data_is_wiped_30_days_after_closing_and_90_days_after_asking(
    client: TestClient,
) -> None:
    add_team(client, "North", areas="LU1")
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    closed_ref = make_request(client, "LU1", at=start)
    open_ref = make_request(client, "LU1", at=start)
    with database(client) as db:
        closed = db.exec(
            select(CallbackRequest).where(CallbackRequest.reference == closed_ref)
        ).one()
        closed.status, closed.closed_at = "closed", start + timedelta(days=1)
        db.add(closed)
        db.commit()

        assert wipe_expired(db, start + timedelta(days=30), 30, 90) == 0
        assert wipe_expired(db, start + timedelta(days=31, hours=1), 30, 90) == 1
        assert wipe_expired(db, start + timedelta(days=91), 30, 90) == 1

        rows = {row.reference: row for row in db.exec(select(CallbackRequest)).all()}
        texts = db.exec(select(OutboundSms)).all()
    for reference in (closed_ref, open_ref):
        row = rows[reference]
        assert row.phone_encrypted is None and row.name_encrypted is None and row.phone_hash is None
        assert row.wiped_at is not None and row.team_id and row.created_at  # counts remain
    assert all(text.to_encrypted is None for text in texts)


def test_wiping_keeps_requests_that_are_not_yet_due(client: TestClient) -> None:
    add_team(client, "North", areas="LU1")
    reference = make_request(client, "LU1", at=NOON)
    with database(client) as db:
        wipe_expired(db, NOON + timedelta(days=89), 30, 90)
        row = db.exec(select(CallbackRequest).where(CallbackRequest.reference == reference)).one()
    assert row.phone_encrypted is not None
