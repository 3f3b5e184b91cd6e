"""A team's callback queue: what caseworkers see, claiming, revealing a number, closing.

Caseworkers see only their own team's requests; admins see every team. Each reveal of a young
person's number is written to the audit log. Claiming and closing are each one guarded UPDATE, so
two caseworkers can never both claim (or both close) one request. Route handlers commit.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select, update

from app.admin.audit import record
from app.admin.roles import Role
from app.models import TEAM_ALERT, AdminSession, CallbackRequest, OutboundSms, Team, User
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
    return request.status != "closed" and request.due_at < now


def queue(db: Session, user: User, status: str | None, now: datetime) -> list[QueueItem]:
    query = select(CallbackRequest, Team).join(Team, col(Team.id) == col(CallbackRequest.team_id))
    if user.role != Role.ADMIN:
        query = query.where(col(CallbackRequest.team_id) == user.team_id)
    if status in STATUSES:
        query = query.where(CallbackRequest.status == status)
    rows = db.exec(query.order_by(col(CallbackRequest.due_at)).limit(500)).all()
    ids = [request.id for request, _team in rows]
    failed = set(
        db.exec(
            select(OutboundSms.callback_id).where(
                col(OutboundSms.callback_id).in_(ids),
                OutboundSms.purpose == TEAM_ALERT,
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
    if request is None or (user.role != Role.ADMIN and request.team_id != user.team_id):
        raise LookupError(reference)
    return request


def _guarded(
    db: Session, user: User, request: CallbackRequest, expected: tuple[str, ...], **values: object
) -> bool:
    """Change the request only if it is still in an `expected` status (and, for a caseworker,
    still their team's); True if this change won. One UPDATE, so of two caseworkers acting at
    once exactly one wins: the other's UPDATE, once the first commits, matches no row.
    """
    statement = (
        update(CallbackRequest)
        .where(
            col(CallbackRequest.id) == request.id,
            col(CallbackRequest.status).in_(expected),
        )
        .values(**values)
        # Not evaluated against the session's copy, which would mark the loser's copy as changed
        # too; the winner's handler commits (expiring the copy) and the loser's refreshes it.
        .execution_options(synchronize_session=False)
    )
    if user.role != Role.ADMIN:
        statement = statement.where(col(CallbackRequest.team_id) == user.team_id)
    won = db.exec(statement).rowcount == 1
    if not won:
        db.refresh(request)  # show the loser what the winner did
    return won


def _audit(
    db: Session,
    action: str,
    user: User,
    session: AdminSession,
    request: CallbackRequest,
    now: datetime,
    detail: str = "",
) -> None:
    record(
        db,
        action,
        at=now,
        user=user,
        staff_session=session,
        entity="callback",
        entity_id=request.reference,
        detail=detail,
    )


def claim(
    db: Session, user: User, session: AdminSession, request: CallbackRequest, now: datetime
) -> None:
    """Claim a new request for `user`, audited; QueueError if someone else got there first.

    The caller commits.
    """
    if not _guarded(
        db, user, request, ("new",), status="claimed", claimed_by=user.id, claimed_at=now
    ):
        raise QueueError("Someone has already claimed this request")
    _audit(db, "claim", user, session, request, now)


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
    _audit(db, "view-contact", user, session, request, now)
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
    """Close a request with what happened, audited; QueueError if it is already closed.

    The caller commits.
    """
    if outcome not in OUTCOMES:
        raise QueueError("Choose what happened")
    if not _guarded(
        db, user, request, ("new", "claimed"), status="closed", outcome=outcome, closed_at=now
    ):
        raise QueueError("This request is already closed")
    _audit(db, "close", user, session, request, now, f"outcome: {outcome}")
