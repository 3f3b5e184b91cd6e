"""Finding help services: filters, the order that puts help available now first, and one listing.

What the public sees, and what an area means, are written once here and used by the API too:
only published, unarchived listings confirmed by staff are public; a service with no areas is
national, and with an area only national services and local ones covering it match (local first).

The number of queries is the same whatever the size of the directory: one query finds the matching
services with their opening hours (plain rows, for ordering), and only the page's listings are
loaded in full, with one query per kind of child row.
"""

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, exists, false, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.directory.hours import Hours, OpeningState, opening_state
from app.models import (
    Attribute,
    Contact,
    Location,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)

PAGE_SIZE = 20
POSTCODE_OUTWARD = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)(?:\s*[0-9][A-Z]{2})?$")
# The letters that start every UK postcode (Royal Mail's postcode areas): a district starting
# with other letters, like ZZ1, does not exist.
POSTCODE_AREAS = frozenset(
    re.findall(
        r"[A-Z]+",
        "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN "
        "DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY "
        "L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM "
        "S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN "
        "WR WS WV YO ZE",
    )
)


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
    local: bool = False  # covers the area asked for (rather than national)


class Match(NamedTuple):
    id: uuid.UUID
    verified: bool
    name: str
    local: bool


HOURS_COLUMNS = (col(Schedule.byday), col(Schedule.opens_at), col(Schedule.closes_at))


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


def known_district(district: str) -> bool:
    """Whether a district like LU1 starts with the letters of a real postcode area."""
    letters = re.match(r"[A-Z]*", district)
    return letters is not None and letters.group() in POSTCODE_AREAS


def public() -> ColumnElement[bool]:
    """What the public pages and the API show: published, not archived, confirmed by staff."""
    return and_(
        col(Service.published).is_(True),
        col(Service.archived).is_(False),
        col(Service.verified).is_(True),
    )


def covers(district: str) -> ColumnElement[bool]:
    """The service lists this postcode district among its areas."""
    return exists().where(
        col(ServiceArea.service_id) == col(Service.id), col(ServiceArea.code) == district
    )


def in_area(district: str) -> ColumnElement[bool]:
    """Services someone in the district can use: national ones (no areas) and those covering it."""
    national = ~exists().where(col(ServiceArea.service_id) == col(Service.id))
    return or_(national, covers(district))


def _matching(filters: Filters) -> Select[uuid.UUID, bool, str, bool]:
    local = covers(filters.area) if filters.area else false()
    query = select(Service.id, Service.verified, Service.name, local.label("local")).where(public())
    if filters.need:
        with_need = (
            select(Attribute.link_id)
            .join(TaxonomyTerm, col(TaxonomyTerm.id) == col(Attribute.taxonomy_term_id))
            .where(TaxonomyTerm.code == filters.need)
        )
        query = query.where(col(Service.id).in_(with_need))
    if filters.area:
        query = query.where(in_area(filters.area))
    if filters.age is not None:
        query = query.where(
            or_(col(Service.minimum_age).is_(None), col(Service.minimum_age) <= filters.age),
            or_(col(Service.maximum_age).is_(None), col(Service.maximum_age) >= filters.age),
        )
    return query


def find_services(session: Session, filters: Filters, now: datetime) -> Results:
    """One page of matching services, those that can help now first.

    Ordering needs every match's opening hours, so matches and hours are read as plain rows, and
    the opening state is worked out once per distinct timetable (many services share one, like
    "Monday to Friday, 9 to 5"); only the page shown is loaded in full.
    """
    matched = _matching(filters).subquery()
    # Plain rows through the connection: no ORM objects for thousands of matches.
    query = sa_select(
        matched.c.id, matched.c.verified, matched.c.name, matched.c.local, *HOURS_COLUMNS
    ).outerjoin(Schedule, col(Schedule.service_id) == matched.c.id)
    rows: dict[uuid.UUID, Match] = {}
    hours: dict[uuid.UUID, list[Hours]] = defaultdict(list)
    for (
        service_id,
        verified,
        name,
        local,
        byday,
        opens_at,
        closes_at,
    ) in session.connection().execute(query):
        rows.setdefault(service_id, Match(service_id, verified, name, bool(local)))
        if byday is not None:
            hours[service_id].append(Hours(byday, opens_at, closes_at))
    by_timetable: dict[frozenset[Hours], OpeningState] = {}

    def state_of(service_id: uuid.UUID) -> OpeningState:
        own = hours.get(service_id, [])
        timetable = frozenset(own)
        if timetable not in by_timetable:
            by_timetable[timetable] = opening_state(own, now)
        return by_timetable[timetable]

    states = {service_id: state_of(service_id) for service_id in rows}
    found = list(rows.values())
    if filters.open_now:
        found = [row for row in found if states[row.id].open_now]
    # Local services covering the area first (the page puts them under the area's heading).
    found.sort(
        key=lambda row: (
            not row.local,
            states[row.id].sort_key,
            not row.verified,
            row.name.lower(),
        )
    )
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    chosen = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    services = {service.id: service for service in load_services(session, [r.id for r in chosen])}
    listings = [
        Found(services[row.id], states[row.id], row.local) for row in chosen if row.id in services
    ]
    return Results(listings=listings, total=len(found), page=page, pages=pages)


def load_services(session: Session, ids: list[uuid.UUID]) -> list[Service]:
    """Published services with everything a listing shows, in a fixed number of queries."""
    if not ids:
        return []
    query = (
        select(Service)
        .where(col(Service.id).in_(ids), public())
        .options(
            selectinload(Service.translations),  # type: ignore[arg-type]
            selectinload(Service.contacts).selectinload(Contact.phones),  # type: ignore[arg-type]
            selectinload(Service.schedules),  # type: ignore[arg-type]
            selectinload(Service.service_areas),  # type: ignore[arg-type]
            selectinload(Service.attributes).selectinload(Attribute.taxonomy_term),  # type: ignore[arg-type]
            selectinload(Service.languages),  # type: ignore[arg-type]
            selectinload(Service.service_at_locations)  # type: ignore[arg-type]
            .joinedload(ServiceAtLocation.location)  # type: ignore[arg-type]
            .selectinload(Location.addresses),  # type: ignore[arg-type]
        )
    )
    return list(session.exec(query).all())


def find_service(session: Session, service_id: uuid.UUID) -> Service | None:
    found = load_services(session, [service_id])
    return found[0] if found else None
