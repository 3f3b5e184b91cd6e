"""Staff tables: teams, users, sessions, settings, the audit log and listing change history."""

import uuid
from datetime import datetime, time

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from app.days import WORKING_WEEK
from app.models.base import optional_timestamp, timestamp


class Team(SQLModel, table=True):
    """A youth team: the areas and needs it covers, its duty phones and its working hours."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    areas: str = Field(default="", max_length=1000)  # postcode districts, comma-separated
    needs: str = Field(default="", max_length=1000)  # need codes, comma-separated
    duty_phones: str = Field(default="", max_length=500)  # E.164 numbers, comma-separated
    works_byday: str = Field(default=",".join(WORKING_WEEK), max_length=32)
    works_from: time = time(9)
    works_until: time = time(17)
    is_fallback: bool = False
    # The number a young person will see us call and text from (shown before they send a request).
    calls_from: str = Field(default="", max_length=32)


class User(SQLModel, table=True):
    """A member of staff (roles: `app/admin/roles.py`)."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=255, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    active: bool = True
    must_change_password: bool = False
    # A reviewer's languages (codes, comma-separated): the translations they may check.
    languages: str = Field(default="", max_length=200)
    totp_secret: str | None = Field(default=None, max_length=500)  # encrypted with DATA_KEY
    # The time step (Unix time // 30) of the last code accepted: a code is never accepted twice.
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)
    locked_until: datetime | None = optional_timestamp()
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
    revoked_at: datetime | None = optional_timestamp()


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
