"""A team's callback queue: what caseworkers see, claiming, revealing a number, closing.

Caseworkers see only their own team's requests; admins see every team. Each reveal of a young
person's number is written to the audit log. Nothing here commits: the handler does, once the
action and its audit record are both in the session.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.admin.audit import record
from app.admin.auth import aware
from app.models import AdminSession, CallbackRequest, OutboundSms, Team, User
from app.security import DataCipher

OUTCOMES = {
    "talked": "Talked to them",
    "texted": "Texted with them",
    "no-answer": "No answer",
    "wrong-number": "Wrong number",
    "referred": "Referred on",
}
STATUSES = ("new", "claimed", "closed")


class QueueError(ValueError):
    """The action cannot be done (already claimed, closed, not your team...)."""


@dataclass(frozen=True)
class QueueItem:
    request: CallbackRequest
    team_name: str
    overdue: bool
    alert_failed: bool


def is_overdue(request: CallbackRequest, now: datetime) -> bool:
    return request.status != "closed" and aware(request.due_at) < now


def queue(db: Session, user: User, status: str | None, now: datetime) -> list[QueueItem]:
    query = select(CallbackRequest, Team).join(Team, col(Team.id) == col(CallbackRequest.team_id))
    if user.role != "admin":
        query = query.where(col(CallbackRequest.team_id) == user.team_id)
    if status in STATUSES:
        query = query.where(CallbackRequest.status == status)
    rows = db.exec(query.order_by(col(CallbackRequest.due_at)).limit(500)).all()
    ids = [request.id for request, _team in rows]
    failed = set(
        db.exec(
            select(OutboundSms.callback_id).where(
                col(OutboundSms.callback_id).in_(ids),
                OutboundSms.purpose == "team-alert",
                col(OutboundSms.status).in_(("failed", "undelivered")),
            )
        ).all()
    )
    return [
        QueueItem(request, team.name, is_overdue(request, now), request.id in failed)
        for request, team in rows
    ]


def get_for(db: Session, user: User, reference: str) -> CallbackRequest:
    request = db.exec(
        select(CallbackRequest).where(CallbackRequest.reference == reference.upper())
    ).first()
    if request is None or (user.role != "admin" and request.team_id != user.team_id):
        raise LookupError(reference)
    return request


def claim(
    db: Session, user: User, session: AdminSession, request: CallbackRequest, now: datetime
) -> None:
    if request.status != "new":
        raise QueueError("Someone has already claimed this request")
    request.status, request.claimed_by, request.claimed_at = "claimed", user.id, now
    db.add(request)
    record(
        db,
        "claim",
        at=now,
        user=user,
        staff_session=session,
        entity="callback",
        entity_id=request.reference,
    )


def reveal(
    db: Session,
    user: User,
    session: AdminSession,
    request: CallbackRequest,
    cipher: DataCipher,
    now: datetime,
) -> tuple[str, str]:
    """The number and name, decrypted for this caseworker, and the reveal audited.

    The caller commits the audit record before it shows them.
    """
    if request.phone_encrypted is None:
        raise QueueError("The contact details were deleted under the retention rules")
    record(
        db,
        "view-contact",
        at=now,
        user=user,
        staff_session=session,
        entity="callback",
        entity_id=request.reference,
    )
    name = cipher.decrypt(request.name_encrypted) if request.name_encrypted else ""
    return cipher.decrypt(request.phone_encrypted), name


def close(
    db: Session,
    user: User,
    session: AdminSession,
    request: CallbackRequest,
    outcome: str,
    now: datetime,
) -> None:
    if outcome not in OUTCOMES:
        raise QueueError("Choose what happened")
    if request.status == "closed":
        raise QueueError("This request is already closed")
    request.status, request.outcome, request.closed_at = "closed", outcome, now
    db.add(request)
    record(
        db,
        "close",
        at=now,
        user=user,
        staff_session=session,
        entity="callback",
        entity_id=request.reference,
        detail=f"outcome: {outcome}",
    )
