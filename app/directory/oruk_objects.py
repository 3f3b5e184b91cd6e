"""The Open Referral UK (HSDS 3.0 UK profile) objects the API publishes, as pydantic models.

`app.directory.oruk` builds them from rows; the API serialises each answer once with `to_json`.
Fields are in the order they are sent. Optional fields without a value are left out rather than
sent as null or "", as the Open Referral UK compliance rules ask: an optional text that is empty
becomes None, and `to_json` leaves out every None. Required fields are sent even when empty.
"""

import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer


def _none_if_empty(value: object) -> object:
    return None if value == "" else value


def iso_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds. SQLite hands back naive datetimes: they are UTC."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_time(value: time) -> str:
    return value.strftime("%H:%M:%S")


Text = Annotated[str | None, BeforeValidator(_none_if_empty)]
Moment = Annotated[datetime, PlainSerializer(iso_datetime, return_type=str)]
ClockTime = Annotated[time, PlainSerializer(iso_time, return_type=str)]
Unused = list[dict[str, Any]]  # a list the profile asks for that we always send empty


class OpenReferralObject(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class Organization(OpenReferralObject):
    id: uuid.UUID
    name: str
    description: str
    email: Text = None
    website: Text = None


class Phone(OpenReferralObject):
    id: uuid.UUID
    contact_id: uuid.UUID
    number: str
    type: Text = None
    description: Text = None
    languages: Unused = []


class Contact(OpenReferralObject):
    id: uuid.UUID
    service_id: uuid.UUID
    name: Text = None
    phones: list[Phone]
    attributes: Unused = []


class Schedule(OpenReferralObject):
    id: uuid.UUID
    service_id: uuid.UUID
    freq: Text = None
    interval: int
    byday: Text = None
    opens_at: ClockTime
    closes_at: ClockTime
    description: Text = None
    notes: Text = None


class ServiceArea(OpenReferralObject):
    id: uuid.UUID
    service_id: uuid.UUID
    name: Text = None
    extent: Text = None
    extent_type: Text = None
    service_area: Text = None


class Language(OpenReferralObject):
    id: uuid.UUID
    service_id: uuid.UUID
    name: Text = None
    code: Text = None


class Taxonomy(OpenReferralObject):
    id: uuid.UUID
    name: str
    description: str
    uri: Text = None
    version: Text = None


class TaxonomyTerm(OpenReferralObject):
    id: uuid.UUID
    code: Text = None
    name: str
    description: str
    parent_id: uuid.UUID | None = None
    taxonomy: str
    taxonomy_id: uuid.UUID
    term: Text = None


class Attribute(OpenReferralObject):
    id: uuid.UUID
    link_id: uuid.UUID
    link_type: Text = None
    link_entity: Text = None
    taxonomy_term_id: uuid.UUID
    taxonomy_term: TaxonomyTerm


class Address(OpenReferralObject):
    id: uuid.UUID
    location_id: uuid.UUID
    address_1: str
    city: str
    region: Text = None
    state_province: str
    postal_code: str
    country: str
    address_type: str


class LocationSummary(OpenReferralObject):
    """The location's own fields: what a list of service_at_locations carries."""

    id: uuid.UUID
    location_type: str
    name: Text = None
    description: Text = None
    latitude: float | None = None
    longitude: float | None = None


class Location(LocationSummary):
    addresses: list[Address]
    accessibility: Unused = []
    attributes: Unused = []


class ServiceAtLocationInService(OpenReferralObject):
    """As nested in a full service: the location in full, the service implied."""

    id: uuid.UUID
    service_id: uuid.UUID
    location_id: uuid.UUID
    location: Location


class ServiceSummary(OpenReferralObject):
    """One item of a list of services (`service_list.json`): one-to-one fields only."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    description: Text = None
    url: Text = None
    email: Text = None
    status: str
    minimum_age: int | None = None
    maximum_age: int | None = None
    assured_date: date | None = None
    alert: Text = None
    last_modified: Moment
    organization: Organization


class Service(ServiceSummary):
    """A fully nested service (`service.json`)."""

    contacts: list[Contact]
    schedules: list[Schedule]
    service_areas: list[ServiceArea]
    service_at_locations: list[ServiceAtLocationInService]
    languages: list[Language]
    attributes: list[Attribute]
    funding: Unused = []
    cost_options: Unused = []


class ServiceAtLocationSummary(OpenReferralObject):
    """One item of a list of service_at_locations (`service_at_location_list.json`)."""

    id: uuid.UUID
    service_id: uuid.UUID
    location_id: uuid.UUID
    location: LocationSummary
    service: ServiceSummary


class ServiceAtLocation(OpenReferralObject):
    """A service at one location, both fully nested (the UK profile's service_at_location)."""

    id: uuid.UUID
    service_id: uuid.UUID
    location_id: uuid.UUID
    location: Location
    service: Service


Item = TypeVar("Item", bound=OpenReferralObject)


class Page(OpenReferralObject, Generic[Item]):
    """The paginated envelope of every list endpoint (the `Page` schema)."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[Item]
