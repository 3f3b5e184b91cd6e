"""A listing's ways in, one rule for files and the editor: a verified listing must have a way to
reach the service; an address can be kept from the public; the editor saves every way in, and
staff see what an unpublished or unconfirmed listing is missing."""

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.admin.listings import ListingForm
from app.directory.files import ListingFileError, ServiceFile
from app.directory.importer import import_listings
from app.models import Address, Location, Service
from tests.factories import SHIPPED_NEEDS, make_service
from tests.listing_helpers import db, editor, listing_form, post_form, reload
from tests.test_listing_rules import (
    ORGANIZATION,
    a_listing_file,
    check_form,
    read_file,
)

__all__ = ["db", "editor"]  # fixtures

NO_WAY_IN = "A verified listing needs a way to reach the service before it can be shown"


def unreachable_file() -> dict[str, Any]:
    listing = a_listing_file()
    for way in ("phones", "hours", "url", "email"):
        listing.pop(way, None)
    return listing


def test_a_verified_listing_file_with_no_way_in_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ListingFileError, match="needs a way to reach the service"):
        read_file(tmp_path, unreachable_file())


@pytest.mark.parametrize(
    "way",
    [
        {"chat_url": "https://example.org/chat"},
        {"email": "help@example.org"},
        {"callback": True},
        {"address": {"street": "1 High Street", "town": "Luton", "postcode": "LU1 2AA"}},
    ],
)
def test_any_one_way_in_is_enough(way: dict[str, Any]) -> None:
    listing = ServiceFile.model_validate(unreachable_file() | way)

    assert listing.ways_in


def test_a_hidden_address_alone_is_not_a_way_in() -> None:
    hidden = {"street": "1 High Street", "town": "Luton", "postcode": "LU1 2AA", "hidden": True}

    with pytest.raises(ValueError, match="needs a way to reach the service"):
        ServiceFile.model_validate(unreachable_file() | {"address": hidden})


def test_an_address_needs_a_full_postcode() -> None:
    place = {"street": "1 High Street", "town": "Luton", "postcode": "LU1"}

    with pytest.raises(ValueError, match="a postcode looks like LU1 2AB"):
        ServiceFile.model_validate(a_listing_file() | {"address": place})


def test_the_editor_refuses_a_verified_listing_with_no_way_in_with_a_clear_error() -> None:
    form = ListingForm(
        organization_id=ORGANIZATION,
        name="Samaritans",
        summary="Talk to someone.",
        verified=True,
        verification_source="Phoned them",
    )

    errors = check_form(form)

    assert errors["verified"].startswith(NO_WAY_IN)
    assert not check_form(replace(form, chat_url="https://example.org/chat"))


def test_a_listing_file_address_reaches_the_directory_and_a_change_replaces_it(
    tmp_path: Path, migrated_engine: Engine
) -> None:
    place = {"street": "1 High Street", "town": "Luton", "postcode": "lu1 2aa", "hidden": True}
    first = read_file(tmp_path, a_listing_file() | {"address": place, "cost": "free"})
    moved = read_file(tmp_path, a_listing_file() | {"address": place | {"street": "2 Park Road"}})

    with Session(migrated_engine) as session:
        import_listings(session, SHIPPED_NEEDS, [first])
        session.commit()
        service = session.get(Service, first.id)
        assert service is not None and service.cost == "free"
        address = session.exec(select(Address)).one()
        assert (address.address_1, address.postal_code) == ("1 High Street", "LU1 2AA")
        assert session.exec(select(Location.address_hidden)).one() is True

        import_listings(session, SHIPPED_NEEDS, [moved])
        session.commit()
        assert session.exec(select(Address.address_1)).all() == ["2 Park Road"]


def test_the_editor_saves_every_way_in_and_shows_it_again(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line")
    fields = listing_form(client, service.id)
    fields |= {
        "chat_url": ["https://example.org/chat"],
        "street": ["1 High Street"],
        "town": ["Luton"],
        "postcode": ["LU1 2AA"],
        "address_hidden": ["1"],
        "cost": ["free"],
        "accessibility": ["Step-free entrance"],
    }

    assert post_form(client, f"/admin/listings/{service.id}", fields) == 303

    saved = reload(db, service)
    assert saved.chat_url == "https://example.org/chat" and saved.cost == "free"
    assert saved.accessibility == "Step-free entrance"
    assert db.exec(select(Address.address_1)).all() == ["1 High Street"]
    assert db.exec(select(Location.address_hidden)).one() is True
    shown_again = listing_form(client, service.id)
    assert shown_again["postcode"] == ["LU1 2AA"] and shown_again["address_hidden"] == ["1"]
    assert post_form(client, f"/admin/listings/{service.id}", shown_again) == 303
    assert db.exec(select(Address.address_1)).all() == ["1 High Street"]


def test_staff_see_unconfirmed_listings_with_what_is_missing(
    client: TestClient, db: Session, editor: str
) -> None:
    make_service(db, "Local club", verified=False)
    make_service(db, "Helpline")

    html = client.get("/admin/listings").text

    club = html[html.index("Local club") :].split("</li>", 1)[0]
    helpline = html[html.index("Helpline") :].split("</li>", 1)[0]
    assert "Missing: Details not confirmed" in club and "No way to reach the service" in club
    assert "Missing" not in helpline


def test_a_listing_with_no_way_in_cannot_be_published_or_marked_as_checked(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Local club", verified=False, published=False)

    for action in ("publish", "checked-today"):
        response = client.post(
            f"/admin/listings/{service.id}/{action}", data={"csrf_token": editor}
        )
        assert response.status_code == 400, action
        assert "no way to reach the service, so it cannot be published" in response.text

    saved = reload(db, service)
    assert not saved.published and not saved.verified
    assert client.post(
        f"/admin/listings/{service.id}/unpublish", data={"csrf_token": editor}
    ).status_code in (303, 302)
