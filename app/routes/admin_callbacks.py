"""The callback queue in the admin: the queue, one request, and the actions taken on it."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
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


@dataclass
class RequestPage:
    """One request's page, for its handlers: show it (with errors), or commit and go on."""

    request: Request
    context: ContextDep
    db: SessionDep
    keys: KeysDep
    staff: Staff
    reference: str
    callback: CallbackRequest = field(init=False)

    def __post_init__(self) -> None:
        try:
            self.callback = get_for(self.db, self.staff.user, self.reference)
        except LookupError:
            raise HTTPException(status_code=404) from None

    def show(
        self,
        errors: list[tuple[str, str]] | None = None,
        contact: tuple[str, str] | None = None,
        values: dict[str, str] | None = None,
    ) -> Response:
        """The request page; `contact` only after an audited view (and then its notes too)."""
        db, callback, staff = self.db, self.callback, self.staff
        team = db.get(Team, callback.team_id)
        may_see = casework.sees_contact(staff.user, callback)
        with_notes = may_see or contact is not None
        entries = casework.history(db, callback, self.keys.cipher, with_notes=with_notes)
        attempts, days = casework.attempt_days(entries)
        return admin_page(
            self.request,
            "admin/callback.html",
            staff,
            400 if errors else 200,
            callback=callback,
            team=team,
            labels=labels(self.context),
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

    def refused(self, field_id: str, error: QueueError, **values: str) -> Response:
        """Nothing changed: the page again, with the reason and what was typed."""
        self.db.rollback()
        return self.show([(field_id, str(error))], values=values)

    def done(self, to: str | None = None) -> Response:
        self.db.commit()
        return see_other(to or f"/admin/callbacks/{self.callback.reference}")


def _viewing(
    reference: str,
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: Caseworker,
) -> RequestPage:
    return RequestPage(request, context, db, keys, staff, reference)


def _acting(
    reference: str,
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: CaseworkerPost,
) -> RequestPage:
    return RequestPage(request, context, db, keys, staff, reference)


def _breaking_glass(
    reference: str,
    request: Request,
    context: ContextDep,
    db: SessionDep,
    keys: KeysDep,
    staff: AdminPost,
) -> RequestPage:
    return RequestPage(request, context, db, keys, staff, reference)


# The request page for reading it, for a caseworker's (or admin's) post, and for breaking glass.
Viewed = Annotated[RequestPage, Depends(_viewing)]
Acted = Annotated[RequestPage, Depends(_acting)]
GlassBroken = Annotated[RequestPage, Depends(_breaking_glass)]


@router.get("/{reference}", include_in_schema=False)
def callback_detail(page: Viewed) -> Response:
    return page.show()


@router.post("/{reference}/claim", include_in_schema=False)
def claim_callback(page: Acted) -> Response:
    try:
        casework.claim(page.db, page.staff, page.callback)
    except QueueError as error:
        return page.refused("claim", error)
    return page.done()


@router.post("/{reference}/reveal", include_in_schema=False)
def reveal_contact(page: Acted) -> Response:
    try:
        contact = casework.reveal(page.db, page.staff, page.callback, page.keys.cipher)
    except QueueError as error:
        return page.refused("reveal", error)
    page.db.commit()  # the view is audited before the number is shown
    return page.show(contact=contact)


@router.post("/{reference}/break-glass", include_in_schema=False)
def break_glass(page: GlassBroken, reason: Annotated[str, Form(max_length=4000)] = "") -> Response:
    try:
        contact = casework.break_glass(page.db, page.staff, page.callback, page.keys.cipher, reason)
    except QueueError as error:
        return page.refused("reason", error, reason=reason)
    page.db.commit()  # the reason is audited before the number is shown
    return page.show(contact=contact)


@router.post("/{reference}/attempts", include_in_schema=False)
def log_attempt(
    page: Acted,
    kind: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    try:
        casework.log_attempt(page.db, page.staff, page.callback, kind, note, page.keys.cipher)
    except QueueError as error:
        field_id = "kind-no-answer" if not kind else "attempt-note"
        return page.refused(field_id, error, kind=kind, **{"attempt-note": note})
    return page.done()


@router.post("/{reference}/notes", include_in_schema=False)
def add_note(page: Acted, note: Annotated[str, Form(max_length=8000)] = "") -> Response:
    try:
        casework.add_note(page.db, page.staff, page.callback, note, page.keys.cipher)
    except QueueError as error:
        return page.refused("note", error, note=note)
    return page.done()


@router.post("/{reference}/close", include_in_schema=False)
def close_callback(
    page: Acted,
    outcome: Annotated[str, Form(max_length=32)] = "",
    referred_to: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    entries = casework.history(page.db, page.callback, page.keys.cipher, with_notes=False)
    try:
        casework.close(page.db, page.staff, page.callback, outcome, referred_to, entries)
    except QueueError as error:
        field_id = "referred_to" if outcome == "referred" else "outcome-helped"
        return page.refused(field_id, error, outcome=outcome, referred_to=referred_to)
    return page.done("/admin/callbacks")
