"""Working one request: who may see the number, the log of attempts and notes, and closing it.

Only caseworkers of the team a request is routed to see the young person's number and the notes.
An admin sees them only by "breaking glass": giving a reason, which is written to the audit log
with the view. Notes are encrypted like the number and wiped with it; they never go into the audit
log, which records only that a note was added. A request closes only with an outcome, and "no
contact" only after three attempts on at least two days. Nothing here commits: handlers do.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.admin.access import Staff
from app.admin.roles import Role
from app.callbacks.queue import OPEN, QueueError, guarded
from app.directory.hours import LONDON, Hours, opening_state
from app.models import CallbackActivity, CallbackRequest, Team, User
from app.security import DataCipher

ATTEMPTS = {
    "no-answer": "Called, no answer",
    "no-message": "Called, left no message",
    "texted": "Texted",
    "spoke": "Spoke with them",
}
NOTE = "note"
OUTCOMES = {
    "helped": "Spoke and helped",
    "referred": "Referred on",
    "no-contact": "No contact after 3 attempts over 2 days",
    "not-appropriate": "Not appropriate (for example a prank or a wrong number)",
}
# Outcomes recorded before the outcomes above: still shown, no longer offered.
EARLIER_OUTCOMES = {
    "talked": "Talked to them",
    "texted": "Texted with them",
    "no-answer": "No answer",
    "wrong-number": "Wrong number",
}
NO_CONTACT_ATTEMPTS, NO_CONTACT_DAYS = 3, 2
NOTE_LIMIT, REASON_MIN, REFERRED_LIMIT = 2000, 10, 200
RETRY_AFTER = timedelta(hours=2)  # the next try after an unanswered call, within the team's hours


@dataclass(frozen=True)
class Entry:
    """One line of a request's log, with its note decrypted if this reader may see notes."""

    kind: str
    label: str
    by: str | None
    at: datetime
    note: str | None


def _audit(
    db: Session, actor: Staff, action: str, request: CallbackRequest, detail: str = ""
) -> None:
    actor.audit(db, action, entity="callback", entity_id=request.reference, detail=detail)


def _id(request: CallbackRequest) -> int:
    assert request.id is not None  # a stored request
    return request.id


def outcome_label(code: str | None) -> str:
    if code is None:
        return ""
    return OUTCOMES.get(code) or EARLIER_OUTCOMES.get(code, code)


def sees_contact(user: User, request: CallbackRequest) -> bool:
    """The one rule of who sees a number and the notes without breaking glass."""
    return user.role == Role.CASEWORKER and user.team_id == request.team_id


def _clean(text: str) -> str:
    return text.replace("\x00", "").strip()


def _contact(request: CallbackRequest, cipher: DataCipher) -> tuple[str, str]:
    if request.phone_encrypted is None:
        raise QueueError("The contact details were deleted under the retention rules")
    name = cipher.decrypt(request.name_encrypted) if request.name_encrypted else ""
    return cipher.decrypt(request.phone_encrypted), name


def claim(db: Session, actor: Staff, request: CallbackRequest) -> None:
    """Claim a new request, audited; QueueError if someone else got there first."""
    changes = {"status": "claimed", "claimed_by": actor.user.id, "claimed_at": actor.now}
    if not guarded(db, actor.user, request, ("new",), **changes):
        raise QueueError("Someone has already claimed this request")
    _audit(db, actor, "claim", request)


def reveal(
    db: Session, actor: Staff, request: CallbackRequest, cipher: DataCipher
) -> tuple[str, str]:
    """The number and name for a caseworker of the request's team, the view audited."""
    if not sees_contact(actor.user, request):
        raise QueueError("Only the team this request is routed to can see the number")
    contact = _contact(request, cipher)
    _audit(db, actor, "view-contact", request)
    return contact


def break_glass(
    db: Session, actor: Staff, request: CallbackRequest, cipher: DataCipher, reason: str
) -> tuple[str, str]:
    """An admin's emergency view of the number and notes, audited with the reason given."""
    if actor.user.role != Role.ADMIN:
        raise QueueError("Only an admin can do this")
    reason = _clean(reason)
    if len(reason) < REASON_MIN:
        raise QueueError("Say why you need to see this number (at least 10 characters)")
    contact = _contact(request, cipher)
    _audit(db, actor, "break-glass", request, f"reason: {reason[:500]}")
    return contact


def _note(text: str) -> str:
    note = _clean(text)
    if len(note) > NOTE_LIMIT:
        raise QueueError(f"Keep the note under {NOTE_LIMIT} characters (it has {len(note)})")
    return note


