"""Two caseworkers acting on one request at once: exactly one claim (or close) wins, the other is
told, and nothing is changed or audited twice. Runs on SQLite and (TEST_DATABASE_URL) PostgreSQL,
each caseworker in their own thread with their own database session."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.admin.access import Staff
from app.callbacks.casework import claim, close
from app.callbacks.queue import QueueError, get_for
from app.models import AdminSession, CallbackRequest, User
from app.security import new_token
from tests.admin_helpers import (
    NOON,
    add_team,
    add_user,
    audit_trail,
    database,
    set_clock,
    signed_in,
)
from tests.test_callback_queue import make_request

TEAM = "North"
Action = Callable[[Session, Staff, CallbackRequest], None]


def caseworker(client: TestClient, email: str) -> tuple[int, str]:
    """A caseworker of the North team with a signed-in session: (user id, session id)."""
    user_id = add_user(client, email, "caseworker", team=TEAM)
    with database(client) as db:
        staff_session = AdminSession(
            id=new_token(),
            user_id=user_id,
            csrf_token=new_token(),
            created_at=NOON,
            last_seen_at=NOON,
        )
        db.add(staff_session)
        db.commit()
        return user_id, staff_session.id


def at_once(
    client: TestClient, reference: str, actions: dict[str, Action]
) -> dict[str, tuple[str, str]]:
    """Run each caseworker's action in its own thread and session, all reading the request
    first and then acting together. For each: what they were told ("done", or the QueueError
    message) and the status their page would then show."""
    staff = {email: caseworker(client, email) for email in actions}
    everyone_has_read = threading.Barrier(len(actions))

    def act(email: str) -> tuple[str, str]:
        user_id, session_id = staff[email]
        with database(client) as db:
            user = db.get(User, user_id)
            staff_session = db.get(AdminSession, session_id)
            assert user is not None and staff_session is not None
            request = get_for(db, user, reference)
            everyone_has_read.wait(timeout=10)
            try:
                actions[email](db, Staff(user, staff_session, NOON), request)
            except QueueError as error:
                return str(error), request.status
            db.commit()
            return "done", request.status

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        told = {email: pool.submit(act, email) for email in actions}
        return {email: future.result(timeout=60) for email, future in told.items()}


def stored(client: TestClient, reference: str) -> CallbackRequest:
    with database(client) as db:
        return db.exec(select(CallbackRequest).where(CallbackRequest.reference == reference)).one()


def test_two_caseworkers_claiming_one_request_at_once_leaves_exactly_one_owner(
    client: TestClient,
) -> None:
    add_team(client, TEAM, areas="LU1")
    reference = make_request(client, "LU1")

    def claiming(db: Session, staff: Staff, request: CallbackRequest) -> None:
        claim(db, staff, request)

    told = at_once(client, reference, {"ana@example.org": claiming, "ben@example.org": claiming})

    assert sorted(told.values()) == [
        ("Someone has already claimed this request", "claimed"),
        ("done", "claimed"),
    ]
    winner = next(email for email, (answer, _status) in told.items() if answer == "done")
    with database(client) as db:
        owner = db.get(User, stored(client, reference).claimed_by)
    assert owner is not None and owner.email == winner
    claims = [event for event in audit_trail(client) if event.action == "claim"]
    assert [event.actor for event in claims] == [winner]


def test_two_caseworkers_closing_one_request_at_once_close_it_once(client: TestClient) -> None:
    add_team(client, TEAM, areas="LU1")
    reference = make_request(client, "LU1")

    def closing_as(outcome: str) -> Action:
        def closing(db: Session, staff: Staff, request: CallbackRequest) -> None:
            close(db, staff, request, outcome, "", [])

        return closing

    told = at_once(
        client,
        reference,
        {"ana@example.org": closing_as("helped"), "ben@example.org": closing_as("not-appropriate")},
    )

    assert sorted(told.values()) == [
        ("This request is already closed", "closed"),
        ("done", "closed"),
    ]
    winner = next(email for email, (answer, _status) in told.items() if answer == "done")
    closes = [event for event in audit_trail(client) if event.action == "close"]
    assert [event.actor for event in closes] == [winner]
    assert stored(client, reference).outcome == closes[0].detail.removeprefix("outcome: ")


def test_closing_a_closed_request_again_changes_nothing(client: TestClient) -> None:
    add_team(client, TEAM, areas="LU1")
    set_clock(client, NOON)
    reference = make_request(client, "LU1")
    token = signed_in(client, "worker@example.org", "caseworker", team=TEAM)
    first = client.post(
        f"/admin/callbacks/{reference}/close", data={"csrf_token": token, "outcome": "helped"}
    )
    closed_at = stored(client, reference).closed_at

    set_clock(client, NOON + timedelta(minutes=10))
    again = client.post(
        f"/admin/callbacks/{reference}/close",
        data={"csrf_token": token, "outcome": "not-appropriate"},
    )

    assert first.status_code == 303
    assert again.status_code == 400 and "This request is already closed" in again.text
    request = stored(client, reference)
    assert (request.outcome, request.closed_at) == ("helped", closed_at)
    assert [event.action for event in audit_trail(client)].count("close") == 1
