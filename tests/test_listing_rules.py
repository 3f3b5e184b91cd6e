"""One set of listing rules: a value the editor refuses is refused in a listing file too, and the
other way round; `assured_date` (the day the details were last checked) is kept by verified
listings only, and never after today, whichever way a listing comes in."""

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.admin.listing_checks import validate
from app.admin.listings import Choices, HoursFields, ListingForm, ListingValues, PhoneFields
from app.directory.files import ListingFileError, ServiceFile, read_listing_files
from app.directory.hours import LONDON
from app.directory.importer import import_listings
from app.models import Service
from app.settings import PROJECT_ROOT
from tests.factories import SHIPPED_NEEDS, make_service
from tests.listing_helpers import (
    EDITOR,
    WINTER_NOON,
    db,
    editor,
    listing_form,
    reload,
    sign_in,
)

__all__ = ["db", "editor"]  # fixtures

SERVICES = PROJECT_ROOT / "content" / "services"
ORGANIZATION = "42457586-42ef-44a5-906f-48d3c5bf9ef2"
CHOICES = Choices(
    organizations={ORGANIZATION: "Samaritans"},
    needs={term.code: term.name for term in SHIPPED_NEEDS.terms},
    spoken={"en": "English"},
    translations={},
)
TODAY = WINTER_NOON.astimezone(LONDON).date()


def a_listing_file() -> dict[str, Any]:
    """A valid listing file: verified, with a phone number and opening hours."""
    listing = yaml.safe_load((SERVICES / "samaritans.yaml").read_text(encoding="utf-8"))
    assert isinstance(listing, dict)
    listing.update(
        phones=[{"number": "0800 111 222", "type": "voice"}],
        hours=[{"days": ["MO"], "opens": "09:30", "closes": "17:00"}],
    )
    return listing


def a_listing_form() -> ListingForm:
    """The same listing as the editor's form shows it."""
    return ListingForm(
        organization_id=ORGANIZATION,
        name="Samaritans",
        summary="Talk to someone about anything that is upsetting you.",
        verified=True,
        verification_source="Phoned them",
        phones=[PhoneFields("0800 111 222")],
        hours=[HoursFields(["MO"], "09:30", "17:00")],
    )


def read_file(tmp_path: Path, listing: dict[str, Any]) -> ServiceFile:
    services = tmp_path / "services"
    shutil.copytree(SERVICES, services, dirs_exist_ok=True)
    (services / "samaritans.yaml").write_text(
        yaml.safe_dump(listing, allow_unicode=True), encoding="utf-8"
    )
    _needs, listings = read_listing_files(services)
    return next(item for item in listings if item.name == listing["name"])


def check_form(form: ListingForm, saved: ListingValues | None = None) -> dict[str, str]:
    values, errors = validate(form, CHOICES, saved, WINTER_NOON)
    assert (values is None) == bool(errors)
    return dict(errors)


# (the rule, what the file says, what the form says, the form's field that shows the problem)
REFUSED_BY_BOTH = [
    (
        "web address without https",
        {"url": "http://example.org"},
        {"url": "http://example.org"},
        "url",
    ),
    ("email address without a domain", {"email": "help@"}, {"email": "help@"}, "email"),
    ("age with a plus sign", {"minimum_age": "+3"}, {"minimum_age": "+3"}, "minimum_age"),
    ("age over 120", {"maximum_age": 121}, {"maximum_age": "121"}, "maximum_age"),
    (
        "youngest age above the oldest",
        {"minimum_age": 18, "maximum_age": 11},
        {"minimum_age": "18", "maximum_age": "11"},
        "minimum_age",
    ),
    ("summary over 300 characters", {"summary": "a" * 301}, {"summary": "a" * 301}, "summary"),
    ("not a postcode district", {"areas": ["Luton"]}, {"areas": "Luton"}, "areas"),
    (
        "not a language code",
        {"languages": ["en", "xx"]},
        {"other_languages": "xx"},
        "other_languages",
    ),
    (
        "phone number with letters",
        {"phones": [{"number": "call us"}]},
        {"phones": [PhoneFields("call us")]},
        "phone-0-number",
    ),
    (
        "opening time that is not a time",
        {"hours": [{"days": ["MO"], "opens": "9am", "closes": "17:00"}]},
        {"hours": [HoursFields(["MO"], "9am", "17:00")]},
        "hours-0-opens",
    ),
    (
        "verified without saying how",
        {"verification_source": None},
        {"verification_source": ""},
        "verification_source",
    ),
    (
        "phone numbers on an unverified listing",
        {"verified": False, "assured_date": None},
        {"verified": False},
        "verified",
    ),
]


@pytest.mark.parametrize(
    ("file_change", "form_change", "field_id"),
    [case[1:] for case in REFUSED_BY_BOTH],
    ids=[case[0] for case in REFUSED_BY_BOTH],
)
def test_a_value_the_editor_refuses_is_refused_in_a_listing_file_and_the_other_way_round(
    tmp_path: Path, file_change: dict[str, Any], form_change: dict[str, Any], field_id: str
) -> None:
    assert read_file(tmp_path, a_listing_file())  # both start valid
    assert check_form(a_listing_form()) == {}

    with pytest.raises(ListingFileError) as refused:
        read_file(tmp_path, a_listing_file() | file_change)
    errors = check_form(ListingForm(**(vars(a_listing_form()) | form_change)))

    assert "samaritans.yaml" in str(refused.value)
    assert list(errors) == [field_id], errors
    assert errors[field_id]  # the form says what is wrong


