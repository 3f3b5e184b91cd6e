"""Printed card batches and their anonymous daily scan counts."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.models.base import timestamp

UNKNOWN_BUCKET = "unknown"


class CardBatch(SQLModel, table=True):
    """Cards printed for one distribution point (a school, club or event)."""

    __tablename__ = "card_batch"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    label: str = Field(max_length=200)
    kind: str = Field(max_length=32)  # school, youth-club, event, outreach, other
    area: str | None = Field(default=None, max_length=16)  # postcode district
    default_lang: str | None = Field(default=None, max_length=16)
    retired: bool = False
    # How many cards were printed, when the admin says: the report shows scans per card printed.
    cards_printed: int | None = None
    created_at: datetime = timestamp()
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")


class ScanCount(SQLModel, table=True):
    """Scans per batch code (or the unknown bucket) per day: no person, device or time of day."""

    __tablename__ = "scan_count"

    bucket: str = Field(primary_key=True, max_length=16)
    day: date = Field(primary_key=True)
    scans: int = 0
