"""`import-services`: load listing files into the database, idempotently (upsert by id).

A listing whose file has not changed since the last import is left alone, so re-running the import
changes nothing, and staff edits to a listing survive until its file is changed. The caller
commits (the `import-services` and `serve` commands).
"""

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from babel import Locale, UnknownLocaleError
from sqlalchemy import delete
from sqlmodel import Session, SQLModel, select

from app.directory.files import NeedsFile, ServiceFile
from app.directory.listing import ListingAddress
from app.directory.revision import bump_directory_revision
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
    ServiceTranslation,
    Taxonomy,
    TaxonomyTerm,
    utcnow,
)

CHILD_KEYS: list[tuple[type[SQLModel], Any]] = [
    (ServiceTranslation, ServiceTranslation.service_id),
    (Schedule, Schedule.service_id),
    (ServiceArea, ServiceArea.service_id),
    (Language, Language.service_id),
    (Attribute, Attribute.link_id),
]


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_files: list[str] = field(default_factory=list)
    edited_by_staff: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.unchanged)} unchanged, {len(self.edited_by_staff)} edited by staff, "
            f"{len(self.not_in_files)} only in the database"
        ]
        lines += [f"  added: {name}" for name in self.added]
        lines += [f"  changed: {name}" for name in self.changed]
        lines += [f"  only in the database (left alone): {name}" for name in self.not_in_files]
        lines += [f"  edited by staff (file not applied): {name}" for name in self.edited_by_staff]
        return "\n".join(lines)


def child_id(service_id: uuid.UUID, kind: str, index: int | str) -> uuid.UUID:
    """Ids for rows inside a listing: stable across imports, derived from the listing's id."""
    return uuid.uuid5(service_id, f"{kind}:{index}")


def fingerprint(listing: ServiceFile) -> str:
    return hashlib.sha256(listing.model_dump_json().encode()).hexdigest()


def import_listings(
    session: Session, needs: NeedsFile, listings: list[ServiceFile]
) -> ImportReport:
    terms = _upsert_needs(session, needs)
    report = ImportReport()
    existing = {row.id: row for row in session.exec(select(Service)).all()}
    for listing in listings:
        service = existing.get(listing.id)
        print_name = f"{listing.name} ({listing.id})"
        digest = fingerprint(listing)
        if service is not None and service.source_fingerprint == digest:
            report.unchanged.append(print_name)
            continue
        if service is not None and service.source_fingerprint is None:
            # Staff edited this listing in the admin: their edits win over the file.
            report.edited_by_staff.append(print_name)
            continue
        _upsert_organization(session, listing)
        if service is None:
            service = Service(
                id=listing.id, organization_id=listing.organization.id, name=listing.name
            )
            session.add(service)
            report.added.append(print_name)
        else:
            for table, key in CHILD_KEYS:
                session.execute(delete(table).where(key == listing.id))
            contact_ids = select(Contact.id).where(Contact.service_id == listing.id)
            session.execute(delete(Phone).where(Phone.contact_id.in_(contact_ids)))  # type: ignore[attr-defined]
            session.execute(delete(Contact).where(Contact.service_id == listing.id))  # type: ignore[arg-type]
            remove_places(session, listing.id)
            report.changed.append(print_name)
        _fill_service(service, listing, digest)
        session.flush()
        _add_children(session, listing, terms)
    if report.added or report.changed:
        bump_directory_revision(session)
    files = {listing.id for listing in listings}
    report.not_in_files = [
        f"{row.name} ({row.id})" for row in existing.values() if row.id not in files
    ]
    return report


def _upsert_needs(session: Session, needs: NeedsFile) -> dict[str, uuid.UUID]:
    taxonomy = session.get(Taxonomy, needs.taxonomy.id) or Taxonomy(id=needs.taxonomy.id, name="")
    taxonomy.name = needs.taxonomy.name
    taxonomy.description = needs.taxonomy.description
    taxonomy.version = needs.taxonomy.version
    session.add(taxonomy)
    for position, term_file in enumerate(needs.terms):
        term = session.get(TaxonomyTerm, term_file.id) or TaxonomyTerm(
            id=term_file.id, code=term_file.code, name="", taxonomy_id=taxonomy.id
        )
        term.code, term.name = term_file.code, term_file.name
        term.description, term.position = term_file.description, position
        term.taxonomy_id = taxonomy.id
        session.add(term)
    session.flush()
    return {term.code: term.id for term in needs.terms}


def _upsert_organization(session: Session, listing: ServiceFile) -> None:
    source = listing.organization
    organization = session.get(Organization, source.id) or Organization(id=source.id, name="")
    organization.name = source.name
    organization.description = source.description
    organization.website = source.website
    session.add(organization)