ACCEPTED_BY_BOTH = [
    ("a full postcode, kept as its district", {"areas": ["lu2 3ab"]}, {"areas": "lu2 3ab"}),
    (
        "a time written with a dot",
        {"hours": [{"days": ["MO"], "opens": "9.30", "closes": "17:00"}]},
        {"hours": [HoursFields(["MO"], "9.30", "17:00")]},
    ),
    (
        "an international number",
        {"phones": [{"number": "+44 116 123"}]},
        {"phones": [PhoneFields("+44 116 123")]},
    ),
    ("a language code in capitals", {"languages": ["en", "TR"]}, {"other_languages": "TR"}),
]


@pytest.mark.parametrize(
    ("file_change", "form_change"),
    [case[1:] for case in ACCEPTED_BY_BOTH],
    ids=[case[0] for case in ACCEPTED_BY_BOTH],
)
def test_a_value_one_accepts_the_other_accepts_and_reads_the_same_way(
    tmp_path: Path, file_change: dict[str, Any], form_change: dict[str, Any]
) -> None:
    listing = read_file(tmp_path, a_listing_file() | file_change)
    form = ListingForm(**(vars(a_listing_form()) | form_change))
    values, errors = validate(form, CHOICES, None, WINTER_NOON)

    assert errors == [] and values is not None
    assert tuple(area.code for area in listing.area_codes) == values.areas
    assert [(h.opens, h.closes) for h in listing.hours] == [
        (h.opens, h.closes) for h in values.hours
    ]
    assert [phone.number for phone in listing.phones] == [phone.number for phone in values.phones]
    assert sorted(listing.languages) == sorted(values.languages)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"assured_date": None}, "a verified listing needs assured_date"),
        (
            {"verified": False, "phones": [], "hours": []},
            "an unverified listing has no assured_date",
        ),
        ({"assured_date": datetime.now(LONDON).date() + timedelta(days=1)}, "after today"),
    ],
    ids=["verified without a date", "a date but not verified", "a date after today"],
)
def test_a_listing_file_has_assured_date_if_and_only_if_it_is_verified_and_never_after_today(
    tmp_path: Path, change: dict[str, Any], expected: str
) -> None:
    today = a_listing_file() | {"assured_date": datetime.now(LONDON).date()}
    assert read_file(tmp_path, today).assured_date == datetime.now(LONDON).date()

    with pytest.raises(ListingFileError) as refused:
        read_file(tmp_path, a_listing_file() | change)

    assert "assured_date" in str(refused.value)
    assert expected in str(refused.value)


def test_an_unquoted_time_in_a_listing_file_is_refused_rather_than_read_as_minutes(
    tmp_path: Path,
) -> None:
    listing = a_listing_file()
    listing["hours"] = [{"days": ["MO"], "opens": "09:30", "closes": 1020}]  # YAML's `17:00`

    with pytest.raises(ListingFileError, match=r"hours\.0\.closes: a time is written like"):
        read_file(tmp_path, listing)


def test_the_editor_refuses_to_keep_a_last_check_dated_after_today() -> None:
    form = a_listing_form()
    values, _ = validate(form, CHOICES, None, WINTER_NOON)
    assert values is not None and values.assured_date == TODAY
    tomorrow = ListingValues(**(vars(values) | {"assured_date": TODAY + timedelta(days=1)}))

    assert list(check_form(form, saved=tomorrow)) == ["verified"]
    assert check_form(form, saved=values) == {}


def test_ticking_verified_dates_the_check_today_keeps_that_date_and_unticking_removes_it(
    client: TestClient, db: Session, editor: str
) -> None:
    service = make_service(db, "Youth line", verified=False)
    fields = listing_form(client, service.id)
    fields |= {
        "verified": ["1"],
        "verification_source": ["Phoned them"],
        "url": ["https://example.org"],
    }
    assert client.post(f"/admin/listings/{service.id}", data=fields).status_code == 303
    assert reload(db, service).assured_date == date(2026, 11, 25)

    sign_in(client, EDITOR, WINTER_NOON + timedelta(days=3))
    fields = listing_form(client, service.id) | {"summary": ["Help at night."]}
    assert client.post(f"/admin/listings/{service.id}", data=fields).status_code == 303
    assert reload(db, service).assured_date == date(2026, 11, 25)  # an edit is not a check

    fields = listing_form(client, service.id)
    del fields["verified"]
    assert client.post(f"/admin/listings/{service.id}", data=fields).status_code == 303
    assert reload(db, service).assured_date is None
    assert "Never checked" in client.get("/admin/listings").text


def test_an_email_in_a_listing_file_reaches_the_directory(
    tmp_path: Path, migrated_engine: Engine
) -> None:
    listing = read_file(tmp_path, a_listing_file() | {"email": "help@samaritans.org"})

    with Session(migrated_engine) as session:
        import_listings(session, SHIPPED_NEEDS, [listing])
        service = session.get(Service, listing.id)
        assert service is not None and service.email == "help@samaritans.org"
