"""The audit log: append-only records of who did what. Nothing here edits or deletes an entry."""

from sqlmodel import Session

from app.models import AdminSession, AuditEvent, User, utcnow


def record(
    db: Session,
    action: str,
    *,
    user: User | None = None,
    staff_session: AdminSession | None = None,
    entity: str | None = None,
    entity_id: object = None,
    detail: str = "",
) -> None:
    """Add an audit entry to the current transaction (the caller commits with its own change)."""
    db.add(
        AuditEvent(
            at=utcnow(),
            user_id=user.id if user else None,
            actor=user.email if user else None,
            session_ref=staff_session.id[:12] if staff_session else None,
            action=action,
            entity=entity,
            entity_id=str(entity_id) if entity_id is not None else None,
            detail=detail[:2000],
        )
    )
