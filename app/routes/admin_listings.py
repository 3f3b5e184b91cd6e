"""Editor pages: listings (edit, drafts, status actions, watching, history), organisations and
problem reports. Editors, approvers and admins use them.

Handlers are thin: they read the request, call `app.admin.listing_store`,
`app.admin.listing_workflow` or `app.admin.organizations`, commit, and render or redirect. A form
with errors is shown again with what was typed and status 400, and nothing is saved. A change to a
public listing is saved as a draft, which an approver or an admin publishes (the workflow's rules).
A listing's public page reads the database on every request; directory searches and the API's
services list are kept in memory per directory revision, which every published change bumps: it
shows at once on this instance, and within `DIRECTORY_REFRESH_SECONDS` on the others.
"""

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.admin.access import Staff, admin_page, posting_staff_with, redirect, staff_with
from app.admin.listing_checks import validate
from app.admin.listing_finder import LIST_LIMIT, STATUS_FILTERS, find_listings
from app.admin.listing_gaps import missing, refusal
from app.admin.listing_store import (
    STATUS_ACTIONS,
    change_status,
    form_choices,
    load_listing,
    save_listing,
    values_of,
)
from app.admin.listing_workflow import (
    approve_draft,
    discard_draft,
    draft_differences,
    draft_for,
    draft_values,
    history,
    is_live,
    is_watching,
    may_discard,
    refuse_approval,
    refuse_status_action,
    save_draft,
    set_watching,
    with_drafts,
)
from app.admin.listings import Choices, ListingForm, form_for, read_form
from app.admin.organizations import (
    check_organization,
    close_report,
    organizations_with_counts,
    problem_reports,
    save_organization,
)
from app.admin.roles import Role
from app.context import SessionDep, context_of
from app.days import DAY_NAMES
from app.directory.hours import LONDON
from app.directory.search import london_day
from app.models import Organization, ProblemReport, Service
from app.routes.directory import REPORT_KINDS

router = APIRouter(prefix="/admin")
# Everyone who keeps listings: what each may publish is the workflow's rule, not the route's.
Editor = Annotated[Staff, Depends(staff_with(Role.EDITOR, Role.APPROVER))]
EditorPost = Annotated[Staff, Depends(posting_staff_with(Role.EDITOR, Role.APPROVER))]
# Fixed messages chosen by the `done` query parameter, so the page never echoes what it is sent.
NOTICES = {
    "created": "Listing created. It is not published yet: publish it when it is ready.",
    "saved": "Changes saved. The listing is not public, so nobody needs to approve them.",
    "draft": "Saved as a draft. The public sees the listing as last approved until an admin or an "
    "approver publishes your changes.",
    "no-changes": "Nothing was changed, so there is nothing to approve.",
    "approved": "Changes approved and published. The public pages and the API show them now.",
    "discarded": "Draft discarded. The listing stays as last approved.",
    "watch": "You are watching this listing: its changes and problem reports show on your "
    "dashboard.",
    "unwatch": "You are no longer watching this listing.",
    "publish": "Listing published.",
    "unpublish": "Listing unpublished. It no longer shows to the public.",
    "archive": "Listing archived. It no longer shows to the public.",
    "checked-today": "Listing marked as checked today.",
    "organization-saved": "Organisation saved.",
    "closed": "Report closed.",
}
REPORT_LABELS = {
    "wrong-phone": "Phone number or website is wrong",
    "closed": "Service has closed",
    "wrong-hours": "Opening hours are wrong",
    "other": "Something else",
}
assert set(REPORT_LABELS) == set(REPORT_KINDS)  # every kind the public form offers has a label


async def submitted_form(request: Request) -> FormData:
    """The posted form; Starlette keeps the parsed form, so it is read only once."""
    return await request.form()


Submitted = Annotated[FormData, Depends(submitted_form)]


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise HTTPException(status_code=404) from None


def _notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("done", ""), "")


def _choices(request: Request, db: Session) -> Choices:
    return form_choices(db, context_of(request.app).content.languages)


def _gaps_on(staff: Staff) -> Callable[[Service], list[str]]:
    """`missing` on the day of the request, for the templates."""
    today = london_day(staff.now)
    return lambda service: missing(service, today)


def _listing_or_404(db: Session, service_id: str) -> Service:
    service = load_listing(db, service_id)
    if service is None:
        raise HTTPException(status_code=404)
    return service


def _listing_form_page(
    request: Request,
    staff: Staff,
    choices: Choices,
    form: ListingForm,
    service: Service | None,
    errors: list[tuple[str, str]],
    db: Session,
) -> Response:
    draft = draft_for(db, service) if service else None
    return admin_page(
        request,
        "admin/listing_form.html",
        staff,
        400 if errors else 200,
        form=form,
        choices=choices,
        service=service,
        errors=errors,
        notice=_notice(request),
        days=list(DAY_NAMES.items()),
        missing=_gaps_on(staff),
        draft=draft,
        draft_changes=draft_differences(service, draft, choices) if service and draft else [],
        approval_refused=refuse_approval(db, staff, draft.user_id) if draft else None,
        may_discard=draft is not None and may_discard(staff, draft),
        watching=service is not None and is_watching(db, staff, service),
    )


