"""Finding help services: filters, the order that puts help available now first, and one listing.

The number of queries is the same whatever the size of the directory: one query finds the matching
services, one loads their opening hours for ordering, and the page's listings are loaded in full
with one query per kind of child row.
"""

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.directory.hours import OpeningState, opening_state
from app.models import Attribute, Contact, Schedule, Service, ServiceArea, TaxonomyTerm

PAGE_SIZE = 20
POSTCODE_OUTWARD = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)(?:\s*[0-9][A-Z]{2})?$")


@dataclass(frozen=True)
class Filters:
    need: str | None = None
    area: str | None = None  # a postcode district, e.g. LU1
    age: int | None = None
    open_now: bool = False
    page: int = 1


@dataclass(frozen=True)
class Found:
    service: Service
    state: OpeningState


@dataclass(frozen=True)
class Results:
    listings: list[Found]
    total: int
    page: int
    pages: int


def postcode_district(text: str) -> str | None:
    """'lu1 2ab' or 'LU1' → 'LU1'; anything else → None."""
    match = POSTCODE_OUTWARD.match(text.strip().upper())
    return match.group(1) if match else None


def _visible() -> ColumnElement[bool]:
    return and_(col(Service.published).is_(True), col(Service.archived).is_(False))


def _matching(filters: Filters) -> object:
    query = select(Service.id, Service.verified, Service.name).where(_visible())
    if filters.need:
        with_need = (
            select(Attribute.link_id)
            .join(TaxonomyTerm, col(TaxonomyTerm.id) == col(Attribute.taxonomy_term_id))
            .where(TaxonomyTerm.code == filters.need)
        )
        query = query.where(col(Service.id).in_(with_need))
    if filters.area:
        has_areas = exists().where(col(ServiceArea.service_id) == col(Service.id))
        covers = exists().where(
            col(ServiceArea.service_id) == col(Service.id), col(ServiceArea.code) == filters.area
        )
        query = query.where(or_(~has_areas, covers))
    if filters.age is not None:
        query = query.where(
            or_(col(Service.minimum_age).is_(None), col(Service.minimum_age) <= filters.age),
            or_(col(Service.maximum_age).is_(None), col(Service.maximum_age) >= filters.age),
        )
    return query


def find_services(session: Session, filters: Filters, now: datetime) -> Results:
    matching = _matching(filters)
    rows = session.exec(matching).all()  # type: ignore[call-overload]
    ids = select(matching.subquery().c.id)  # type: ignore[attr-defined]
    schedules: dict[uuid.UUID, list[Schedule]] = defaultdict(list)
    for schedule in session.exec(select(Schedule).where(col(Schedule.service_id).in_(ids))):
        schedules[schedule.service_id].append(schedule)
    states = {row.id: opening_state(schedules[row.id], now) for row in rows}
    if filters.open_now:
        rows = [row for row in rows if states[row.id].open_now]
    rows.sort(key=lambda row: (states[row.id].sort_key, not row.verified, row.name.lower()))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    chosen = [row.id for row in rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
    services = {service.id: service for service in load_services(session, chosen)}
    listings = [Found(services[sid], states[sid]) for sid in chosen]
    return Results(listings=listings, total=len(rows), page=page, pages=pages)


def load_services(session: Session, ids: list[uuid.UUID]) -> list[Service]:
    """Published services with everything a listing shows, in a fixed number of queries."""
    if not ids:
        return []
    query = (
        select(Service)
        .where(col(Service.id).in_(ids), _visible())
        .options(
            selectinload(Service.translations),  # type: ignore[arg-type]
            selectinload(Service.contacts).selectinload(Contact.phones),  # type: ignore[arg-type]
            selectinload(Service.schedules),  # type: ignore[arg-type]
            selectinload(Service.service_areas),  # type: ignore[arg-type]
            selectinload(Service.attributes).selectinload(Attribute.taxonomy_term),  # type: ignore[arg-type]
        )
    )
    return list(session.exec(query).all())


def find_service(session: Session, service_id: uuid.UUID) -> Service | None:
    found = load_services(session, [service_id])
    return found[0] if found else None
