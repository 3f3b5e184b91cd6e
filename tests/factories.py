"""Plain factory functions for directory rows in tests: each returns what it added."""

import uuid
from datetime import date, time

from sqlalchemy import insert
from sqlmodel import Session, select

from app.directory.files import NeedsFile, ServiceFile, read_listing_files
from app.directory.importer import import_listings
from app.directory.revision import bump_directory_revision
from app.models import (
    Attribute,
    Contact,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceTranslation,
    TaxonomyTerm,
    utcnow,
)
from app.settings import PROJECT_ROOT

SHIPPED_NEEDS, SHIPPED_LISTINGS = read_listing_files(PROJECT_ROOT / "content" / "services")
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"


def load_needs(session: Session, needs: NeedsFile = SHIPPED_NEEDS) -> dict[str, uuid.UUID]:
    import_listings(session, needs, [])
    session.commit()
    return {term.code: term.id for term in needs.terms}


def load_shipped_listings(session: Session) -> None:
    import_listings(session, SHIPPED_NEEDS, SHIPPED_LISTINGS)
    session.commit()


def make_service(
    session: Session,
    name: str = "Test help line",
    *,
    needs: list[str] | None = None,
    areas: list[str] | None = None,
    hours: list[tuple[str, time, time]] | None = None,
    phones: list[tuple[str, str]] | None = None,
    minimum_age: int | None = None,
    maximum_age: int | None = None,
    verified: bool = True,
    published: bool = True,
    archived: bool = False,
    translations: dict[str, tuple[str, str]] | None = None,
    summary: str = "Help for young people.",
) -> Service:
    """Add one service with its children. `hours` items are (byday, opens, closes)."""
    organization = Organization(id=uuid.uuid4(), name=f"{name} organisation")
    service = Service(
        id=uuid.uuid4(),
        organization_id=organization.id,
        name=name,
        summary=summary,
        description=f"{name} helps young people.",
        url="https://example.org/help" if verified else None,
        verified=verified,
        assured_date=date(2026, 11, 1) if verified else None,
        verification_source="test" if verified else None,
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        published=published,
        archived=archived,
        last_modified=utcnow(),
    )
    session.add_all([organization, service])
    session.flush()
    rows: list[object] = []
    if phones is None:
        phones = [("0800 000 0000", "voice")] if verified else []
    if phones:
        contact = Contact(id=uuid.uuid4(), service_id=service.id, name=name)
        rows.append(contact)
        rows += [
            Phone(id=uuid.uuid4(), contact_id=contact.id, number=number, type=kind, position=i)
            for i, (number, kind) in enumerate(phones)
        ]
    for byday, opens, closes in hours or []:
        rows.append(
            Schedule(
                id=uuid.uuid4(),
                service_id=service.id,
                byday=byday,
                opens_at=opens,
                closes_at=closes,
            )
        )
    for code in areas or []:
        rows.append(ServiceArea(id=uuid.uuid4(), service_id=service.id, code=code, name=code))
    for code in needs or []:
        term = session.exec(select(TaxonomyTerm).where(TaxonomyTerm.code == code)).first()
        assert term is not None, f"load_needs first: no need {code}"
        rows.append(Attribute(id=uuid.uuid4(), link_id=service.id, taxonomy_term_id=term.id))
    for lang, (translated_name, translated_summary) in (translations or {}).items():
        rows.append(
            ServiceTranslation(
                service_id=service.id, lang=lang, name=translated_name, summary=translated_summary
            )
        )
    session.add_all(rows)
    session.commit()
    session.refresh(service)
    return service


def add_many_services(session: Session, count: int, need: str = "pressured") -> None:
    """Bulk-insert `count` verified services with a phone, hours, an area and a need (fast)."""
    term = session.exec(select(TaxonomyTerm).where(TaxonomyTerm.code == need)).one()
    organization = Organization(id=uuid.uuid4(), name="Bulk organisation")
    session.add(organization)
    session.flush()
    now = utcnow()
    services, contacts, phones, schedules, areas, attributes = [], [], [], [], [], []
    for index in range(count):
        service_id, contact_id = uuid.uuid4(), uuid.uuid4()
        services.append(
            {
                "id": service_id,
                "organization_id": organization.id,
                "name": f"Service {index}",
                "summary": "Help.",
                "description": "",
                "status": "active",
                "published": True,
                "archived": False,
                "verified": True,
                "assured_date": date(2026, 11, 1),
                "last_modified": now,
            }
        )
        contacts.append({"id": contact_id, "service_id": service_id, "name": f"Service {index}"})
        phones.append(
            {
                "id": uuid.uuid4(),
                "contact_id": contact_id,
                "number": "0800 000 0000",
                "type": "voice",
                "position": 0,
            }
        )
        schedules.append(
            {
                "id": uuid.uuid4(),
                "service_id": service_id,
                "freq": "WEEKLY",
                "byday": "MO,TU,WE,TH,FR",
                "opens_at": time(9),
                "closes_at": time(17),
            }
        )
        areas.append({"id": uuid.uuid4(), "service_id": service_id, "code": "LU1", "name": "LU1"})
        attributes.append(
            {
                "id": uuid.uuid4(),
                "link_id": service_id,
                "link_type": "need",
                "link_entity": "service",
                "taxonomy_term_id": term.id,
            }
        )
    for model, rows in [
        (Service, services),
        (Contact, contacts),
        (Phone, phones),
        (Schedule, schedules),
        (ServiceArea, areas),
        (Attribute, attributes),
    ]:
        session.execute(insert(model), rows)  # type: ignore[arg-type]
    # As the importer does: a bulk load is a directory change every instance's cache must see.
    bump_directory_revision(session)
    session.commit()


__all__ = ["EVERY_DAY", "ServiceFile", "load_needs", "load_shipped_listings", "make_service"]