def log_attempt(
    db: Session,
    actor: Staff,
    request: CallbackRequest,
    kind: str,
    note_text: str,
    cipher: DataCipher,
) -> None:
    """Log a contact attempt (claiming the request if nobody has); it stays open."""
    if kind not in ATTEMPTS:
        raise QueueError("Choose what you did")
    note = _note(note_text)
    if request.status not in OPEN:
        raise QueueError("This request is closed")
    if request.status == "new":
        claim(db, actor, request)
    db.add(
        CallbackActivity(
            callback_id=_id(request),
            staff_id=actor.user.id,
            kind=kind,
            note_encrypted=cipher.encrypt(note) if note else None,
            created_at=actor.now,
        )
    )
    _audit(db, actor, "attempt", request, f"{kind}{' with a note' if note else ''}")


def add_note(
    db: Session, actor: Staff, request: CallbackRequest, note_text: str, cipher: DataCipher
) -> None:
    note = _note(note_text)
    if not note:
        raise QueueError("Write the note first")
    if request.phone_encrypted is None:
        raise QueueError("This request's details were deleted under the retention rules")
    db.add(
        CallbackActivity(
            callback_id=_id(request),
            staff_id=actor.user.id,
            kind=NOTE,
            note_encrypted=cipher.encrypt(note),
            created_at=actor.now,
        )
    )
    _audit(db, actor, "note", request)  # that a note was added; never what it says


def history(
    db: Session, request: CallbackRequest, cipher: DataCipher, with_notes: bool
) -> list[Entry]:
    """The request's log, oldest first; notes read only when `with_notes`."""
    rows = db.exec(
        select(CallbackActivity, User.email)
        .outerjoin(User, col(User.id) == col(CallbackActivity.staff_id))
        .where(CallbackActivity.callback_id == request.id)
        .order_by(col(CallbackActivity.created_at), col(CallbackActivity.id))
    ).all()
    entries = []
    for activity, email in rows:
        note = None
        if activity.note_encrypted and with_notes:
            note = cipher.decrypt(activity.note_encrypted)
        elif activity.note_encrypted:
            note = ""  # there is a note this reader may not see
        label = ATTEMPTS.get(activity.kind, "Note")
        entries.append(Entry(activity.kind, label, email, activity.created_at, note))
    return entries


def attempt_days(entries: list[Entry]) -> tuple[int, int]:
    """How many contact attempts were logged, and on how many London days."""
    attempts = [entry for entry in entries if entry.kind in ATTEMPTS]
    return len(attempts), len({entry.at.astimezone(LONDON).date() for entry in attempts})


def close(
    db: Session,
    actor: Staff,
    request: CallbackRequest,
    outcome: str,
    referred_to: str,
    entries: list[Entry],
) -> None:
    """Close a request with its outcome, audited; QueueError says what is missing."""
    if outcome not in OUTCOMES:
        raise QueueError("Choose what happened")
    referred = _clean(referred_to)
    if outcome == "referred" and not referred:
        raise QueueError("Say which service you referred them to")
    if len(referred) > REFERRED_LIMIT:
        raise QueueError(f"Keep the service's name under {REFERRED_LIMIT} characters")
    if outcome == "no-contact":
        attempts, days = attempt_days(entries)
        if attempts < NO_CONTACT_ATTEMPTS or days < NO_CONTACT_DAYS:
            raise QueueError(
                "“No contact” needs 3 attempts on at least 2 days: "
                f"{attempts} logged, on {days} day{'s' if days != 1 else ''}"
            )
    if not guarded(
        db,
        actor.user,
        request,
        OPEN,
        status="closed",
        outcome=outcome,
        referred_to=referred if outcome == "referred" else None,
        closed_at=actor.now,
        escalate_at=None,
    ):
        raise QueueError("This request is already closed")
    _audit(db, actor, "close", request, f"outcome: {outcome}")


def next_try(team: Team | None, entries: list[Entry], now: datetime) -> datetime | None:
    """After an unanswered call: when to try again (London time), within the team's hours.

    Two hours after the last attempt if the team is still at work then; otherwise when the team
    is next at work. None unless the last thing logged was an unanswered call.
    """
    attempts = [entry for entry in entries if entry.kind in ATTEMPTS]
    if team is None or not attempts or attempts[-1].kind not in ("no-answer", "no-message"):
        return None
    hours = [Hours(team.works_byday, team.works_from, team.works_until)]
    target = max(attempts[-1].at + RETRY_AFTER, now)
    state = opening_state(hours, target)
    if state.open_now or not state.known:
        return target.astimezone(LONDON)
    return state.next_open
