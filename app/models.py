"""Database tables (SQLModel). The schema is created and changed only by Alembic migrations.

The directory tables follow Open Referral UK (HSDS 3.0 UK profile) names, so the API is a plain
mapping of rows. Ids are UUIDs that come from the listing files, so they survive re-imports.
"""

import uuid
from datetime import UTC, date, datetime, time

from sqlalchemy import Column, MetaData, UniqueConstraint
from sqlalchemy.types import DateTime
from sqlmodel import Field, Relationship, SQLModel

# Stable constraint names, so migrations can alter constraints on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(*, index: bool = False, primary_key: bool = False) -> datetime:
    """A required, timezone-aware timestamp column (UTC)."""
    column = Column(DateTime(timezone=True), nullable=False, index=index, primary_key=primary_key)
    return Field(sa_column=column)  # type: ignore[no-any-return]


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


class Team(SQLModel, table=True):
    """A youth team: the areas and needs it covers, its duty phones and its working hours."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    areas: str = Field(default="", max_length=1000)  # postcode districts, comma-separated
    needs: str = Field(default="", max_length=1000)  # need codes, comma-separated
    duty_phones: str = Field(default="", max_length=500)  # E.164 numbers, comma-separated
    works_byday: str = Field(default="MO,TU,WE,TH,FR", max_length=32)
    works_from: time = time(9)
    works_until: time = time(17)
    is_fallback: bool = False


class User(SQLModel, table=True):
    """A member of staff. Roles: admin, editor, caseworker."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=255, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    active: bool = True
    must_change_password: bool = False
    totp_secret: str | None = Field(default=None, max_length=500)  # encrypted with DATA_KEY
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = timestamp()


class AdminSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its hash is stored here."""

    __tablename__ = "admin_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    csrf_token: str = Field(max_length=64)
    second_factor_done: bool = False
    created_at: datetime = timestamp()
    last_seen_at: datetime = timestamp()
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AuditEvent(SQLModel, table=True):
    """Who did what, when, from which session. Never the personal data itself."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp(index=True)
    user_id: int | None = Field(default=None, index=True)
    actor: str | None = Field(default=None, max_length=255)
    session_ref: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=40, index=True)
    entity: str | None = Field(default=None, max_length=40)
    entity_id: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="", max_length=2000)


class ListingChange(SQLModel, table=True):
    """One changed field of a listing: who, when, old and new value."""

    __tablename__ = "listing_change"

    id: int | None = Field(default=None, primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    actor: str | None = Field(default=None, max_length=255)
    at: datetime = timestamp()
    field: str = Field(max_length=64)
    old: str = ""
    new: str = ""


class AppSetting(SQLModel, table=True):
    """Settings admins change in the admin (e.g. whether admins must use a second factor)."""

    __tablename__ = "app_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=1000)
