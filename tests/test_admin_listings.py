"""The listing editor: editors keep listings right, and the public pages and API show it at once.

"At once" on the instance that saved the change; other instances follow within
`directory_refresh_seconds` (see tests/test_directory_pages.py)."""

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.admin.auth import aware
from app.admin.users import create_user
from app.models import (
    AuditEvent,
    ListingChange,
    Organization,
    Phone,
    ProblemReport,
    Schedule,
    Service,
    ServiceTranslation,
    Team,
    utcnow,
)
from app.routes import admin_listings
from tests.factories import load_needs, load_shipped_listings, make_service

PASSWORD = "a long and memorable password"
EDITOR = "editor@example.org"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
WINTER_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
Fields = dict[str, list[str]]


class FormReader(HTMLParser):
    """Reads one form's fields the way a browser submits them: ticked boxes, chosen options."""

    def __init__(self, html: str, action: str) -> None:
        super().__init__()
        self.action = action
        self.fields: Fields = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def _add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._in_form = found.get("action") == self.action
        elif not self._in_form or ("name" not in found and tag != "option"):
            return
        elif tag == "input":
            if found.get("type") not in ("checkbox", "radio") or "checked" in found:
                self._add(found["name"], found.get("value", ""))
        elif tag == "select":
            self._select = found["name"]
            self.fields[found["name"]] = [""]
        elif tag == "option" and self._select and "selected" in found:
            self.fields[self._select] = [found.get("value", "")]
        elif tag == "textarea":
            self._textarea = found["name"]
            self._add(found["name"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea][-1] += data


class Clock:
    """A frozen clock the test moves on, as real time moves on between two clicks."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def tick(client: TestClient) -> None:
    """Move the app's clock on a second (the directory pages are cached per version of data)."""
    client.app.app.state.clock.moment += timedelta(seconds=1)  # type: ignore[attr-defined]


@pytest.fixture
def db(migrated_engine: Engine) -> Iterator[Session]:
    with Session(migrated_engine) as session:
        load_needs(session)
        yield session


@pytest.fixture
def editor(client: TestClient, db: Session) -> str:
    """Signs an editor in on `client`; returns the session's CSRF token."""
    add_staff(db, EDITOR, "editor")
    return sign_in(client, EDITOR)


def add_staff(db: Session, email: str, role: str) -> None:
    team = None
    if role == "caseworker":
        db.add(Team(name="North youth team"))
        db.flush()
        team = "North youth team"
    create_user(db, email, role, PASSWORD, team)
    db.commit()


def sign_in(client: TestClient, email: str, moment: datetime = WINTER_NOON) -> str:
    """Sign in as a browser does: fetch the form for its token and cookie, then post it."""
    client.app.app.state.login_delay = 0  # type: ignore[attr-defined]
    client.app.app.state.clock = Clock(moment)  # type: ignore[attr-defined]
    login = client.get("/admin/login")
    data = {"email": email, "password": PASSWORD, "csrf_token": csrf_on(login.text)}
    assert client.post("/admin/login", data=data).status_code == 303
    return csrf_on(client.get("/admin/").text)


def csrf_on(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def listing_form(client: TestClient, service_id: object) -> Fields:
    page = client.get(f"/admin/listings/{service_id}")
    assert page.status_code == 200
    return FormReader(page.text, f"/admin/listings/{service_id}").fields


def post_form(client: TestClient, action: str, fields: Fields) -> int:
    return client.post(action, data=fields).status_code


def reload(db: Session, service: Service) -> Service:
    db.expire_all()
    found = db.get(Service, service.id)
    assert found is not None
    return found


def phone_numbers(db: Session, service: Service) -> list[str]:
    db.expire_all()
    return [phone.number for contact in reload(db, service).contacts for phone in contact.phones]


def history_of(db: Session, service: Service) -> dict[str, tuple[str, str]]:
    db.expire_all()
    rows = db.exec(select(ListingChange).where(ListingChange.service_id == service.id)).all()
    return {row.field: (row.old, row.new) for row in rows}


def audit_actions(db: Session) -> list[str]:
    db.expire_all()
    rows = db.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    return [
        row.action for row in rows if row.action.startswith(("listing", "organization", "report"))
    ]


def test_an_edited_phone_number_shows_at_once_on_the_public_page_and_in_the_api(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line", phones=[("0800 000 0000", "voice")])
    service.source_fingerprint = "from-a-listing-file"
    db.commit()
    assert "0800 000 0000" in client.get(f"/en/help/{service.id}").text

    fields = listing_form(client, service.id)
    fields["phone-0-number"] = ["0800 123 4567"]
    tick(client)
    response = client.post(f"/admin/listings/{service.id}", data=fields)

    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/listings/{service.id}?done=saved"
    public = client.get(f"/en/help/{service.id}").text
    assert "0800 123 4567" in public
    assert "0800 000 0000" not in public
    api = client.get(f"/api/v1/services/{service.id}").json()
    assert [p["number"] for c in api["contacts"] for p in c["phones"]] == ["0800 123 4567"]
    saved = reload(db, service)
    assert saved.source_fingerprint is None  # a later import-services knows staff changed it
    assert aware(saved.last_modified) == WINTER_NOON + timedelta(seconds=1)


def test_saving_an_unchanged_form_changes_nothing_in_the_history(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(
        db,
        "Youth line",
        needs=["pressured"],
        areas=["LU2", "LU1"],
        hours=[("MO,TU,WE,TH,FR", time(9), time(17)), ("SA,SU", time(0), time(0))],
        phones=[("0800 000 0000", "voice"), ("85258", "sms")],
        translations={"ur": ("یوتھ لائن", "نوجوانوں کے لیے مدد")},
    )
    fields = listing_form(client, service.id)

    assert post_form(client, f"/admin/listings/{service.id}", fields) == 303

    assert history_of(db, service) == {}
    assert listing_form(client, service.id) == fields


def test_every_shipped_listing_saves_unchanged_through_the_form(
    client: TestClient, db: Session, editor: str
) -> None:
    load_shipped_listings(db)
    services = db.exec(select(Service)).all()
    assert services

    for service in services:
        fields = listing_form(client, service.id)
        assert post_form(client, f"/admin/listings/{service.id}", fields) == 303, service.name
        assert history_of(db, service) == {}, service.name


def test_a_form_with_mistakes_shows_an_error_summary_with_status_400_and_saves_nothing(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line", phones=[("0800 000 0000", "voice")])
    fields = listing_form(client, service.id)
    fields.update(
        {
            "name": [""],
            "url": ["http://example.org"],
            "minimum_age": ["18"],
            "maximum_age": ["11"],
            "areas": ["LU1, nowhere"],
            "phone-0-number": ["call us"],
            "hours-0-days": ["MO"],
            "hours-0-opens": ["9am"],
        }
    )

    response = client.post(f"/admin/listings/{service.id}", data=fields)

    assert response.status_code == 400
    assert response.headers["cache-control"] == "no-store"
    assert "<title>Error: " in response.text
    summary = response.text.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    for field_id in ("name", "url", "minimum_age", "areas", "phone-0-number", "hours-0-opens"):
        assert f'href="#{field_id}"' in summary
        assert f'id="{field_id}"' in response.text  # each link has a field to land on
    assert "autofocus" in response.text.split('id="error-summary"', 1)[0].rsplit("<div", 1)[1]
    assert 'value="call us"' in response.text  # what was typed comes back
    assert 'value="LU1, nowhere"' in response.text
    assert reload(db, service).name == "Youth line"
    assert phone_numbers(db, service) == ["0800 000 0000"]
    assert history_of(db, service) == {}
    assert audit_actions(db) == []


def test_each_changed_field_gets_a_history_row_saying_who_and_old_and_new(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line", areas=["LU1"])
    fields = listing_form(client, service.id)
    fields.update(
        {
            "name": ["Youth helpline"],
            "areas": ["LU1, lu2 3ab"],
            "needs": ["pressured", "worried-about-a-friend"],
            "hours-0-days": ["SA", "SU"],
            "hours-0-all-day": ["1"],
            "translation-pl-name": ["Telefon dla młodzieży"],
        }
    )

    assert post_form(client, f"/admin/listings/{service.id}", fields) == 303

    changes = history_of(db, service)
    assert changes == {
        "name": ("Youth line", "Youth helpline"),
        "areas": ("LU1", "LU1, LU2"),
        "needs": ("", "pressured, worried-about-a-friend"),
        "opening hours": ("", "SA,SU 24 hours"),
        "name (pl)": ("", "Telefon dla młodzieży"),
    }
    page = client.get(f"/admin/listings/{service.id}/history")
    assert page.status_code == 200
    assert EDITOR in page.text
    assert "Youth line" in page.text and "Youth helpline" in page.text
    assert "25 Nov 2026 12:00" in page.text


def test_a_new_listing_is_saved_with_its_phones_hours_and_translations_but_not_published(
    client: TestClient, db: Session, editor: str
) -> None:
    organization = Organization(id=uuid.uuid4(), name="Youth Trust")
    db.add(organization)
    db.commit()
    fields = FormReader(client.get("/admin/listings/new").text, "/admin/listings/new").fields
    fields.update(
        {
            "organization_id": [str(organization.id)],
            "name": ["Late night line"],
            "summary": ["Someone to talk to at night."],
            "verified": ["1"],
            "verification_source": ["Phoned them"],
            "phone-0-number": ["0800 111 2222"],
            "phone-1-number": ["85258"],
            "phone-1-type": ["sms"],
            "hours-0-days": ["FR", "SA"],
            "hours-0-opens": ["22:00"],
            "hours-0-closes": ["02:00"],
            "translation-ur-summary": ["رات کو بات کرنے کے لیے کوئی"],
        }
    )

    response = client.post("/admin/listings/new", data=fields)

    assert response.status_code == 303
    service_id = uuid.UUID(response.headers["location"].split("/")[3].split("?")[0])
    service = db.get(Service, service_id)
    assert service is not None
    assert (service.published, service.verified, service.assured_date) == (
        False,
        True,
        date(2026, 11, 25),
    )
    phones = db.exec(select(Phone).order_by(col(Phone.position))).all()
    assert [(p.number, p.type) for p in phones] == [("0800 111 2222", "voice"), ("85258", "sms")]
    schedule = db.exec(select(Schedule).where(Schedule.service_id == service_id)).one()
    assert (schedule.byday, schedule.opens_at, schedule.closes_at) == ("FR,SA", time(22), time(2))
    translation = db.get(ServiceTranslation, (service_id, "ur"))
    assert translation is not None and translation.name == ""  # the name falls back to English
    assert client.get(f"/en/help/{service_id}").status_code == 404
    assert history_of(db, service)["name"] == ("", "Late night line")


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
    service = make_service(db, "Youth line", verified=False)
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


def editor_routes(method: str) -> list[str]:
    """Every path of the editor's router for `method`, so a new route cannot be missed."""
    return sorted(
        route.path
        for route in admin_listings.router.routes
        if isinstance(route, APIRoute) and method in (route.methods or set())
    )


def filled(path: str, service: Service, report: ProblemReport) -> str:
    return path.format(
        service_id=service.id, organization_id=service.organization_id, report_id=report.id
    )


def some_listing_with_a_report(db: Session) -> tuple[Service, ProblemReport]:
    service = make_service(db, "Youth line")
    report = ProblemReport(service_id=service.id, kind="other", created_at=utcnow())
    db.add(report)
    db.commit()
    return service, report


def assert_nothing_changed(db: Session, service: Service) -> None:
    db.expire_all()
    assert db.exec(select(Service.name)).all() == ["Youth line"]
    assert (reload(db, service).published, reload(db, service).archived) == (True, False)
    assert db.exec(select(ProblemReport.status)).all() == ["open"]
    assert db.exec(select(Organization.name)).all() == ["Youth line organisation"]
    assert db.exec(select(ListingChange)).all() == []
    assert audit_actions(db) == []


def test_the_route_walks_below_cover_all_sixteen_editor_routes() -> None:
    assert len(editor_routes("GET")) == 8
    assert len(editor_routes("POST")) == 8


def test_caseworkers_get_403_from_every_editor_page_and_action(
    client: TestClient, db: Session
) -> None:
    service, report = some_listing_with_a_report(db)
    add_staff(db, "caseworker@example.org", "caseworker")
    token = sign_in(client, "caseworker@example.org")
    fields = listing_form_fields_for_post(service, token)

    for path in editor_routes("GET"):
        assert client.get(filled(path, service, report)).status_code == 403, path
    for path in editor_routes("POST"):
        response = client.post(filled(path, service, report), data=fields)
        assert response.status_code == 403, path
    assert_nothing_changed(db, service)


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient, db: Session) -> None:
    service, report = some_listing_with_a_report(db)

    for path in editor_routes("GET"):
        response = client.get(filled(path, service, report))
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/admin/login"), path
    for path in editor_routes("POST"):
        response = client.post(filled(path, service, report), data={"name": "Changed"})
        assert response.status_code == 303, path
    assert_nothing_changed(db, service)


def listing_form_fields_for_post(service: Service, token: str | None) -> Fields:
    """A valid listing (or organisation) form, so only the role or the token can refuse it."""
    fields: Fields = {
        "organization_id": [str(service.organization_id)],
        "name": ["Changed"],
        "summary": ["Changed"],
    }
    if token is not None:
        fields["csrf_token"] = [token]
    return fields


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_posts_without_the_right_csrf_token_get_403_and_change_nothing(
    client: TestClient, db: Session, editor: str, token: str | None
) -> None:
    service, report = some_listing_with_a_report(db)
    fields = listing_form_fields_for_post(service, token)

    for path in editor_routes("POST"):
        response = client.post(filled(path, service, report), data=fields)
        assert response.status_code == 403, path

    assert_nothing_changed(db, service)
    # The same form with the session's token goes through, so the token was the only problem.
    fields["csrf_token"] = [editor]
    assert client.post(f"/admin/listings/{service.id}", data=fields).status_code == 303
