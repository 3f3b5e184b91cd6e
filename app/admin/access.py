"""Who is signed in, what their role lets them do, and CSRF checks: FastAPI dependencies.

Every admin route declares the roles it allows with `staff_with(...)` (GET) or
`posting_staff_with(...)` (a state-changing POST, which also checks the form's CSRF token).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.admin import audit
from app.admin.auth import session_for
from app.admin.roles import Role
from app.admin.settings_store import needs_two_factor
from app.admin.times import Times
from app.callbacks.queue import Counts, counts_for
from app.context import NowDep, SecondFactorSetupDep, SessionDep, context_of
from app.models import AdminSession, User, utcnow
from app.security import same

COOKIE = "card_admin"
PASSWORD_PATH = "/admin/account/password"  # noqa: S105 - a URL path, not a password
SECOND_FACTOR_PATH = "/admin/login/code"
TWO_FACTOR_SETUP_PATH = "/admin/account/two-factor"
# Where someone who must still set up a second factor may go: the set-up page, and signing out.
SETUP_ALLOWED = {TWO_FACTOR_SETUP_PATH, "/admin/logout", "/admin/logout-everywhere"}
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member, their session, and the time of the request."""

    user: User
    session: AdminSession
    now: datetime
    callbacks: Counts | None = None  # for the menu, for those who work the callback queue

    @property
    def is_admin(self) -> bool:
        return self.user.role == Role.ADMIN

    def audit(
        self,
        db: Session,
        action: str,
        *,
        entity: str | None = None,
        entity_id: object = None,
        detail: str = "",
    ) -> None:
        """Add an audit entry by this person, at the request's time, to the open transaction."""
        audit.record(
            db,
            action,
            at=self.now,
            user=self.user,
            staff_session=self.session,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )


class SignInNeededError(Exception):
    """No valid session: send the browser to the sign-in page."""

    def __init__(self, to: str) -> None:
        self.to = to


def current_staff(
    request: Request, db: SessionDep, now: NowDep, setup_enforced: SecondFactorSetupDep
) -> Staff:
    staff_session = session_for(db, request.cookies.get(COOKIE), now)
    if db.dirty:
        # The check moved the last-seen time on, or revoked an idle session: that must stick
        # whatever the handler does next, so this dependency, not the handler, commits it.
        db.commit()
    user = db.get(User, staff_session.user_id) if staff_session else None
    if staff_session is None or user is None or not user.active:
        raise SignInNeededError("/admin/login?next=" + quote(request.url.path))
    path = request.url.path
    if not staff_session.second_factor_done and path != SECOND_FACTOR_PATH:
        raise SignInNeededError(SECOND_FACTOR_PATH)
    if user.must_change_password and staff_session.second_factor_done and path != PASSWORD_PATH:
        raise SignInNeededError(PASSWORD_PATH)
    if (
        setup_enforced
        and user.totp_secret is None
        and not user.must_change_password  # the new password comes first, then the set-up
        and path not in SETUP_ALLOWED
        and needs_two_factor(db, user.role)
    ):
        raise SignInNeededError(TWO_FACTOR_SETUP_PATH)
    works_queue = user.role in (Role.ADMIN, Role.CASEWORKER)
    return Staff(user, staff_session, now, counts_for(db, user, now) if works_queue else None)


def staff_with(*roles: Role) -> Callable[..., Staff]:
    """A dependency that admits signed-in staff with one of `roles` (admins are always admitted)."""

    def admit(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
        if staff.user.role != Role.ADMIN and staff.user.role not in roles:
            raise HTTPException(status_code=403)
        return staff

    admit.roles = (Role.ADMIN, *roles)  # type: ignore[attr-defined]  # read by the role-matrix test
    return admit


def posting_staff_with(*roles: Role) -> Callable[..., Staff]:
    """Like `staff_with`, for POST: the form's `csrf_token` must match the session's."""
    admit = staff_with(*roles)

    def admit_post(
        staff: Annotated[Staff, Depends(admit)],
        csrf_token: Annotated[str, Form()] = "",
    ) -> Staff:
        if not csrf_token or not same(csrf_token, staff.session.csrf_token):
            raise HTTPException(status_code=403, detail="The form expired. Go back and try again.")
        return staff

    return admit_post


# Signed in, whatever the role: for the pages on the way in (the second factor).
SignedIn = Annotated[Staff, Depends(current_staff)]
AnyStaff = Annotated[Staff, Depends(staff_with(*Role))]
AnyStaffPost = Annotated[Staff, Depends(posting_staff_with(*Role))]
Editor = Annotated[Staff, Depends(staff_with(Role.EDITOR))]
EditorPost = Annotated[Staff, Depends(posting_staff_with(Role.EDITOR))]
Caseworker = Annotated[Staff, Depends(staff_with(Role.CASEWORKER))]
CaseworkerPost = Annotated[Staff, Depends(posting_staff_with(Role.CASEWORKER))]
Reviewer = Annotated[Staff, Depends(staff_with(Role.REVIEWER))]
ReviewerPost = Annotated[Staff, Depends(posting_staff_with(Role.REVIEWER))]
Admin = Annotated[Staff, Depends(staff_with(Role.ADMIN))]
AdminPost = Annotated[Staff, Depends(posting_staff_with(Role.ADMIN))]


def admin_page(
    request: Request, template: str, staff: Staff | None, status: int = 200, **values: Any
) -> Response:
    """Render an admin page (English, never cached)."""
    html = context_of(request.app).renderer.render(
        "en",
        template,
        "",
        staff=staff,
        csrf_token=staff.session.csrf_token if staff else "",
        request_path=request.url.path,
        times=Times(staff.now if staff else utcnow()),
        **values,
    )
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


ERROR_HEADINGS = {
    403: ("You cannot use this page", "Your role does not include this page, or the form expired."),
    404: ("Page not found", "There is nothing at this address."),
}


def admin_error(request: Request, status: int, detail: str) -> Response:
    heading, message = ERROR_HEADINGS.get(status, ("Something went wrong", "Try again."))
    if status == 403 and detail and detail != "Forbidden":
        message = detail
    return admin_page(request, "admin/error.html", None, status, heading=heading, message=message)


def redirect(to: str) -> Response:
    return RedirectResponse(to, status_code=303, headers=NO_STORE)


def saved(
    db: Session,
    staff: Staff,
    to: str,
    action: str,
    *,
    entity: str | None = None,
    entity_id: object = None,
    detail: str = "",
) -> Response:
    """How every admin form that changed something ends: audited, committed, then a redirect.

    Called last by the handler, which owns the transaction: this is where it commits.
    """
    staff.audit(db, action, entity=entity, entity_id=entity_id, detail=detail)
    db.commit()
    return redirect(to)
