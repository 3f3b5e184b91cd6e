"""A team's callback queue: what caseworkers see, the counts in the admin menu, guarded changes.

Caseworkers see only their own team's requests; admins see every team's (but not the numbers:
see app/callbacks/casework.py). Every change of status is one guarded UPDATE, so two caseworkers
can never both claim (or both close) one request. Nothing here commits: route handlers do.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, literal
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select, update

from app.admin.roles import Role
from app.models import TEAM_ALERT, CallbackRequest, OutboundSms, Team, User

OPEN = ("new", "claimed")
# The queue's filter: its value, what the menu says, and the statuses it shows.
FILTERS = {
    "open": ("Open (new and claimed)", OPEN),
    "new": ("New", ("new",)),
    "claimed": ("Claimed", ("claimed",)),
    "closed": ("Closed", ("closed",)),
    "all": ("All", ("new", "claimed", "closed")),
}
SHOWN = 500


class QueueError(ValueError):
    """The action cannot be done (already claimed, closed, not your team...)."""


@dataclass(frozen=True)
class QueueItem:
    request: CallbackRequest
    team_name: str
    claimed_by: str | None  # the claimer's email
    overdue: bool
    alert_failed: bool


@dataclass(frozen=True)
class Counts:
    """What the admin menu and dashboard say: new, overdue (not closed, past due) and open."""

    new: int = 0
    overdue: int = 0
    open: int = 0

    @property
    def summary(self) -> str:
        parts = [f"{self.new} new"]
        if self.overdue:
            parts.append(f"{self.overdue} overdue")
        return ", ".join(parts)


@dataclass(frozen=True)
class TeamCounts:
    team: Team
    counts: Counts


def is_overdue(request: CallbackRequest, now: datetime) -> bool:
    return request.status != "closed" and request.due_at < now


def _visible_to(user: User) -> ColumnElement[bool]:
    """Admins see every team's requests; anyone else only their own team's."""
    if user.role == Role.ADMIN:
        return literal(True)
    return col(CallbackRequest.team_id) == user.team_id


def queue(db: Session, user: User, chosen: str, now: datetime) -> list[QueueItem]:
    """The requests `user` may see with the chosen filter (see FILTERS), soonest due first."""
    statuses = FILTERS.get(chosen, FILTERS["open"])[1]
    rows = db.exec(
        select(CallbackRequest, Team.name, User.email)
        .join(Team, col(Team.id) == col(CallbackRequest.team_id))
        .outerjoin(User, col(User.id) == col(CallbackRequest.claimed_by))
        .where(_visible_to(user), col(CallbackRequest.status).in_(statuses))
        .order_by(col(CallbackRequest.due_at), col(CallbackRequest.id))
        .limit(SHOWN)
    ).all()
    ids = [request.id for request, _team, _email in rows]
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
        QueueItem(request, team, email, is_overdue(request, now), request.id in failed)
        for request, team, email in rows
    ]


def _count_columns(now: datetime) -> tuple[ColumnElement[int], ...]:
    status, due = col(CallbackRequest.status), col(CallbackRequest.due_at)
    return (
        func.coalesce(func.sum(case((status == "new", 1), else_=0)), 0),
        func.coalesce(func.sum(case((status.in_(OPEN) & (due < now), 1), else_=0)), 0),
        func.coalesce(func.sum(case((status.in_(OPEN), 1), else_=0)), 0),
    )


def counts_for(db: Session, user: User, now: datetime) -> Counts:
    """The menu's counts for `user`: their team's requests, or every team's for an admin.

    One query; only requests that are not closed are read.
    """
    row = db.execute(
        select_columns(*_count_columns(now)).where(
            _visible_to(user), col(CallbackRequest.status).in_(OPEN)
        )
    ).one()
    return Counts(int(row[0]), int(row[1]), int(row[2]))


def counts_by_team(db: Session, now: datetime) -> list[TeamCounts]:
    """Every team with its counts (teams with nothing open too), for the admin dashboard."""
    rows = db.execute(
        select_columns(col(CallbackRequest.team_id), *_count_columns(now))
        .where(col(CallbackRequest.status).in_(OPEN))
        .group_by(col(CallbackRequest.team_id))
    ).all()
    by_team = {team_id: Counts(int(n), int(o), int(total)) for team_id, n, o, total in rows}
    teams = db.exec(select(Team).order_by(col(Team.name))).all()
    return [TeamCounts(team, by_team.get(team.id, Counts())) for team in teams]


def get_for(db: Session, user: User, reference: str) -> CallbackRequest:
    request = db.exec(
        select(CallbackRequest).where(CallbackRequest.reference == reference.upper())
    ).first()
    if request is None or (user.role != Role.ADMIN and request.team_id != user.team_id):
        raise LookupError(reference)
    return request


def guarded(
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
