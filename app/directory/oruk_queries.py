"""The queries behind the Open Referral UK API: which services show, filters, eager loading.

Every list query loads the children it needs with `selectinload` or `joinedload`, so a page costs
the same few queries whatever its size; `raiseload` turns any forgotten lazy load (one query per
row) into an error instead of a slow page.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Load, QueryableAttribute, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from app.directory.search import in_area, public
from app.models import Attribute, Contact, Location, Service, ServiceAtLocation, TaxonomyTerm


@dataclass(frozen=True)
class ServiceFilters:
    search: str | None = None
    taxonomy_term_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    modified_after: datetime | None = None
    district: str | None = None  # a postcode district, like LU1


@dataclass(frozen=True)
class PageRequest:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def parse_moment(value: str) -> datetime:
    """An ISO 8601 date or date-time (ValueError if not); without a time zone it is UTC."""
    moment = datetime.fromisoformat(value.strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rel(attribute: object) -> QueryableAttribute[Any]:
    """SQLModel types relationships as their Python values; loader options want the attribute."""
    assert isinstance(attribute, QueryableAttribute)
    return attribute


def visible() -> list[ColumnElement[bool]]:
    """The public's rule (`app.directory.search.public`): the API shows what the pages show."""
    return [public()]


def service_conditions(filters: ServiceFilters) -> list[ColumnElement[bool]]:
    conditions = visible()
    if filters.search:
        words = filters.search
        conditions.append(
            or_(
                col(Service.name).icontains(words, autoescape=True),
                col(Service.summary).icontains(words, autoescape=True),
                col(Service.description).icontains(words, autoescape=True),
            )
        )
    if filters.taxonomy_term_id:
        tagged = select(Attribute.link_id).where(
            Attribute.taxonomy_term_id == filters.taxonomy_term_id
        )
        conditions.append(col(Service.id).in_(tagged))
    if filters.taxonomy_id:
        terms = select(TaxonomyTerm.id).where(TaxonomyTerm.taxonomy_id == filters.taxonomy_id)
        tagged = select(Attribute.link_id).where(col(Attribute.taxonomy_term_id).in_(terms))
        conditions.append(col(Service.id).in_(tagged))
    # Ages describe the person asking: keep services whose age range lets them in.
    if filters.minimum_age is not None:
        oldest = col(Service.maximum_age)
        conditions.append(or_(oldest.is_(None), oldest >= filters.minimum_age))
    if filters.maximum_age is not None:
        youngest = col(Service.minimum_age)
        conditions.append(or_(youngest.is_(None), youngest <= filters.maximum_age))
    if filters.district is not None:
        conditions.append(in_area(filters.district))
    if filters.modified_after is not None:
        conditions.append(col(Service.last_modified) >= filters.modified_after)
    return conditions


def summary_options() -> list[ExecutableOption]:
    return [joinedload(rel(Service.organization)), Load(Service).raiseload("*")]


def full_service_options() -> list[ExecutableOption]:
    return [
        joinedload(rel(Service.organization)),
        selectinload(rel(Service.contacts)).selectinload(rel(Contact.phones)),
        selectinload(rel(Service.schedules)),
        selectinload(rel(Service.service_areas)),
        selectinload(rel(Service.languages)),
        selectinload(rel(Service.attributes))
        .joinedload(rel(Attribute.taxonomy_term))
        .joinedload(rel(TaxonomyTerm.taxonomy)),
        selectinload(rel(Service.service_at_locations))
        .joinedload(rel(ServiceAtLocation.location))
        .selectinload(rel(Location.addresses)),
        Load(Service).raiseload("*"),
    ]


def service_at_location_query() -> Select[ServiceAtLocation, Service]:
    """Each link with its service, so the service filters apply to links too; never a link to
    a location whose address is hidden (a sensitive service)."""
    return (
        select(ServiceAtLocation, Service)
        .join(Service, col(ServiceAtLocation.service_id) == col(Service.id))
        .join(Location, col(ServiceAtLocation.location_id) == col(Location.id))
        .where(col(Location.address_hidden).is_(False))
    )
