"""The editor's actions beyond the form: publish, unpublish, archive and "checked today" show at
once on the public directory; organisations, problem reports, the listings page, the audit log."""

import re
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import AuditEvent, Organization, ProblemReport, utcnow
from tests.factories import make_service
from tests.listing_helpers import (
    EDITOR,
    add_staff,
    audit_actions,
    db,
    editor,
    history_of,
    listing_form,
    reload,
    sign_in,
    tick,
)

__all__ = ["db", "editor"]  # fixtures


def test_publish_unpublish_and_archive_show_and_hide_the_listing_on_the_public_directory(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line", published=False)

    def public() -> tuple[bool, int, int]:
        listed = f"/en/help/{service.id}" in client.get("/en/help").text
        page = client.get(f"/en/help/{service.id}").status_code
        api = client.get(f"/api/v1/services/{service.id}").status_code
        in_api_list = str(service.id) in client.get("/api/v1/services").text
        assert in_api_list == listed
        return listed, page, api

    def act(action: str) -> None:
        tick(client)
        response = client.post(
            f"/admin/listings/{service.id}/{action}", data={"csrf_token": editor}
        )
        assert response.status_code == 303

    assert public() == (False, 404, 404)
    act("publish")
    assert public() == (True, 200, 200)
    act("unpublish")
    assert public() == (False, 404, 404)
    act("publish")
    act("archive")
    assert public() == (False, 404, 404)
    assert (reload(db, service).published, reload(db, service).archived) == (False, True)
    act("publish")  # restores an archived listing
    assert public() == (True, 200, 200)
    assert history_of(db, service)["archived"] == ("yes", "no")


def test_checked_today_marks_the_listing_verified_on_todays_date_in_london(
    client: TestClient, db: Session
) -> None:
    # It has a way in: a listing without one cannot be marked as checked (test_listing_ways_in).
    service = make_service(db, "Youth line", verified=False, phones=[("0800 000 0000", "voice")])
    add_staff(db, EDITOR, "editor")
    # 23:30 in UTC is already the next day in London during summer time.
    token = sign_in(client, EDITOR, datetime(2026, 6, 30, 23, 30, tzinfo=UTC))

    response = client.post(
        f"/admin/listings/{service.id}/checked-today", data={"csrf_token": token}
    )

    assert response.status_code == 303
    checked = reload(db, service)
    assert (checked.verified, checked.assured_date) == (True, date(2026, 7, 1))
    assert checked.verification_source == "Checked by staff"
    assert "Details last checked 1 July 2026" in client.get(f"/en/help/{service.id}").text
    assert history_of(db, service)["last checked"] == ("", "2026-07-01")


def test_every_editor_action_is_in_the_audit_log(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line")
    report = ProblemReport(service_id=service.id, kind="wrong-phone", created_at=utcnow())
    db.add(report)
    db.commit()
    fields = listing_form(client, service.id)
    fields["summary"] = ["Help for anyone under 25."]
    client.post(f"/admin/listings/{service.id}", data=fields)
    for action in ("unpublish", "publish", "checked-today", "archive"):
        client.post(f"/admin/listings/{service.id}/{action}", data={"csrf_token": editor})
    client.post(
        "/admin/organizations/new",
        data={"csrf_token": editor, "name": "Youth Trust", "website": "https://example.org"},
    )
    client.post(f"/admin/reports/{report.id}/close", data={"csrf_token": editor})

    assert audit_actions(db) == [
        "listing-updated",
        "listing-unpublished",
        "listing-published",
        "listing-checked-today",
        "listing-archived",
        "organization-created",
        "report-closed",
    ]
    update = db.exec(select(AuditEvent).where(AuditEvent.action == "listing-updated")).one()
    assert (update.actor, update.entity, update.entity_id) == (EDITOR, "service", str(service.id))
    assert update.detail == "changed: summary"
    assert update.session_ref


def test_organisations_are_added_and_edited_with_their_website_checked(
    client: TestClient, db: Session, editor: str
) -> None:
    bad = {"csrf_token": editor, "name": "Youth Trust", "website": "http://example.org"}
    response = client.post("/admin/organizations/new", data=bad)
    assert response.status_code == 400
    assert 'href="#website"' in response.text
    assert db.exec(select(Organization)).all() == []

    good = {**bad, "website": "https://example.org"}
    assert client.post("/admin/organizations/new", data=good).status_code == 303
    organization = db.exec(select(Organization)).one()
    service = make_service(db, "Youth line")
    service.organization_id = organization.id
    db.add(service)
    db.commit()
    assert "Youth Trust" in client.get("/api/v1/services").text
    renamed = {**good, "name": "Youth Trust Luton"}
    assert client.post(f"/admin/organizations/{organization.id}", data=renamed).status_code == 303
    assert "Youth Trust Luton" in client.get("/api/v1/services").text  # the API shows it at once

    db.expire_all()
    assert db.exec(select(Organization.name)).all().count("Youth Trust Luton") == 1
    assert "Youth Trust Luton" in client.get("/admin/organizations").text


def test_problem_reports_are_listed_open_first_and_can_be_closed(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line")
    closed = ProblemReport(
        service_id=service.id, kind="closed", status="closed", created_at=utcnow()
    )
    still_open = ProblemReport(
        service_id=service.id, kind="wrong-hours", details="Shut on Mondays", created_at=utcnow()
    )
    db.add_all([closed, still_open])
    db.commit()

    page = client.get("/admin/reports").text
    assert page.index("Opening hours are wrong") < page.index("Service has closed")
    assert f'href="/admin/listings/{service.id}"' in page

    response = client.post(f"/admin/reports/{still_open.id}/close", data={"csrf_token": editor})
    assert response.status_code == 303
    db.expire_all()
    assert db.exec(select(ProblemReport.status)).all() == ["closed", "closed"]


def test_the_listings_page_finds_listings_by_name_and_status(
    client: TestClient, db: Session, editor: str
) -> None:
    make_service(db, "Youth line")
    make_service(db, "Parents group", published=False)
    make_service(db, "Old club", archived=True)

    def names(query: str) -> list[str]:
        page = client.get(f"/admin/listings?{query}")
        assert page.status_code == 200
        return re.findall(r'<a href="/admin/listings/[0-9a-f-]{36}">([^<]+)</a>', page.text)

    assert names("") == ["Old club", "Parents group", "Youth line"]
    assert names("q=YOUTH") == ["Youth line"]
    assert names("status=unpublished") == ["Parents group"]
    assert names("status=archived") == ["Old club"]
    assert "Last checked 1 November 2026" in client.get("/admin/listings").text
