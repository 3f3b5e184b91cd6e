"""Who may use the listing editor: on every editor route, caseworkers get 403, signed-out visitors
are sent to sign in, and a post without the right CSRF token is refused and changes nothing."""

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.admin.listing_store import STATUS_ACTIONS
from app.models import ListingChange, Organization, ProblemReport, Service, utcnow
from app.routes import admin_listings
from tests.factories import make_service
from tests.listing_helpers import Fields, add_staff, audit_actions, db, editor, reload, sign_in

__all__ = ["db", "editor"]  # fixtures


def editor_routes(method: str) -> list[str]:
    """Every path of the editor's router for `method`, so a new route cannot be missed (a status
    action's route once per action)."""
    paths = []
    for route in admin_listings.router.routes:
        if isinstance(route, APIRoute) and method in (route.methods or set()):
            actions = list(STATUS_ACTIONS) if "{action}" in route.path else ["{action}"]
            paths.extend(route.path.replace("{action}", action) for action in actions)
    return sorted(paths)


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


def test_the_route_walks_below_cover_all_twenty_editor_routes() -> None:
    assert len(editor_routes("GET")) == 8
    assert len(editor_routes("POST")) == 12


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
