"""The publishing workflow: a change to a public listing waits as a draft until a second person
(an approver or an admin) publishes it; history says who proposed and who approved what; a team
of one may allow approving one's own work; every instance shows a published change in time."""

from collections.abc import Iterator
from datetime import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.admin.settings_store import APPROVE_OWN_DRAFTS, get_flag
from app.directory.revision import REVISION_KEY
from app.main import create_app
from app.models import AppSetting, ListingChange, ListingDraft
from app.settings import Settings
from tests.factories import make_service
from tests.listing_helpers import (
    APPROVER,
    EDITOR,
    add_staff,
    approve,
    audit_actions,
    db,
    editor,
    listing_form,
    reload,
    second_person,
    sign_in,
    tick,
)

__all__ = ["db", "editor"]  # fixtures


def revision(db: Session) -> str:
    db.expire_all()
    row = db.get(AppSetting, REVISION_KEY)
    return row.value if row else ""


def public_views(client: TestClient, service_id: object) -> list[str]:
    """The listing as the public sees it: its page, the directory, the API list and by id."""
    return [
        client.get(f"/en/help/{service_id}").text,
        client.get("/en/help").text,
        client.get("/api/v1/services").text,
        client.get(f"/api/v1/services/{service_id}").text,
    ]


def propose(client: TestClient, service_id: object, field: str, value: str) -> str:
    fields = listing_form(client, service_id) | {field: [value]}
    tick(client)
    response = client.post(f"/admin/listings/{service_id}", data=fields)
    assert response.status_code == 303
    return str(response.headers["location"])


def propose_summary(client: TestClient, service_id: object, summary: str) -> str:
    fields = listing_form(client, service_id) | {"summary": [summary]}
    tick(client)
    response = client.post(f"/admin/listings/{service_id}", data=fields)
    assert response.status_code == 303
    return str(response.headers["location"])


