"""Every timestamp column stores the instant it was given and reads back in UTC, on SQLite as on
PostgreSQL; a time without a zone is refused rather than guessed at."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime, Engine
from sqlalchemy.exc import StatementError
from sqlmodel import Session, col, select

from app.models import AuditEvent, metadata
from app.models.base import UTCDateTime

SUMMER_1PM_IN_LONDON = datetime(2026, 7, 1, 13, 0, tzinfo=ZoneInfo("Europe/London"))


def test_a_time_given_in_london_summer_time_reads_back_as_the_same_instant_in_utc(
    migrated_engine: Engine,
) -> None:
    with Session(migrated_engine) as db:
        db.add(AuditEvent(at=SUMMER_1PM_IN_LONDON, action="test"))
        db.commit()
    with Session(migrated_engine) as db:
        at = db.exec(select(AuditEvent.at)).one()
        later = db.exec(
            select(AuditEvent.id).where(
                col(AuditEvent.at) > SUMMER_1PM_IN_LONDON - timedelta(minutes=1)
            )
        ).all()

    assert at == datetime(2026, 7, 1, 12, 0, tzinfo=UTC) and at.tzinfo is UTC
    assert len(later) == 1  # compared as instants, not as wall-clock times


def test_a_time_without_a_zone_is_refused(migrated_engine: Engine) -> None:
    with Session(migrated_engine) as db:
        db.add(AuditEvent(at=datetime(2026, 7, 1, 13, 0), action="test"))

        with pytest.raises(StatementError, match="give it a time zone"):
            db.commit()


def test_every_datetime_column_is_a_utc_timestamp() -> None:
    columns = [column for table in metadata.tables.values() for column in table.columns]
    utc = [str(column) for column in columns if isinstance(column.type, UTCDateTime)]
    plain = [str(column) for column in columns if isinstance(column.type, DateTime)]

    assert len(utc) > 10 and plain == []