@router.get("/listings", include_in_schema=False)
def listings(request: Request, db: SessionDep, staff: Editor) -> Response:
    name = request.query_params.get("q", "").strip()[:100]
    status = request.query_params.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    return admin_page(
        request,
        "admin/listings.html",
        staff,
        listings=find_listings(db, name, status),
        q=name,
        shown=status,
        limit=LIST_LIMIT,
        missing=_gaps_on(staff),
        drafts=with_drafts(db),
    )


@router.get("/listings/new", include_in_schema=False)
def new_listing(request: Request, db: SessionDep, staff: Editor) -> Response:
    choices = _choices(request, db)
    return _listing_form_page(request, staff, choices, form_for(None, choices), None, [], db)


@router.post("/listings/new", include_in_schema=False)
def create_listing(
    request: Request, db: SessionDep, staff: EditorPost, submitted: Submitted
) -> Response:
    choices = _choices(request, db)
    form = read_form(submitted, choices)
    at = staff.now
    values, errors = validate(form, choices, None, at)
    if values is None:
        return _listing_form_page(request, staff, choices, form, None, errors, db)
    service = save_listing(db, None, values, choices, staff, at)
    db.commit()
    return redirect(f"/admin/listings/{service.id}?done=created")


@router.get("/listings/{service_id}", include_in_schema=False)
def edit_listing(service_id: str, request: Request, db: SessionDep, staff: Editor) -> Response:
    service = _listing_or_404(db, service_id)
    choices = _choices(request, db)
    draft = draft_for(db, service)
    # With a draft waiting, the form continues the draft rather than starting from the live one.
    form = form_for(draft_values(draft) if draft else values_of(service), choices)
    return _listing_form_page(request, staff, choices, form, service, [], db)


@router.post("/listings/{service_id}", include_in_schema=False)
def update_listing(
    service_id: str, request: Request, db: SessionDep, staff: EditorPost, submitted: Submitted
) -> Response:
    service = _listing_or_404(db, service_id)
    choices = _choices(request, db)
    form = read_form(submitted, choices)
    at = staff.now
    values, errors = validate(form, choices, values_of(service), at)
    if values is None:
        return _listing_form_page(request, staff, choices, form, service, errors, db)
    if is_live(service):
        # The public keeps seeing the approved listing until a second person approves this.
        done = "draft" if save_draft(db, service, values, choices, staff, at) else "no-changes"
    else:
        save_listing(db, service, values, choices, staff, at)
        # The form showed any waiting draft, so what was saved includes it.
        if (draft := draft_for(db, service)) is not None:
            db.delete(draft)
        done = "saved"
    db.commit()
    return redirect(f"/admin/listings/{service_id}?done={done}")


def _refused(
    request: Request, db: Session, staff: Staff, service: Service, message: str, status: int = 403
) -> Response:
    choices = _choices(request, db)
    draft = draft_for(db, service)
    form = form_for(draft_values(draft) if draft else values_of(service), choices)
    page = _listing_form_page(request, staff, choices, form, service, [("draft", message)], db)
    page.status_code = status
    return page


@router.post("/listings/{service_id}/approve-draft", include_in_schema=False)
def approve_listing_draft(
    service_id: str, request: Request, db: SessionDep, staff: EditorPost
) -> Response:
    """An admin or approver publishes someone else's draft (their own only for a team of one)."""
    service = _listing_or_404(db, service_id)
    draft = draft_for(db, service)
    if draft is None:
        return redirect(f"/admin/listings/{service_id}")
    refused = refuse_approval(db, staff, draft.user_id)
    if refused is not None:
        return _refused(request, db, staff, service, refused)
    approve_draft(db, service, draft, _choices(request, db), staff, staff.now)
    db.commit()
    return redirect(f"/admin/listings/{service_id}?done=approved")


@router.post("/listings/{service_id}/discard-draft", include_in_schema=False)
def discard_listing_draft(
    service_id: str, request: Request, db: SessionDep, staff: EditorPost
) -> Response:
    service = _listing_or_404(db, service_id)
    draft = draft_for(db, service)
    if draft is None:
        return redirect(f"/admin/listings/{service_id}")
    if not may_discard(staff, draft):
        message = (
            "Only the person who proposed these changes, an approver or an admin can discard them."
        )
        return _refused(request, db, staff, service, message)
    discard_draft(db, service, draft, staff)
    db.commit()
    return redirect(f"/admin/listings/{service_id}?done=discarded")