def test_an_editors_typo_never_reaches_the_public_before_a_second_person_approves_it(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth helpline")
    before = revision(db)

    where = propose(client, service.id, "name", "Yuoth helpline")

    assert where.endswith("?done=draft")
    for view in public_views(client, service.id):
        assert "Youth helpline" in view
        assert "Yuoth" not in view
    assert reload(db, service).name == "Youth helpline"
    assert revision(db) == before  # nothing public changed, so no cache is cleared
    # The editor cannot publish it themselves.
    refused = client.post(
        f"/admin/listings/{service.id}/approve-draft", data={"csrf_token": editor}
    )
    assert refused.status_code == 403
    assert "Only an admin or an approver" in refused.text
    assert all("Yuoth" not in view for view in public_views(client, service.id))

    browser, token = second_person(client, db)
    assert approve(browser, token, service).status_code == 303

    assert all("Yuoth helpline" in view for view in public_views(client, service.id))
    assert revision(db) != before
    assert db.exec(select(ListingDraft)).all() == []


def test_the_edit_page_shows_the_waiting_change_field_by_field_and_continues_the_draft(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line", summary="Help for young people.")
    propose_summary(client, service.id, "Help at night.")

    page = client.get(f"/admin/listings/{service.id}").text

    assert "Changes waiting for approval" in page
    assert f"Proposed by {EDITOR}" in page
    row = page[page.index('<th scope="row">Summary</th>') :].split("</tr>", 1)[0]
    assert "Help for young people." in row and "Help at night." in row
    assert listing_form(client, service.id)["summary"] == ["Help at night."]
    assert "Approve and publish" not in page  # an editor is not offered what they may not do
    listed = client.get("/admin/listings").text
    assert f'href="/admin/listings/{service.id}#draft">Changes waiting for approval' in listed


def test_nobody_approves_their_own_change_unless_a_team_of_one_allows_it(
    client: TestClient, db: Session
) -> None:
    service = make_service(db, "Youth line")
    add_staff(db, APPROVER, "approver")
    token = sign_in(client, APPROVER)
    propose_summary(client, service.id, "Help at night.")

    own = approve(client, token, service)

    assert own.status_code == 403
    assert "someone else must approve" in own.text
    assert reload(db, service).summary == "Help for young people."

    admin, admin_token = second_person(client, db, "admin@example.org", "admin")
    admin.post(
        "/admin/settings",
        data={"csrf_token": admin_token, "approve_own_drafts": "yes"},
    )
    db.expire_all()
    assert get_flag(db, APPROVE_OWN_DRAFTS)
    assert approve(client, token, service).status_code == 303
    assert reload(db, service).summary == "Help at night."


def test_the_one_person_setting_is_off_until_an_admin_turns_it_on_on_the_settings_page(
    client: TestClient, db: Session
) -> None:
    add_staff(db, "admin@example.org", "admin")
    token = sign_in(client, "admin@example.org")
    page = client.get("/admin/settings").text
    assert 'id="approve_own_drafts"' in page
    assert 'name="approve_own_drafts" value="yes" aria-describedby' in page
    assert not get_flag(db, APPROVE_OWN_DRAFTS)

    client.post("/admin/settings", data={"csrf_token": token, "approve_own_drafts": "yes"})
    client.post("/admin/settings", data={"csrf_token": token})

    db.expire_all()
    assert not get_flag(db, APPROVE_OWN_DRAFTS)


def test_history_shows_who_proposed_who_approved_and_the_old_and_new_value(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line", summary="Help for young people.")
    propose_summary(client, service.id, "Help at night.")
    browser, token = second_person(client, db)
    approve(browser, token, service)

    change = db.exec(select(ListingChange).where(ListingChange.field == "summary")).one()
    assert (change.actor, change.approved_by) == (EDITOR, APPROVER)
    assert (change.old, change.new) == ("Help for young people.", "Help at night.")
    page = client.get(f"/admin/listings/{service.id}/history").text
    assert f"proposed by {EDITOR}" in page and f"approved by {APPROVER}" in page
    assert "Help for young people." in page and "Help at night." in page
    assert audit_actions(db) == ["listing-draft-saved", "listing-draft-approved"]


def test_a_discarded_draft_leaves_the_listing_as_last_approved(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line")
    propose_summary(client, service.id, "Help at night.")

    response = client.post(
        f"/admin/listings/{service.id}/discard-draft", data={"csrf_token": editor}
    )

    assert response.status_code == 303
    assert db.exec(select(ListingDraft)).all() == []
    assert listing_form(client, service.id)["summary"] == ["Help for young people."]
    assert db.exec(select(ListingChange)).all() == []


def test_an_editor_cannot_put_a_new_listing_in_front_of_the_public_but_an_approver_can(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line", published=False)

    refused = client.post(f"/admin/listings/{service.id}/publish", data={"csrf_token": editor})

    assert refused.status_code == 403
    assert client.get(f"/en/help/{service.id}").status_code == 404
    browser, token = second_person(client, db)
    published = browser.post(f"/admin/listings/{service.id}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    assert client.get(f"/en/help/{service.id}").status_code == 200


def test_an_approver_cannot_publish_a_listing_they_wrote_themselves(
    client: TestClient, db: Session
) -> None:
    service = make_service(db, "Youth line", published=False)
    add_staff(db, APPROVER, "approver")
    token = sign_in(client, APPROVER)
    propose_summary(client, service.id, "Help at night.")  # not public: saved at once

    refused = client.post(f"/admin/listings/{service.id}/publish", data={"csrf_token": token})

    assert refused.status_code == 403
    assert not reload(db, service).published


@pytest.fixture
def other_instance(settings: Settings, client: TestClient) -> Iterator[TestClient]:
    """A second instance of the app on the same database (another server behind the proxy)."""
    with TestClient(create_app(settings), follow_redirects=False) as other:
        yield other


def test_every_instance_shows_an_approved_change_within_the_refresh_interval(
    client: TestClient, db: Session, editor: str, other_instance: TestClient
) -> None:
    from tests.test_directory_pages import RevisionClock

    service = make_service(db, "Youth helpline")
    revision_clock = RevisionClock(other_instance)
    assert "Youth helpline" in other_instance.get("/api/v1/services").text
    assert "Youth helpline" in other_instance.get("/en/help").text
    propose(client, service.id, "name", "Night helpline")
    browser, token = second_person(client, db)
    approve(browser, token, service)
    assert "Youth helpline" in other_instance.get("/api/v1/services").text  # cached, for now

    revision_clock.wait_for_refresh()

    assert "Night helpline" in other_instance.get("/api/v1/services").text
    assert "Night helpline" in other_instance.get("/en/help").text


def test_a_draft_keeps_every_other_field_of_the_listing_when_it_is_approved(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(
        db,
        "Youth line",
        needs=["pressured"],
        areas=["LU1", "LU2"],
        hours=[("MO,TU,WE,TH,FR", time(9), time(17)), ("SA,SU", time(0), time(0))],
        phones=[("0800 000 0000", "voice"), ("85258", "sms")],
        translations={"ur": ("یوتھ لائن", "نوجوانوں کے لیے مدد")},
    )
    fields = listing_form(client, service.id) | {
        "summary": ["Help at night."],
        "street": ["1 High Street"],
        "town": ["Luton"],
        "postcode": ["LU1 2AA"],
        "closed_until": ["2026-12-24"],
    }
    tick(client)
    client.post(f"/admin/listings/{service.id}", data=fields)
    shown_with_draft = listing_form(client, service.id)
    browser, token = second_person(client, db)

    approve(browser, token, service)

    changed = {row.field for row in db.exec(select(ListingChange)).all()}
    assert changed == {"summary", "address", "closed until"}
    assert listing_form(client, service.id) == shown_with_draft


def test_once_a_listing_is_not_public_the_next_save_includes_its_draft_at_once(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line")
    propose_summary(client, service.id, "Help at night.")
    client.post(f"/admin/listings/{service.id}/unpublish", data={"csrf_token": editor})

    where = propose(client, service.id, "name", "Night line")

    assert where.endswith("?done=saved")
    saved = reload(db, service)
    assert (saved.name, saved.summary) == ("Night line", "Help at night.")
    assert db.exec(select(ListingDraft)).all() == []
