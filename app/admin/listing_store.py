"""Saving listings, the status actions (publish, archive, checked today) and change history.

Every change to a listing takes a `snapshot` (each field as short readable text) before and after,
and writes one history row per field that differs, whichever action changed it. Saves mark the row
as edited by staff (`source_fingerprint=None`) and stamp `last_modified`. The caller commits.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, func, select

from app.admin.access import Staff
from app.admin.listings import Choices, ListingValues, OpeningHours, PhoneLine, TranslatedText
from app.content import Language as CardLanguage
from app.days import DAY_CODES
from app.directory.hours import LONDON
from app.directory.importer import child_id, language_name, listing_place, place_rows
from app.directory.revision import bump_directory_revision
from app.models import (
    Attribute,
    Contact,
    Language,
    ListingChange,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceTranslation,
    TaxonomyTerm,
)

SHORT = 200
LIST_LIMIT = 200
STATUS_FILTERS = ("published", "unpublished", "archived")
# Status actions and the audit action each one records.
STATUS_ACTIONS = {
    "publish": "listing-published",
    "unpublish": "listing-unpublished",
    "archive": "listing-archived",
    "checked-today": "listing-checked-today",
}
CHECKED_BY_STAFF = "Checked by staff"


def form_choices(db: Session, languages: Mapping[str, CardLanguage]) -> Choices:
    organizations = db.exec(select(Organization).order_by(col(Organization.name))).all()
    terms = db.exec(
        select(TaxonomyTerm).order_by(col(TaxonomyTerm.position), col(TaxonomyTerm.code))
    )
    return Choices(
        organizations={str(row.id): row.name for row in organizations},
        needs={term.code: term.name for term in terms},
        spoken={code: language_name(code) for code in languages},
        translations={
            code: (language_name(code), language.dir)
            for code, language in languages.items()
            if code != "en"
        },
    )


def load_listing(db: Session, service_id: str) -> Service | None:
    """A listing with all its children, or None for an unknown or malformed id."""
    try:
        wanted = uuid.UUID(service_id)
    except ValueError:
        return None
    return db.exec(
        select(Service)
        .where(col(Service.id) == wanted)
        .options(
            selectinload(Service.translations),  # type: ignore[arg-type]
            selectinload(Service.contacts).selectinload(Contact.phones),  # type: ignore[arg-type]
            selectinload(Service.schedules),  # type: ignore[arg-type]
            selectinload(Service.service_areas),  # type: ignore[arg-type]
            selectinload(Service.languages),  # type: ignore[arg-type]
            selectinload(Service.attributes).selectinload(Attribute.taxonomy_term),  # type: ignore[arg-type]
            selectinload(Service.service_at_locations)  # type: ignore[arg-type]
            .selectinload(ServiceAtLocation.location)  # type: ignore[arg-type]
            .selectinload(Location.addresses),  # type: ignore[arg-type]
        )
    ).first()


def values_of(service: Service) -> ListingValues:
    phones = [
        PhoneLine(phone.number, phone.type, phone.description)
        for contact in sorted(service.contacts, key=lambda contact: str(contact.id))
        for phone in sorted(contact.phones, key=lambda phone: phone.position)
    ]
    hours = []
    for schedule in service.schedules:
        days = {day.strip() for day in schedule.byday.split(",")}
        hours.append(
            OpeningHours(
                tuple(day for day in DAY_CODES if day in days),
                schedule.opens_at,
                schedule.closes_at,
            )
        )
    return ListingValues(
        organization_id=service.organization_id,
        name=service.name,
        summary=service.summary,
        description=service.description,
        url=service.url,
        email=service.email,
        minimum_age=service.minimum_age,
        maximum_age=service.maximum_age,
        verified=service.verified,
        assured_date=service.assured_date,
        verification_source=service.verification_source,
        needs=tuple(sorted(attribute.taxonomy_term.code for attribute in service.attributes)),
        areas=tuple(sorted({area.code for area in service.service_areas})),
        languages=tuple(language.code for language in service.languages),
        phones=tuple(phones),
        hours=tuple(sorted(hours, key=lambda item: item.sort_key)),
        translations={
            row.lang: TranslatedText(row.name, row.summary, row.description)
            for row in service.translations
        },
        chat_url=service.chat_url,
        cost=service.cost,
        accessibility=service.accessibility,
        callback=service.offers_callback,
        address=listing_place(service),
    )


def _phone_text(phone: PhoneLine) -> str:
    kind = "text" if phone.type == "sms" else "call"
    return f"{phone.number} ({kind}{': ' + phone.description if phone.description else ''})"


def _hours_text(hours: OpeningHours) -> str:
    when = "24 hours" if hours.all_day else f"{hours.opens:%H:%M} to {hours.closes:%H:%M}"
    return f"{','.join(hours.days)} {when}"


def describe(values: ListingValues, organizations: Mapping[str, str]) -> dict[str, str]:
    """Each field of a listing as readable text, by the name the history shows."""
    text = {
        "organisation": organizations.get(str(values.organization_id), str(values.organization_id)),
        "name": values.name,
        "summary": values.summary,
        "description": values.description,
        "website": values.url or "",
        "email": values.email or "",
        "youngest age": "" if values.minimum_age is None else str(values.minimum_age),
        "oldest age": "" if values.maximum_age is None else str(values.maximum_age),
        "verified": "yes" if values.verified else "no",
        "how it was checked": values.verification_source or "",
        "needs": ", ".join(sorted(values.needs)),
        "areas": ", ".join(sorted(values.areas)),
        "languages": ", ".join(sorted(values.languages)),
        "phones": "; ".join(_phone_text(phone) for phone in values.phones),
        "opening hours": "; ".join(_hours_text(hours) for hours in values.hours),
        "chat link": values.chat_url or "",
        "cost": values.cost or "",
        "access": values.accessibility or "",
        "callback link": "yes" if values.callback else "no",
        "address": values.address.one_line if values.address else "",
    }
    for lang, translated in sorted(values.translations.items()):
        text[f"name ({lang})"] = translated.name
        text[f"summary ({lang})"] = translated.summary
        text[f"description ({lang})"] = translated.description
    return text


def snapshot(service: Service, organizations: Mapping[str, str]) -> dict[str, str]:
    checked = service.assured_date.isoformat() if service.assured_date else ""
    return describe(values_of(service), organizations) | {
        "published": "yes" if service.published else "no",
        "archived": "yes" if service.archived else "no",
        "last checked": checked,
    }


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SHORT else flat[: SHORT - 1] + "…"


def record_changes(
    db: Session,
    service: Service,
    before: dict[str, str],
    after: dict[str, str],
    staff: Staff,
    at: datetime,
) -> list[str]:
    """One history row per field that differs; returns the names of those fields."""
    changed = []
    for name in dict.fromkeys([*after, *before]):
        old, new = before.get(name, ""), after.get(name, "")
        if old == new:
            continue
        changed.append(name)
        db.add(
            ListingChange(
                service_id=service.id,
                user_id=staff.user.id,
                actor=staff.user.email,
                at=at,
                field=name,
                old=_short(old),
                new=_short(new),
            )
        )
    return changed


def _audit(
    db: Session, action: str, staff: Staff, entity: str, entity_id: object, fields: list[str]
) -> None:
    detail = "changed: " + ", ".join(fields) if fields else "no changes"
    staff.audit(db, action, entity=entity, entity_id=entity_id, detail=detail)


def _mark_edited(service: Service, at: datetime) -> None:
    service.last_modified = at
    # None marks the row as changed by staff rather than copied from a listing file.
    service.source_fingerprint = None


def save_listing(
    db: Session,
    service: Service | None,
    values: ListingValues,
    choices: Choices,
    staff: Staff,
    at: datetime,
) -> Service:
    """Create (service None) or update a listing from checked values, with history and audit."""
    if service is None:
        # New listings start unpublished, so nobody is sent to a half-finished listing.
        service = Service(
            id=uuid.uuid4(),
            organization_id=values.organization_id,
            name=values.name,
            published=False,
            last_modified=at,
        )
        db.add(service)
        before: dict[str, str] = {}
        action = "listing-created"
    else:
        before = snapshot(service, choices.organizations)
        action = "listing-updated"
    service.organization_id = values.organization_id
    service.name = values.name
    service.summary = values.summary
    service.description = values.description
    service.url = values.url
    service.email = values.email
    service.minimum_age = values.minimum_age
    service.maximum_age = values.maximum_age
    service.verified = values.verified
    service.assured_date = values.assured_date
    service.verification_source = values.verification_source
    service.chat_url = values.chat_url
    service.cost = values.cost
    service.accessibility = values.accessibility
    service.offers_callback = values.callback
    _mark_edited(service, at)
    bump_directory_revision(db)
    _replace_children(db, service, values)
    changed = record_changes(
        db, service, before, snapshot(service, choices.organizations), staff, at
    )
    _audit(db, action, staff, "service", service.id, changed)
    return service


def _replace_children(db: Session, service: Service, values: ListingValues) -> None:
    sid = service.id
    service.translations, service.contacts, service.schedules = [], [], []
    service.service_areas, service.languages, service.attributes = [], [], []
    service.service_at_locations = []
    # Old rows are deleted first, so new rows with the same stable ids never meet them.
    db.flush()
    old_place = db.get(Location, child_id(sid, "location", 0))
    if old_place is not None:
        db.delete(old_place)
        db.flush()
    if values.address is not None:
        service.service_at_locations = [place_rows(sid, values.organization_id, values.address)]
    terms = db.exec(select(TaxonomyTerm).where(col(TaxonomyTerm.code).in_(values.needs))).all()
    service.translations = [
        ServiceTranslation(
            service_id=sid,
            lang=lang,
            name=text.name,
            summary=text.summary,
            description=text.description,
        )
        for lang, text in values.translations.items()
    ]
    if values.phones:
        contact = Contact(id=child_id(sid, "contact", 0), service_id=sid, name=values.name)
        contact.phones = [
            Phone(
                id=child_id(sid, "phone", position),
                contact_id=contact.id,
                number=phone.number,
                type=phone.type,
                description=phone.description,
                position=position,
            )
            for position, phone in enumerate(values.phones)
        ]
        service.contacts = [contact]
    service.schedules = [
        Schedule(
            id=child_id(sid, "schedule", index),
            service_id=sid,
            byday=",".join(hours.days),
            opens_at=hours.opens,
            closes_at=hours.closes,
        )
        for index, hours in enumerate(values.hours)
    ]
    service.service_areas = [
        ServiceArea(
            id=child_id(sid, "area", code),
            service_id=sid,
            code=code,
            name=code,
            extent_type="postcode_district",
        )
        for code in values.areas
    ]
    service.languages = [
        Language(
            id=child_id(sid, "language", code), service_id=sid, code=code, name=language_name(code)
        )
        for code in values.languages
    ]
    service.attributes = [
        Attribute(
            id=child_id(sid, "need", term.code),
            link_id=sid,
            taxonomy_term_id=term.id,
            taxonomy_term=term,
        )
        for term in terms
    ]
    db.flush()


def change_status(
    db: Session, service: Service, action: str, choices: Choices, staff: Staff, at: datetime
) -> list[str]:
    """Publish, unpublish, archive, or mark as checked today (one of STATUS_ACTIONS)."""
    before = snapshot(service, choices.organizations)
    if action == "publish":
        service.published, service.archived = True, False
    elif action == "unpublish":
        service.published = False
    elif action == "archive":
        service.published, service.archived = False, True
    elif action == "checked-today":
        service.verified = True
        service.assured_date = at.astimezone(LONDON).date()
        service.verification_source = service.verification_source or CHECKED_BY_STAFF
    else:
        raise ValueError(f"unknown listing action {action!r}")
    _mark_edited(service, at)
    bump_directory_revision(db)
    changed = record_changes(
        db, service, before, snapshot(service, choices.organizations), staff, at
    )
    _audit(db, STATUS_ACTIONS[action], staff, "service", service.id, changed)
    return changed


def find_listings(db: Session, name: str, status: str) -> list[Service]:
    query = select(Service).options(
        selectinload(Service.organization),  # type: ignore[arg-type]
        # What `listing_gaps.missing` reads, in a fixed number of queries.
        selectinload(Service.contacts).selectinload(Contact.phones),  # type: ignore[arg-type]
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location),  # type: ignore[arg-type]
    )
    if name:
        query = query.where(col(Service.name).icontains(name, autoescape=True))
    if status == "published":
        query = query.where(col(Service.published).is_(True), col(Service.archived).is_(False))
    elif status == "unpublished":
        query = query.where(col(Service.published).is_(False), col(Service.archived).is_(False))
    elif status == "archived":
        query = query.where(col(Service.archived).is_(True))
    return list(
        db.exec(query.order_by(func.lower(Service.name), col(Service.id)).limit(LIST_LIMIT)).all()
    )


def history(db: Session, service_id: uuid.UUID) -> list[ListingChange]:
    return list(
        db.exec(
            select(ListingChange)
            .where(ListingChange.service_id == service_id)
            .order_by(col(ListingChange.at).desc(), col(ListingChange.id).desc())
        ).all()
    )