def _fill_service(service: Service, listing: ServiceFile, digest: str) -> None:
    service.organization_id = listing.organization.id
    service.name = listing.name
    service.summary = listing.summary
    service.description = listing.description
    service.url = listing.url
    service.email = listing.email
    service.verified = listing.verified
    service.assured_date = listing.assured_date
    service.verification_source = listing.verification_source
    service.minimum_age = listing.minimum_age
    service.maximum_age = listing.maximum_age
    service.published = listing.published
    service.chat_url = listing.chat_url
    service.cost = listing.cost
    service.accessibility = listing.accessibility
    service.offers_callback = listing.callback
    service.status = "active"
    service.last_modified = utcnow()
    service.source_fingerprint = digest


def _add_children(session: Session, listing: ServiceFile, terms: dict[str, uuid.UUID]) -> None:
    sid = listing.id
    rows: list[object] = []
    for lang, text in listing.translations.items():
        rows.append(
            ServiceTranslation(
                service_id=sid,
                lang=lang,
                name=text.name or listing.name,
                summary=text.summary or "",
                description=text.description or "",
            )
        )
    if listing.phones:
        contact = Contact(id=child_id(sid, "contact", 0), service_id=sid, name=listing.name)
        rows.append(contact)
        for position, phone in enumerate(listing.phones):
            rows.append(
                Phone(
                    id=child_id(sid, "phone", position),
                    contact_id=contact.id,
                    number=phone.number,
                    type=phone.type,
                    description=phone.description,
                    position=position,
                )
            )
    for index, hours in enumerate(listing.hours):
        rows.append(
            Schedule(
                id=child_id(sid, "schedule", index),
                service_id=sid,
                byday=",".join(hours.ordered_days),
                opens_at=hours.opens,
                closes_at=hours.closes,
                description=hours.description,
            )
        )
    for area in listing.area_codes:
        rows.append(
            ServiceArea(
                id=child_id(sid, "area", area.code),
                service_id=sid,
                code=area.code,
                name=area.name or area.code,
                extent_type="postcode_district",
            )
        )
    for code in dict.fromkeys(listing.languages):
        rows.append(
            Language(
                id=child_id(sid, "language", code),
                service_id=sid,
                code=code,
                name=language_name(code),
            )
        )
    for code in dict.fromkeys(listing.needs):
        rows.append(
            Attribute(id=child_id(sid, "need", code), link_id=sid, taxonomy_term_id=terms[code])
        )
    if listing.address is not None:
        rows.append(place_rows(sid, listing.organization.id, listing.address))
    session.add_all(rows)


def place_rows(
    service_id: uuid.UUID, organization_id: uuid.UUID, place: ListingAddress
) -> ServiceAtLocation:
    """A listing's walk-in address as Open Referral rows: a link with its location and address."""
    location = Location(
        id=child_id(service_id, "location", 0),
        organization_id=organization_id,
        address_hidden=place.hidden,
    )
    location.addresses = [
        Address(
            id=child_id(service_id, "address", 0),
            location_id=location.id,
            address_1=place.street,
            city=place.town,
            state_province="England",
            postal_code=place.postcode,
        )
    ]
    return ServiceAtLocation(
        id=child_id(service_id, "service_at_location", 0),
        service_id=service_id,
        location_id=location.id,
        location=location,
    )


def listing_place(service: Service) -> ListingAddress | None:
    """The walk-in address a listing was given (`place_rows` read back), or None."""
    for link in service.service_at_locations:
        for address in link.location.addresses:
            return ListingAddress(
                street=address.address_1,
                town=address.city,
                postcode=address.postal_code,
                hidden=link.location.address_hidden,
            )
    return None


def remove_places(session: Session, service_id: uuid.UUID) -> None:
    """Remove a listing's own address rows (the ones `place_rows` made)."""
    location_id = child_id(service_id, "location", 0)
    session.execute(delete(ServiceAtLocation).where(ServiceAtLocation.service_id == service_id))  # type: ignore[arg-type]
    session.execute(delete(Address).where(Address.location_id == location_id))  # type: ignore[arg-type]
    session.execute(delete(Location).where(Location.id == location_id))  # type: ignore[arg-type]


def language_name(code: str) -> str:
    try:
        return str(Locale.parse(code).get_display_name("en"))
    except (ValueError, UnknownLocaleError):
        return code


def load_listings_if_empty(session: Session, needs: NeedsFile, listings: list[ServiceFile]) -> bool:
    """Seed an empty directory (the quick start); a directory with listings is left alone."""
    if session.exec(select(Service.id).limit(1)).first() is not None:
        return False
    import_listings(session, needs, listings)
    return True