def _watching(db: SessionDep, staff: Staff, service_id: str, on: bool) -> Response:
    set_watching(db, staff, _listing_or_404(db, service_id), on, staff.now)
    db.commit()
    return redirect(f"/admin/listings/{service_id}?done={'watch' if on else 'unwatch'}")


@router.post("/listings/{service_id}/watch", include_in_schema=False)
def watch_listing(service_id: str, db: SessionDep, staff: EditorPost) -> Response:
    return _watching(db, staff, service_id, True)


@router.post("/listings/{service_id}/unwatch", include_in_schema=False)
def unwatch_listing(service_id: str, db: SessionDep, staff: EditorPost) -> Response:
    return _watching(db, staff, service_id, False)


@router.post("/listings/{service_id}/{action}", include_in_schema=False)
def listing_action(
    service_id: str, action: str, request: Request, db: SessionDep, staff: EditorPost
) -> Response:
    """Publish, unpublish, archive, or mark a listing as checked today (audited)."""
    if action not in STATUS_ACTIONS:
        raise HTTPException(status_code=404)
    service = _listing_or_404(db, service_id)
    choices = _choices(request, db)
    refused = refusal(service, action)
    if refused is not None:
        form = form_for(values_of(service), choices)
        return _listing_form_page(request, staff, choices, form, service, [refused], db)
    not_yours = refuse_status_action(db, staff, service, action)
    if not_yours is not None:
        return _refused(request, db, staff, service, not_yours)
    change_status(db, service, action, choices, staff, staff.now)
    db.commit()
    return redirect(f"/admin/listings/{service_id}?done={action}")


@router.get("/listings/{service_id}/history", include_in_schema=False)
def listing_history(service_id: str, request: Request, db: SessionDep, staff: Editor) -> Response:
    service = _listing_or_404(db, service_id)
    changes = [
        (change.at.astimezone(LONDON).strftime("%d %b %Y %H:%M"), change)
        for change in history(db, service)
    ]
    return admin_page(
        request, "admin/listing_history.html", staff, service=service, changes=changes
    )


@router.get("/organizations", include_in_schema=False)
def organizations(request: Request, db: SessionDep, staff: Editor) -> Response:
    return admin_page(
        request,
        "admin/organizations.html",
        staff,
        rows=organizations_with_counts(db),
        notice=_notice(request),
    )


def _organization_form_page(
    request: Request,
    staff: Staff,
    organization: Organization | None,
    fields: dict[str, str],
    errors: list[tuple[str, str]],
) -> Response:
    return admin_page(
        request,
        "admin/organization_form.html",
        staff,
        400 if errors else 200,
        organization=organization,
        fields=fields,
        errors=errors,
    )


def _organization_or_404(db: Session, organization_id: str) -> Organization:
    organization = db.get(Organization, _uuid_or_404(organization_id))
    if organization is None:
        raise HTTPException(status_code=404)
    return organization


@router.get("/organizations/new", include_in_schema=False)
def new_organization(request: Request, staff: Editor) -> Response:
    empty = {"name": "", "description": "", "website": ""}
    return _organization_form_page(request, staff, None, empty, [])


@router.get("/organizations/{organization_id}", include_in_schema=False)
def edit_organization(
    organization_id: str, request: Request, db: SessionDep, staff: Editor
) -> Response:
    organization = _organization_or_404(db, organization_id)
    fields = {
        "name": organization.name,
        "description": organization.description,
        "website": organization.website or "",
    }
    return _organization_form_page(request, staff, organization, fields, [])


@router.post("/organizations/{organization_id}", include_in_schema=False)
def save_organization_form(
    organization_id: str,
    request: Request,
    db: SessionDep,
    staff: EditorPost,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    """Saves a new organisation (`/organizations/new`) or changes to an existing one."""
    organization = None if organization_id == "new" else _organization_or_404(db, organization_id)
    values, errors = check_organization(name, description, website)
    if values is None:
        fields = {"name": name, "description": description, "website": website}
        return _organization_form_page(request, staff, organization, fields, errors)
    save_organization(db, organization, values, staff)
    db.commit()
    return redirect("/admin/organizations?done=organization-saved")


@router.get("/reports", include_in_schema=False)
def reports(request: Request, db: SessionDep, staff: Editor) -> Response:
    rows = [
        (report, service, report.created_at.astimezone(LONDON).strftime("%d %b %Y %H:%M"))
        for report, service in problem_reports(db)
    ]
    return admin_page(
        request,
        "admin/reports.html",
        staff,
        rows=rows,
        labels=REPORT_LABELS,
        notice=_notice(request),
    )


@router.post("/reports/{report_id}/close", include_in_schema=False)
def close_problem_report(
    report_id: str, request: Request, db: SessionDep, staff: EditorPost
) -> Response:
    report = db.get(ProblemReport, _uuid_or_404(report_id))
    if report is None:
        raise HTTPException(status_code=404)
    if report.status == "open":
        close_report(db, report, staff)
        db.commit()
    return redirect("/admin/reports?done=closed")
