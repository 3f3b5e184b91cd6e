"""The listing editor's form: an edit shows at once on the public page and in the API, a form with
mistakes saves nothing, and each changed field gets a history row; new listings start unpublished.

"At once" on the instance that saved the change; other instances follow within
`directory_refresh_seconds` (see tests/test_directory_pages.py)."""

import uuid
from datetime import date, time, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.models import Organization, Phone, Schedule, Service, ServiceTranslation
from tests.factories import load_shipped_listings, make_service
from tests.listing_helpers import (
    EDITOR,
    WINTER_NOON,
    FormReader,
    approve,
    audit_actions,
    db,
    editor,
    history_of,
    listing_form,
    phone_numbers,
    post_form,
    reload,
    second_person,
    tick,
)

__all__ = ["db", "editor"]  # fixtures


def test_an_edited_phone_number_shows_on_the_public_page_and_in_the_api_once_approved(
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
    assert response.headers["location"] == f"/admin/listings/{service.id}?done=draft"
    assert "0800 000 0000" in client.get(f"/en/help/{service.id}").text  # still the approved one
    browser, token = second_person(client, db)
    tick(client)
    assert approve(browser, token, service).status_code == 303
    public = client.get(f"/en/help/{service.id}").text
    assert "0800 123 4567" in public
    assert "0800 000 0000" not in public
    api = client.get(f"/api/v1/services/{service.id}").json()
    assert [p["number"] for c in api["contacts"] for p in c["phones"]] == ["0800 123 4567"]
    saved = reload(db, service)
    assert saved.source_fingerprint is None  # a later import-services knows staff changed it
    assert saved.last_modified == WINTER_NOON + timedelta(seconds=2)  # when it was approved


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
    # Not public, so the change is saved at once (test_listing_workflow covers drafts).
    service = make_service(db, "Youth line", areas=["LU1"], published=False)
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
