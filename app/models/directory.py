"""Help-service directory tables, following Open Referral UK (HSDS 3.0 UK profile) names.

The API is then a plain mapping of rows. Ids are UUIDs that come from the listing files, so they
survive re-imports.
"""

import uuid
from datetime import date, datetime, time

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from app.models.base import timestamp


class Organization(SQLModel, table=True):
    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=255)
    description: str = ""
    website: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=255)

    services: list["Service"] = Relationship(back_populates="organization")


class Service(SQLModel, table=True):
    id: uuid.UUID = Field(primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=255)
    summary: str = Field(default="", max_length=300)
    description: str = ""
    url: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=255)
    status: str = Field(default="active", max_length=32)
    published: bool = True
    archived: bool = False
    minimum_age: int | None = None
    maximum_age: int | None = None
    verified: bool = False
    verification_source: str | None = Field(default=None, max_length=500)
    assured_date: date | None = None
    alert: str | None = None
    # Ways in beyond phones, website and email (HSDS keeps them elsewhere; one listing, one row).
    chat_url: str | None = Field(default=None, max_length=500)
    cost: str | None = Field(default=None, max_length=16)  # "free" or "paid"; None: not said
    accessibility: str | None = Field(default=None, max_length=500)
    # The youth team's own listing: its page links to the callback form.
    offers_callback: bool = False
    last_modified: datetime = timestamp(index=True)
    # Fingerprint of the listing file this row was last imported from; None if edited only by staff.
    source_fingerprint: str | None = Field(default=None, max_length=64)

    organization: Organization = Relationship(back_populates="services")
    translations: list["ServiceTranslation"] = Relationship(cascade_delete=True)
    contacts: list["Contact"] = Relationship(cascade_delete=True)
    schedules: list["Schedule"] = Relationship(cascade_delete=True)
    service_areas: list["ServiceArea"] = Relationship(cascade_delete=True)
    languages: list["Language"] = Relationship(cascade_delete=True)
    attributes: list["Attribute"] = Relationship(cascade_delete=True)
    service_at_locations: list["ServiceAtLocation"] = Relationship(cascade_delete=True)


class ServiceTranslation(SQLModel, table=True):
    __tablename__ = "service_translation"

    service_id: uuid.UUID = Field(foreign_key="service.id", primary_key=True, ondelete="CASCADE")
    lang: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=255)
    summary: str = Field(default="", max_length=300)
    description: str = ""


class Contact(SQLModel, table=True):
    id: uuid.UUID = Field(primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    name: str | None = Field(default=None, max_length=255)

    phones: list["Phone"] = Relationship(cascade_delete=True)


class Phone(SQLModel, table=True):
    id: uuid.UUID = Field(primary_key=True)
    contact_id: uuid.UUID = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    number: str = Field(max_length=32)
    type: str = Field(default="voice", max_length=16)  # voice or sms (HSDS phone types)
    description: str | None = Field(default=None, max_length=255)
    position: int = 0


class Schedule(SQLModel, table=True):
    """Weekly hours. `closes_at` before `opens_at` runs past midnight; equal means 24 hours."""

    id: uuid.UUID = Field(primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    freq: str = Field(default="WEEKLY", max_length=16)
    byday: str = Field(max_length=32)  # e.g. "MO,TU,WE,TH,FR"
    opens_at: time
    closes_at: time
    description: str | None = None


class ServiceArea(SQLModel, table=True):
    """An area a service covers: a postcode district (LU1) or a ward. No areas means everywhere."""

    __tablename__ = "service_area"

    id: uuid.UUID = Field(primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=255)
    code: str = Field(max_length=32, index=True)
    extent_type: str | None = Field(default=None, max_length=32)


class Language(SQLModel, table=True):
    """A language the service can be used in."""

    id: uuid.UUID = Field(primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=16)
    name: str = Field(max_length=64)


class Location(SQLModel, table=True):
    id: uuid.UUID = Field(primary_key=True)
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    location_type: str = Field(default="physical", max_length=16)
    name: str | None = Field(default=None, max_length=255)
    description: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    # A sensitive service (a refuge, say): its address is never shown on our pages or in the API.
    address_hidden: bool = False

    addresses: list["Address"] = Relationship(cascade_delete=True)


class Address(SQLModel, table=True):
    id: uuid.UUID = Field(primary_key=True)
    location_id: uuid.UUID = Field(foreign_key="location.id", index=True, ondelete="CASCADE")
    address_1: str = Field(max_length=255)
    city: str = Field(max_length=128)
    region: str | None = Field(default=None, max_length=128)
    state_province: str = Field(max_length=128)
    postal_code: str = Field(max_length=16)
    country: str = Field(default="GB", max_length=2)
    address_type: str = Field(default="physical", max_length=16)


class ServiceAtLocation(SQLModel, table=True):
    __tablename__ = "service_at_location"

    id: uuid.UUID = Field(primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    location_id: uuid.UUID = Field(foreign_key="location.id", index=True)
    description: str | None = None

    location: Location = Relationship()


class Taxonomy(SQLModel, table=True):
    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=255)
    description: str = ""
    uri: str | None = Field(default=None, max_length=500)
    version: str | None = Field(default=None, max_length=32)


class TaxonomyTerm(SQLModel, table=True):
    __tablename__ = "taxonomy_term"
    __table_args__ = (UniqueConstraint("code"),)

    id: uuid.UUID = Field(primary_key=True)
    code: str = Field(max_length=64)
    name: str = Field(max_length=255)
    description: str = ""
    taxonomy_id: uuid.UUID = Field(foreign_key="taxonomy.id", index=True)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="taxonomy_term.id")
    position: int = 0

    taxonomy: Taxonomy = Relationship()


class Attribute(SQLModel, table=True):
    """Links a service to a taxonomy term (HSDS 3.0 `attribute`)."""

    __table_args__ = (UniqueConstraint("link_id", "taxonomy_term_id"),)

    id: uuid.UUID = Field(primary_key=True)
    link_id: uuid.UUID = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    link_type: str = Field(default="need", max_length=32)
    link_entity: str = Field(default="service", max_length=32)
    taxonomy_term_id: uuid.UUID = Field(foreign_key="taxonomy_term.id", index=True)

    taxonomy_term: TaxonomyTerm = Relationship()


class ProblemReport(SQLModel, table=True):
    """A member of the public says a listing is wrong. No personal data is asked for."""

    __tablename__ = "problem_report"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=32)
    details: str = Field(default="", max_length=1000)
    status: str = Field(default="open", max_length=16, index=True)
    created_at: datetime = timestamp()


class RateLimitHit(SQLModel, table=True):
    """Counts per keyed-hash bucket and time window; shared by every app instance."""

    __tablename__ = "rate_limit_hit"

    bucket: str = Field(primary_key=True, max_length=128)
    window_start: datetime = timestamp(primary_key=True)
    hits: int = 0
