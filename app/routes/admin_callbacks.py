"""The callback queue in the admin: the queue, one request, and the actions taken on it."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from app.admin.access import AdminPost, Caseworker, CaseworkerPost, Staff, admin_page
from app.admin.access import redirect as see_other
from app.admin.words import callback_labels
from app.callbacks import casework
from app.callbacks.queue import FILTERS, QueueError, get_for, is_overdue, queue
from app.context import ContextDep, KeysDep, SessionDep
from app.models import CallbackRequest, Team

router = APIRouter(prefix="/admin/callbacks")


def labels(context: ContextDep) -> dict[str, dict[str, str]]:
    return callback_labels(context.needs, context.content.languages)


@router.get("", include_in_schema=False)
def callback_queue(
    request: Request, context: ContextDep, db: SessionDep, staff: Caseworker, status: str = "open"
) -> Response:
    chosen = status if status in FILTERS else "open"
    return admin_page(
        request,
        "admin/callbacks.html",
        staff,
        items=queue(db, staff.user, chosen, staff.now),
        chosen=chosen,
        filters=FILTERS,
        labels=labels(context),
    )


def _request(db: SessionDep, staff: Staff, reference: str) -> CallbackRequest:
    try:
        return get_for(db, staff.user, reference)
    except LookupError:
        raise HTTPException(status_code=404) from None


def _detail(
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: Staff,
    callback: CallbackRequest,
    errors: list[tuple[str, str]] | None = None,
    contact: tuple[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The request page; `contact` only after an audited reveal (and then its notes too)."""
    team = db.get(Team, callback.team_id)
    may_see = casework.sees_contact(staff.user, callback)
    entries = casework.history(db, callback, keys.cipher, with_notes=may_see or contact is not None)
    attempts, days = casework.attempt_days(entries)
    return admin_page(
        request,
        "admin/callback.html",
        staff,
        400 if errors else 200,
        callback=callback,
        team=team,
        labels=labels(context),
        overdue=is_overdue(callback, staff.now),
        outcome=casework.outcome_label(callback.outcome),
        outcomes=casework.OUTCOMES,
        attempt_kinds=casework.ATTEMPTS,
        entries=entries,
        attempts=attempts,
        attempt_days=days,
        next_try=casework.next_try(team, entries, staff.now),
        may_see=may_see,
        errors=errors or [],
        contact=contact,
        values=values or {},
    )


@router.get("/{reference}", include_in_schema=False)
def callback_detail(
    reference: str,
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: Caseworker,
) -> Response:
    return _detail(request, context, db, keys, staff, _request(db, staff, reference))


def _page_of(reference: str) -> Response:
    return see_other(f"/admin/callbacks/{reference}")


@router.post("/{reference}/claim", include_in_schema=False)
def claim_callback(
    reference: str,
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: CaseworkerPost,
) -> Response:
    callback = _request(db, staff, reference)
    try:
        casework.claim(db, staff, callback)
    except QueueError as error:
        return _detail(request, context, db, keys, staff, callback, [("claim", str(error))])
    db.commit()
    return _page_of(callback.reference)


@router.post("/{reference}/reveal", include_in_schema=False)
def reveal_contact(
    reference: str,
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: CaseworkerPost,
) -> Response:
    callback = _request(db, staff, reference)
    try:
        contact = casework.reveal(db, staff, callback, keys.cipher)
    except QueueError as error:
        return _detail(request, context, db, keys, staff, callback, [("reveal", str(error))])
    db.commit()  # the view is audited before the number is shown
    return _detail(request, context, db, keys, staff, callback, contact=contact)


@router.post("/{reference}/break-glass", include_in_schema=False)
def break_glass(
    reference: str,
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: AdminPost,
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    callback = _request(db, staff, reference)
    try:
        contact = casework.break_glass(db, staff, callback, keys.cipher, reason)
    except QueueError as error:
        return _detail(
            request,
            context,
            db,
            keys,
            staff,
            callback,
            [("reason", str(error))],
            values={"reason": reason},
        )
    db.commit()  # the reason is audited before the number is shown
    return _detail(request, context, db, keys, staff, callback, contact=contact)


@router.post("/{reference}/attempts", include_in_schema=False)
def log_attempt(
    reference: str,
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: CaseworkerPost,
    kind: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    callback = _request(db, staff, reference)
    try:
        casework.log_attempt(db, staff, callback, kind, note, keys.cipher)
    except QueueError as error:
        db.rollback()
        field = "kind-no-answer" if not kind else "attempt-note"
        return _detail(
            request,
            context,
            db,
            keys,
            staff,
            callback,
            [(field, str(error))],
            values={"kind": kind, "attempt-note": note},
        )
    db.commit()
    return _page_of(callback.reference)


@router.post("/{reference}/notes", include_in_schema=False)
def add_note(
    reference: str,
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: CaseworkerPost,
    note: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    callback = _request(db, staff, reference)
    try:
        casework.add_note(db, staff, callback, note, keys.cipher)
    except QueueError as error:
        return _detail(
            request,
            context,
            db,
            keys,
            staff,
            callback,
            [("note", str(error))],
            values={"note": note},
        )
    db.commit()
    return _page_of(callback.reference)


@router.post("/{reference}/close", include_in_schema=False)
def close_callback(
    reference: str,
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: CaseworkerPost,
    outcome: Annotated[str, Form(max_length=32)] = "",
    referred_to: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    callback = _request(db, staff, reference)
    entries = casework.history(db, callback, keys.cipher, with_notes=False)
    try:
        casework.close(db, staff, callback, outcome, referred_to, entries)
    except QueueError as error:
        field = "referred_to" if outcome == "referred" else "outcome-helped"
        return _detail(
            request,
            context,
            db,
            keys,
            staff,
            callback,
            [(field, str(error))],
            values={"outcome": outcome, "referred_to": referred_to},
        )
    db.commit()
    return see_other("/admin/callbacks")
