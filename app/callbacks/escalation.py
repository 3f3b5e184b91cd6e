"""Escalation: a request nobody claims is sent on to more duty phones, one step at a time.

A new request alerts its team's first duty phone (see `first_alert` in app/callbacks/routing.py)
and is due to escalate an hour into the team's working time. If it is still "new" (unclaimed)
then, the team's next duty phone is alerted; an hour later, the fallback team's duty phone. A step
with no phone to alert is skipped. `CallbackRequest.escalations` is the step last taken and
`escalate_at` when the next is due (None: no step left).

The outbox sender runs `escalate_due` on every tick, in its own transaction. Each request moves
on by one guarded UPDATE (still "new", step unchanged), so of two senders running at once only
one escalates it and queues its alert. Texts to duty phones never carry the young person's number
or words: the same reference and link as the first alert, marked "(not yet claimed)".
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, select, update
from sqlmodel import Session

from app.callbacks.phones import duty_numbers
from app.callbacks.requests import Text, phone_hash, queue_texts, team_alert
from app.callbacks.routing import ESCALATE_AFTER, FALLBACK, TEAM_NEXT
from app.models import TEAM_ALERT, CallbackRequest, Team
from app.security import Keys

BATCH = 50  # requests escalated per transaction; the rest wait for the next tick

_REQUEST = CallbackRequest.__table__  # type: ignore[attr-defined]
_TEAM = Team.__table__  # type: ignore[attr-defined]


def _is_due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    # Only unclaimed requests: one claimed or closed never escalates.
    return (_REQUEST.c.status == "new", _REQUEST.c.escalate_at <= now)


_DUE = (
    select(
        _REQUEST.c.id,
        _REQUEST.c.reference,
        _REQUEST.c.due_at,
        _REQUEST.c.escalations,
        _TEAM.c.duty_phones,
        _TEAM.c.is_fallback,
    )
    .join(_TEAM, _TEAM.c.id == _REQUEST.c.team_id)
    .order_by(_REQUEST.c.escalate_at, _REQUEST.c.id)
)
_FALLBACK_PHONES = (
    select(_TEAM.c.duty_phones).where(_TEAM.c.is_fallback).order_by(_TEAM.c.id).limit(1)
)


@dataclass(frozen=True)
class Due:
    """A request due to escalate, as read, with its team's duty phones."""

    id: int
    reference: str
    due_at: datetime
    escalations: int
    duty_phones: str
    is_fallback: bool


@dataclass(frozen=True)
class Step:
    """The step a request moves on to, the number it alerts (None: none left to alert), and when
    the step after it is due."""

    escalations: int
    number: str | None
    escalate_at: datetime | None


def next_step(
    taken: int, team_phones: str, fallback_phones: str, team_is_fallback: bool, now: datetime
) -> Step:
    """The first step after `taken` that has a phone to alert; steps without one are skipped."""
    team = duty_numbers(team_phones)
    # The fallback team is told last, unless the request is already the fallback team's.
    fallback = [] if team_is_fallback else duty_numbers(fallback_phones)
    numbers = {TEAM_NEXT: team[1:2], FALLBACK: fallback[:1]}
    ahead = [(step, found[0]) for step, found in numbers.items() if step > taken and found]
    if not ahead:
        return Step(FALLBACK, None, None)
    step, number = ahead[0]
    return Step(step, number, now + ESCALATE_AFTER if len(ahead) > 1 else None)


def escalation_due(db: Session, now: datetime) -> bool:
    """Whether any request is due to escalate: a read, so an idle sender takes no write lock."""
    due = select(_REQUEST.c.id).where(*_is_due(now)).limit(1)
    return db.execute(due).first() is not None


def find_due(db: Connection, now: datetime, limit: int = BATCH) -> list[Due]:
    return [Due(*row) for row in db.execute(_DUE.where(*_is_due(now)).limit(limit))]


def escalate(
    db: Connection,
    request: Due,
    fallback_phones: str,
    keys: Keys,
    now: datetime,
    base_url: str,
) -> bool:
    """Move one request (as `find_due` read it) on a step and queue its alert; False if another
    sender moved it first, or it was claimed meanwhile. The caller commits."""
    step = next_step(
        request.escalations, request.duty_phones, fallback_phones, request.is_fallback, now
    )
    moved = db.execute(
        update(_REQUEST)
        .where(
            _REQUEST.c.id == request.id,
            _REQUEST.c.status == "new",
            _REQUEST.c.escalations == request.escalations,
        )
        .values(escalations=step.escalations, escalate_at=step.escalate_at)
    ).rowcount
    if moved and step.number is not None:
        body = team_alert(request.reference, request.due_at, base_url, unclaimed=True)
        text = Text(
            keys.cipher.encrypt(step.number), phone_hash(keys, step.number), body, TEAM_ALERT
        )
        queue_texts(db, [text], request.id, now)
    return bool(moved)


def escalate_due(db: Connection, keys: Keys, now: datetime, base_url: str) -> int:
    """Escalate the requests that are due (up to `BATCH`); returns how many moved on a step."""
    due = find_due(db, now)
    if not due:
        return 0
    fallback_phones = db.execute(_FALLBACK_PHONES).scalar() or ""
    return sum(escalate(db, request, fallback_phones, keys, now, base_url) for request in due)
