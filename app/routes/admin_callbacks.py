"""The callback queue in the admin: a team's requests, claiming, revealing a number, closing."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response

from app.admin.access import Staff, admin_page, now, posting_staff_with, redirect, staff_with
from app.admin.roles import Role
from app.callbacks.queue import (
    OUTCOMES,
    STATUSES,
    QueueError,
    claim,
    close,
    get_for,
    is_overdue,
    queue,
    reveal,
)
from app.database import SessionDep
from app.directory.present import needs_in
from app.models import CallbackRequest, Team
from app.security import DataCipher

router = APIRouter(prefix="/admin/callbacks")
Caseworker = Annotated[Staff, Depends(staff_with(Role.CASEWORKER))]
CaseworkerPost = Annotated[Staff, Depends(posting_staff_with(Role.CASEWORKER))]
BEST_TIMES = {
    "today": "Today",
    "evening": "This evening",
    "tomorrow": "Tomorrow",
    "any": "Any time",
}


@router.get("", include_in_schema=False)
def callback_queue(
    request: Request, db: SessionDep, staff: Caseworker, status: str = ""
) -> Response:
    items = queue(db, staff.user, status or None, now(request))
    return admin_page(
        request, "admin/callbacks.html", staff, items=items, chosen=status, statuses=STATUSES
    )


def _request(db: SessionDep, staff: Staff, reference: str) -> CallbackRequest:
    try:
        return get_for(db, staff.user, reference)
    except LookupError:
        raise HTTPException(status_code=404) from None


def _detail(
    request: Request,
    db: SessionDep,
    staff: Staff,
    callback: CallbackRequest,
    errors: list[tuple[str, str]] | None = None,
    contact: tuple[str, str] | None = None,
) -> Response:
    labels = {need.code: need.label for need in needs_in(request.app.state.needs, "en")}
    languages = request.app.state.content.languages
    team = db.get(Team, callback.team_id)
    return admin_page(
        request,
        "admin/callback.html",
        staff,
        400 if errors else 200,
        callback=callback,
        team=team,
        need=labels.get(callback.need or "", "Not said"),
        best_time=BEST_TIMES.get(callback.best_time, callback.best_time),
        call_language=languages[callback.call_lang].name
        if callback.call_lang in languages
        else callback.call_lang,
        overdue=is_overdue(callback, now(request)),
        outcomes=OUTCOMES,
        errors=errors or [],
        contact=contact,
    )


@router.get("/{reference}", include_in_schema=False)
def callback_detail(
    reference: str, request: Request, db: SessionDep, staff: Caseworker
) -> Response:
    return _detail(request, db, staff, _request(db, staff, reference))


@router.post("/{reference}/claim", include_in_schema=False)
def claim_callback(
    reference: str, request: Request, db: SessionDep, staff: CaseworkerPost
) -> Response:
    callback = _request(db, staff, reference)
    try:
        claim(db, staff.user, staff.session, callback, now(request))
    except QueueError as error:
        return _detail(request, db, staff, callback, [("claim", str(error))])
    db.commit()
    return redirect(f"/admin/callbacks/{callback.reference}")


@router.post("/{reference}/reveal", include_in_schema=False)
def reveal_contact(
    reference: str, request: Request, db: SessionDep, staff: CaseworkerPost
) -> Response:
    callback = _request(db, staff, reference)
    cipher = DataCipher(request.app.state.settings.data_key.get_secret_value())
    try:
        contact = reveal(db, staff.user, staff.session, callback, cipher)
    except QueueError as error:
        return _detail(request, db, staff, callback, [("reveal", str(error))])
    return _detail(request, db, staff, callback, contact=contact)


@router.post("/{reference}/close", include_in_schema=False)
def close_callback(
    reference: str,
    request: Request,
    db: SessionDep,
    staff: CaseworkerPost,
    outcome: Annotated[str, Form()] = "",
) -> Response:
    callback = _request(db, staff, reference)
    try:
        close(db, staff.user, staff.session, callback, outcome, now(request))
    except QueueError as error:
        return _detail(request, db, staff, callback, [("outcome-talked", str(error))])
    db.commit()
    return redirect("/admin/callbacks")
