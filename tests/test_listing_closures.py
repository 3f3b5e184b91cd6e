"""Temporarily closed and scheduled listings, watching a listing, and listings not checked for 180
days on the dashboard per organisation."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import ProblemReport, Service, utcnow
from tests.app_context import context, set_clock
from tests.factories import EVERY_DAY, make_service
from tests.listing_helpers import (
    EDITOR,
    approve,
    db,
    editor,
    listing_form,
    reload,
    second_person,
    tick,
)

__all__ = ["db", "editor"]  # fixtures

LONDON = ZoneInfo("Europe/London")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=LONDON)


def at(client: TestClient, moment: datetime) -> None:
    """The app's time, for handlers and for the API's cache of lists (kept per day)."""
    set_clock(client, lambda: moment)
    context(client).clock = lambda: moment


def night_line(db: Session, **changes: object) -> Service:
    service = make_service(
        db, "Night line", needs=["pressured"], hours=[(EVERY_DAY, time(0), time(0))]
    )
    for name, value in changes.items():
        setattr(service, name, value)
    db.commit()
    return service


def test_a_temporarily_closed_service_says_so_in_the_readers_language_and_is_not_open_now(
    client: TestClient, db: Session
) -> None:
    service = night_line(
        db, closed_until=date(2026, 11, 30), closed_message="Closed for repairs. Call 0800 1111."
    )
    at(client, WEDNESDAY_NOON)

    polish = client.get(f"/pl/help/{service.id}").text
    english = client.get(f"/en/help/{service.id}").text

    assert "Na razie zamknięte. Powinno być znowu otwarte 1 grudnia 2026." in polish
    assert '<p class="status" lang="en">Closed for repairs. Call 0800 1111.</p>' in polish
    assert "Closed for now. It should open again on 1 December 2026." in english
    assert "Open now" not in english
    assert "Night line" in client.get("/en/help?need=pressured").text
    assert "Night line" not in client.get("/en/help?need=pressured&open=1").text

    at(client, datetime(2026, 12, 1, 0, 30, tzinfo=LONDON))  # the day it opens again
    assert "Night line" in client.get("/en/help?need=pressured&open=1").text
    assert "Closed for repairs" not in client.get(f"/en/help/{service.id}").text


def test_a_scheduled_listing_shows_only_from_its_first_to_its_last_day_everywhere(
    client: TestClient, db: Session, editor: str
) -> None:
    service = night_line(db, show_from=date(2026, 12, 1), show_until=date(2026, 12, 31))
    organisation = f"/api/v1/organizations/{service.organization_id}"

    def seen() -> list[bool]:
        return [
            client.get(f"/en/help/{service.id}").status_code == 200,
            "Night line" in client.get("/en/help").text,
            "Night line" in client.get("/api/v1/services").text,
            client.get(f"/api/v1/services/{service.id}").status_code == 200,
            client.get(organisation).status_code == 200,
            "Night line organisation" in client.get("/api/v1/organizations").text,
        ]

    at(client, WEDNESDAY_NOON)
    assert seen() == [False] * 6
    assert "Scheduled: shown from 01 Dec 2026" in client.get("/admin/listings").text
    at(client, datetime(2026, 12, 1, 0, 1, tzinfo=LONDON))
    assert seen() == [True] * 6
    at(client, datetime(2026, 12, 31, 23, 59, tzinfo=LONDON))
    assert seen() == [True] * 6
    at(client, datetime(2027, 1, 1, 0, 1, tzinfo=LONDON))
    assert seen() == [False] * 6


def test_the_editor_sets_a_closure_and_dates_and_refuses_a_note_without_a_date(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line", published=False)
    path = f"/admin/listings/{service.id}"
    fields = listing_form(client, service.id)

    wrong = fields | {
        "closed_message": ["Closed for repairs."],
        "show_from": ["2026-12-10"],
        "show_until": ["2026-12-01"],
    }
    page = client.post(path, data=wrong)
    assert page.status_code == 400
    assert "Enter the last day it is closed, or clear the closure note" in page.text
    assert "The last day to show it must not be before the first" in page.text

    right = wrong | {"closed_until": ["2026-12-24"], "show_until": ["2027-01-31"]}
    assert client.post(path, data=right).status_code == 303
    saved = reload(db, service)
    assert (saved.closed_until, saved.closed_message) == (date(2026, 12, 24), "Closed for repairs.")
    assert (saved.show_from, saved.show_until) == (date(2026, 12, 10), date(2027, 1, 31))
    assert listing_form(client, service.id)["closed_until"] == ["2026-12-24"]


def test_a_watcher_sees_the_listings_changes_and_problem_reports_on_their_dashboard(
    client: TestClient, db: Session, editor: str
) -> None:
    watched = make_service(db, "Youth line")
    other = make_service(db, "Other line")
    response = client.post(f"/admin/listings/{watched.id}/watch", data={"csrf_token": editor})
    assert response.status_code == 303
    for service in (watched, other):
        report = ProblemReport(
            service_id=service.id, kind="wrong-hours", details=service.name, created_at=utcnow()
        )
        db.add(report)
    db.commit()
    fields = listing_form(client, watched.id) | {"summary": ["Help at night."]}
    tick(client)
    client.post(f"/admin/listings/{watched.id}", data=fields)
    browser, token = second_person(client, db)
    approve(browser, token, watched)

    board = client.get("/admin/").text
    mine = board[board.index("Listings you watch") : board.index("Listings not checked")]

    assert "Changes waiting for approval" not in board  # approved, so nothing waits
    assert f"summary changed by {EDITOR}, approved by approver@example.org" in mine
    assert "wrong-hours – Youth line" in mine
    assert "Other line" not in mine

    client.post(f"/admin/listings/{watched.id}/unwatch", data={"csrf_token": editor})
    assert "You watch no listings" in client.get("/admin/").text


def test_drafts_waiting_show_on_the_dashboard(client: TestClient, db: Session, editor: str) -> None:
    service = make_service(db, "Youth line")
    fields = listing_form(client, service.id) | {"summary": ["Help at night."]}
    client.post(f"/admin/listings/{service.id}", data=fields)

    board = client.get("/admin/").text

    assert "Changes waiting for approval: 1" in board
    assert f"Youth line</a>: proposed by {EDITOR}" in board


def test_listings_not_checked_for_180_days_are_listed_per_organisation(
    client: TestClient, db: Session, editor: str
) -> None:
    old = date(2026, 11, 25) - timedelta(days=181)
    first = make_service(db, "Youth line")
    second = make_service(db, "Youth chat")
    second.organization_id = first.organization_id
    recent = make_service(db, "Checked line")
    for service, checked in ((first, old), (second, None), (recent, date(2026, 11, 1))):
        service.assured_date = checked
        service.verified = checked is not None
    db.commit()

    board = client.get("/admin/").text
    stale = board[board.index("Listings not checked in 180 days") :]

    group = stale[stale.index("<h3>Youth line organisation</h3>") :].split("</ul>", 1)[0]
    assert "Youth chat</a> – never checked" in group
    assert "Youth line</a> – last checked 28 May 2026" in group
    assert "Checked line" not in stale
    assert "Youth chat organisation" not in stale  # its listing moved to the other organisation
