"""Who is signed in, what their role lets them do, and CSRF checks: FastAPI dependencies.

Every admin route declares the roles it allows with `staff_with(...)` (GET) or
`posting_staff_with(...)` (a state-changing POST, which also checks the form's CSRF token).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.admin.auth import session_for
from app.admin.roles import Role
from app.admin.settings_store import ADMINS_NEED_TWO_FACTOR, get_flag
from app.database import SessionDep
from app.models import AdminSession, User
from app.security import same
from app.web import current_time

# Admin handlers read the time through here, so tests can freeze it with `app.state.clock`.
now = current_time

COOKIE = "card_admin"
PASSWORD_PATH = "/admin/account/password"  # noqa: S105 - a URL path, not a password
SECOND_FACTOR_PATH = "/admin/login/code"
TWO_FACTOR_SETUP_PATH = "/admin/account/two-factor"
# Where an admin who must still set up a second factor may go: the set-up page, and signing out.
SETUP_ALLOWED = {TWO_FACTOR_SETUP_PATH, "/admin/logout", "/admin/logout-everywhere"}
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Staff:
    user: User
    session: AdminSession

    @property
    def is_admin(self) -> bool:
        return self.user.role == Role.ADMIN


class SignInNeededError(Exception):
    """No valid session: send the browser to the sign-in page."""

    def __init__(self, to: str) -> None:
        self.to = to


def current_staff(request: Request, db: SessionDep) -> Staff:
    staff_session = session_for(db, request.cookies.get(COOKIE), now(request))
    user = db.get(User, staff_session.user_id) if staff_session else None
    if staff_session is None or user is None or not user.active:
        raise SignInNeededError("/admin/login?next=" + quote(request.url.path))
    path = request.url.path
    if not staff_session.second_factor_done and path != SECOND_FACTOR_PATH:
        raise SignInNeededError(SECOND_FACTOR_PATH)
    if user.must_change_password and staff_session.second_factor_done and path != PASSWORD_PATH:
        raise SignInNeededError(PASSWORD_PATH)
    if (
        user.role == Role.ADMIN
        and user.totp_secret is None
        and not user.must_change_password  # the new password comes first, then the set-up
        and path not in SETUP_ALLOWED
        and get_flag(db, ADMINS_NEED_TWO_FACTOR)
    ):
        raise SignInNeededError(TWO_FACTOR_SETUP_PATH)
    return Staff(user, staff_session)


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


AnyStaff = Annotated[Staff, Depends(staff_with(*Role))]
AnyStaffPost = Annotated[Staff, Depends(posting_staff_with(*Role))]
Editor = Annotated[Staff, Depends(staff_with(Role.EDITOR))]
EditorPost = Annotated[Staff, Depends(posting_staff_with(Role.EDITOR))]
Admin = Annotated[Staff, Depends(staff_with(Role.ADMIN))]
AdminPost = Annotated[Staff, Depends(posting_staff_with(Role.ADMIN))]


def admin_page(
    request: Request, template: str, staff: Staff | None, status: int = 200, **values: Any
) -> Response:
    """Render an admin page (English, never cached)."""
    renderer = request.app.state.site.renderer
    html = renderer.render(
        "en",
        template,
        "",
        staff=staff,
        csrf_token=staff.session.csrf_token if staff else "",
        request_path=request.url.path,
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
