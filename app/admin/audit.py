"""The audit log: append-only records of who did what. Nothing here edits or deletes an entry."""

from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from app.directory.hours import LONDON
from app.models import AdminSession, AuditEvent, User


def record(
    db: Session,
    action: str,
    *,
    at: datetime,
    user: User | None = None,
    staff_session: AdminSession | None = None,
    entity: str | None = None,
    entity_id: object = None,
    detail: str = "",
) -> None:
    """Add an audit entry to the current transaction (the caller commits with its own change).

    `at` is the request's time (or the command's), the same moment the change itself records.
    """
    db.add(
        AuditEvent(
            at=at,
            user_id=user.id if user else None,
            actor=user.email if user else None,
            session_ref=staff_session.id[:12] if staff_session else None,
            action=action,
            entity=entity,
            entity_id=str(entity_id) if entity_id is not None else None,
            detail=detail[:2000],
        )
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _london_midnight(day: date) -> datetime:
    # In UTC, as stored: SQLite compares the text of the timestamps, without their offsets.
    return datetime.combine(day, time(0), LONDON).astimezone(UTC)


def find_events(
    db: Session, filters: dict[str, str], offset: int, limit: int
) -> tuple[list[AuditEvent], list[tuple[str, str]]]:
    """Entries matching `filters` (action, user, from, to as London days), newest first.

    Returns no entries and the problems when a date cannot be read.
    """
    errors: list[tuple[str, str]] = []
    statement = select(AuditEvent)
    if filters.get("action"):
        statement = statement.where(AuditEvent.action == filters["action"])
    if filters.get("user"):
        statement = statement.where(AuditEvent.actor == filters["user"])
    first, last = _day(filters.get("from", "")), _day(filters.get("to", ""))
    if filters.get("from") and first is None:
        errors.append(("from", "Enter the start date like 2026-11-25"))
    if filters.get("to") and last is None:
        errors.append(("to", "Enter the end date like 2026-11-25"))
    if first and last and last < first:
        errors.append(("to", "Enter an end date on or after the start date"))
    if errors:
        return [], errors
    if first:
        statement = statement.where(col(AuditEvent.at) >= _london_midnight(first))
    if last:
        statement = statement.where(col(AuditEvent.at) < _london_midnight(last + timedelta(days=1)))
    ordered = statement.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    return list(db.exec(ordered.offset(offset).limit(limit)).all()), []


def audit_actions(db: Session) -> list[str]:
    return list(db.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all())
