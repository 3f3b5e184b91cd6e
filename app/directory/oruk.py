"""Rows as Open Referral UK (HSDS 3.0 UK profile) objects: plain functions, no database access.

Each function builds one of the models in `app.directory.oruk_objects` from a row; the API sends
it with `to_json`, which leaves out optional fields without a value. Callers load every
relationship a function reads before calling it (see `app/routes/api.py`), so turning a page of
rows into JSON never runs a query.
"""

import math
from datetime import time

from app.days import DAY_CODES, DAY_NAMES
from app.directory import oruk_objects as hsds
from app.models import (
    Address,
    Attribute,
    Contact,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

# HSDS phone types follow RFC 6350, where a number for text messages is "text".
PHONE_TYPES = {"sms": "text"}
SCHEDULE_NOTE = "Times are UK local time (Europe/London)."
AREA_KINDS = {"postcode_district": "Postcode district", "ward": "Ward"}


# --- hours in plain English -------------------------------------------------------------------


def _clock(value: time) -> str:
    """9am, 5:30pm, midnight, noon: how times are said, not how a machine writes them."""
    if value == time(0, 0):
        return "midnight"
    if value == time(12, 0):
        return "noon"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def _days(byday: str) -> str:
    codes = [code.strip().upper() for code in byday.split(",") if code.strip()]
    if any(code not in DAY_NAMES for code in codes):
        return f"on {byday}"  # monthly rules like 1MO are passed on as written
    ordered = sorted(set(codes), key=DAY_CODES.index)
    if len(ordered) == 7:
        return "every day"
    positions = [DAY_CODES.index(code) for code in ordered]
    names = [DAY_NAMES[code] for code in ordered]
    if len(ordered) >= 3 and positions == list(range(positions[0], positions[-1] + 1)):
        return f"{names[0]} to {names[-1]}"
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def describe_hours(schedule: Schedule) -> str:
    """Our convention: closing equal to opening means 24 hours; earlier means past midnight."""
    days = _days(schedule.byday)
    if schedule.closes_at == schedule.opens_at:
        return f"Open 24 hours, {days}"
    closes = _clock(schedule.closes_at)
    if schedule.closes_at < schedule.opens_at and schedule.closes_at != time(0, 0):
        closes += " the next day"
    return f"Open {days}, {_clock(schedule.opens_at)} to {closes}"


# --- one object each ----------------------------------------------------------------------------


def organization(row: Organization) -> hsds.Organization:
    return hsds.Organization(
        id=row.id,
        name=row.name,
        description=row.description,
        email=row.email,
        website=row.website,
    )


def phone(row: Phone) -> hsds.Phone:
    return hsds.Phone(
        id=row.id,
        contact_id=row.contact_id,
        number=row.number,
        type=PHONE_TYPES.get(row.type, row.type),
        description=row.description,
    )


def contact(row: Contact) -> hsds.Contact:
    phones = sorted(row.phones, key=lambda item: (item.position, str(item.id)))
    return hsds.Contact(
        id=row.id,
        service_id=row.service_id,
        name=row.name,
        phones=[phone(item) for item in phones],
    )


def schedule(row: Schedule) -> hsds.Schedule:
    return hsds.Schedule(
        id=row.id,
        service_id=row.service_id,
        freq=row.freq,
        interval=1,
        byday=row.byday,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        description=row.description or describe_hours(row),
        notes=SCHEDULE_NOTE,
    )


def service_area(row: ServiceArea) -> hsds.ServiceArea:
    kind = AREA_KINDS.get(row.extent_type or "")
    return hsds.ServiceArea(
        id=row.id,
        service_id=row.service_id,
        name=row.name,
        # A postcode district or ward is named, not drawn: HSDS calls such an extent "text".
        extent=row.code,
        extent_type="text",
        service_area=f"{kind} {row.code}" if kind else row.name,
    )


def language(row: Language) -> hsds.Language:
    return hsds.Language(id=row.id, service_id=row.service_id, name=row.name, code=row.code)


def taxonomy(row: Taxonomy) -> hsds.Taxonomy:
    return hsds.Taxonomy(
        id=row.id, name=row.name, description=row.description, uri=row.uri, version=row.version
    )


def taxonomy_term(row: TaxonomyTerm) -> hsds.TaxonomyTerm:
    """Needs `row.taxonomy` loaded: `taxonomy` names the vocabulary the term comes from."""
    return hsds.TaxonomyTerm(
        id=row.id,
        code=row.code,
        name=row.name,
        description=row.description,
        parent_id=row.parent_id,
        taxonomy=row.taxonomy.uri or row.taxonomy.name,
        taxonomy_id=row.taxonomy_id,
        term=row.name,
    )


def attribute(row: Attribute) -> hsds.Attribute:
    return hsds.Attribute(
        id=row.id,
        link_id=row.link_id,
        link_type=row.link_type,
        link_entity=row.link_entity,
        taxonomy_term_id=row.taxonomy_term_id,
        taxonomy_term=taxonomy_term(row.taxonomy_term),
    )


def address(row: Address) -> hsds.Address:
    return hsds.Address(
        id=row.id,
        location_id=row.location_id,
        address_1=row.address_1,
        city=row.city,
        region=row.region,
        state_province=row.state_province,
        postal_code=row.postal_code,
        country=row.country,
        address_type=row.address_type,
    )


def _location_fields(row: Location) -> dict[str, object]:
    return {
        "id": row.id,
        "location_type": row.location_type,
        "name": row.name,
        "description": row.description,
        "latitude": row.latitude,
        "longitude": row.longitude,
    }


def location_summary(row: Location) -> hsds.LocationSummary:
    return hsds.LocationSummary.model_validate(_location_fields(row))


def location(row: Location) -> hsds.Location:
    addresses = sorted(row.addresses, key=lambda item: str(item.id))
    return hsds.Location.model_validate(
        _location_fields(row) | {"addresses": [address(item) for item in addresses]}
    )


def service_at_location_in_service(row: ServiceAtLocation) -> hsds.ServiceAtLocationInService:
    return hsds.ServiceAtLocationInService(
        id=row.id,
        service_id=row.service_id,
        location_id=row.location_id,
        location=location(row.location),
    )


# --- services -----------------------------------------------------------------------------------


def _summary_fields(row: Service) -> dict[str, object]:
    return {
        "id": row.id,
        "organization_id": row.organization_id,
        "name": row.name,
        # Listings keep the one-line summary apart; HSDS 3.0 has only a description.
        "description": row.description or row.summary,
        "url": row.url,
        "email": row.email,
        "status": row.status,
        "minimum_age": row.minimum_age,
        "maximum_age": row.maximum_age,
        "assured_date": row.assured_date if row.verified else None,
        "alert": row.alert,
        "last_modified": row.last_modified,
        "organization": organization(row.organization),
    }


def service_summary(row: Service) -> hsds.ServiceSummary:
    """One item of a list of services (`service_list.json`): one-to-one fields only."""
    return hsds.ServiceSummary.model_validate(_summary_fields(row))


def _day_key(row: Schedule) -> tuple[int, time, str]:
    first = row.byday.split(",", 1)[0].strip().upper()
    position = DAY_CODES.index(first) if first in DAY_NAMES else len(DAY_CODES)
    return position, row.opens_at, str(row.id)


def full_service(row: Service) -> hsds.Service:
    """A fully nested service (`service.json`). Children are sorted so the ETag is stable."""
    attributes = sorted(
        row.attributes, key=lambda item: (item.taxonomy_term.position, str(item.id))
    )
    children = {
        "contacts": [contact(item) for item in sorted(row.contacts, key=lambda item: str(item.id))],
        "schedules": [schedule(item) for item in sorted(row.schedules, key=_day_key)],
        "service_areas": [
            service_area(item)
            for item in sorted(row.service_areas, key=lambda item: (item.code, str(item.id)))
        ],
        "service_at_locations": [
            service_at_location_in_service(item)
            for item in sorted(row.service_at_locations, key=lambda item: str(item.id))
            if not item.location.address_hidden  # a sensitive service's address stays private
        ],
        "languages": [language(item) for item in sorted(row.languages, key=lambda item: item.code)],
        "attributes": [attribute(item) for item in attributes],
    }
    return hsds.Service.model_validate(_summary_fields(row) | children)


def service_at_location_summary(
    row: ServiceAtLocation, service: Service
) -> hsds.ServiceAtLocationSummary:
    """One item of a list of service_at_locations (`service_at_location_list.json`)."""
    return hsds.ServiceAtLocationSummary(
        id=row.id,
        service_id=row.service_id,
        location_id=row.location_id,
        location=location_summary(row.location),
        service=service_summary(service),
    )


def full_service_at_location(row: ServiceAtLocation, service: Service) -> hsds.ServiceAtLocation:
    """A service at one location, both fully nested (the UK profile's service_at_location)."""
    return hsds.ServiceAtLocation(
        id=row.id,
        service_id=row.service_id,
        location_id=row.location_id,
        location=location(row.location),
        service=full_service(service),
    )


def page_envelope(
    page_number: int, per_page: int, total: int, contents: list[hsds.Item]
) -> hsds.Page[hsds.Item]:
    """The paginated envelope of every list endpoint (the `Page` schema)."""
    total_pages = math.ceil(total / per_page)
    return hsds.Page(
        total_items=total,
        total_pages=total_pages,
        page_number=page_number,
        size=len(contents),
        first_page=page_number == 1,
        last_page=page_number >= total_pages,
        empty=not contents,
        contents=contents,
    )
