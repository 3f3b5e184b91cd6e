"""Staff sign-in, the second factor, sign-out, changing a password, and the dashboard."""

import secrets
from datetime import timedelta
from typing import Annotated

import pyotp
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response
from sqlmodel import col, func, select

from app.admin.access import (
    COOKIE,
    AnyStaff,
    AnyStaffPost,
    admin_page,
    current_staff,
    now,
    redirect,
)
from app.admin.audit import record
from app.admin.auth import revoke_sessions, sign_in
from app.admin.roles import Role
from app.admin.settings_store import ADMINS_NEED_TWO_FACTOR, get_flag
from app.database import SessionDep
from app.models import TEAM_ALERT, OutboundSms, ProblemReport, Service
from app.rate_limit import allow
from app.security import DataCipher, hash_password, password_problem, same, verify_password
from app.sms.outbox import paused_until

router = APIRouter(prefix="/admin")
LOGIN_COOKIE = "card_admin_login"
STALE_AFTER = timedelta(days=180)
NOT_RIGHT = "The email address or password is not right"
LOCKED = "Too many attempts. Wait 15 minutes and try again, or ask an admin to help."


def _cookie_flags(request: Request) -> dict[str, object]:
    secure = request.app.state.settings.is_https
    return {"httponly": True, "secure": secure, "samesite": "lax", "path": "/admin"}


def _safe_next(target: str) -> str:
    return target if target.startswith("/admin/") and "//" not in target else "/admin/"


def _login_form(
    request: Request,
    errors: list[tuple[str, str]],
    email: str = "",
    status: int = 200,
    next_path: str = "",
) -> Response:
    token = secrets.token_urlsafe(24)
    response = admin_page(
        request,
        "admin/login.html",
        None,
        status,
        errors=errors,
        email=email,
        login_token=token,
        next_path=next_path,
    )
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, **_cookie_flags(request))  # type: ignore[arg-type]
    return response


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next_path: Annotated[str, Query(alias="next")] = "") -> Response:
    return _login_form(request, [], next_path=_safe_next(next_path))


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    db: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not csrf_token or not same(expected, csrf_token):
        raise HTTPException(status_code=403, detail="The form expired. Go back and try again.")
    errors = []
    if not email.strip():
        errors.append(("email", "Enter your email address"))
    if not password:
        errors.append(("password", "Enter your password"))
    if errors:
        return _login_form(request, errors, email, 400, next_path)
    secret = request.app.state.settings.secret_key.get_secret_value()
    result = sign_in(db, secret, email, password, now(request))
    if result.token is None:
        # Slow down guessing: each failure in a row costs a little more time.
        request.app.state.sleep(min(result.failures, 5) * request.app.state.login_delay)
        message = LOCKED if result.locked else NOT_RIGHT
        return _login_form(
            request, [("email", message)], email, 429 if result.locked else 400, next_path
        )
    response = redirect(_safe_next(next_path))
    response.set_cookie(COOKIE, result.token, **_cookie_flags(request))  # type: ignore[arg-type]
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@router.get("/login/code", include_in_schema=False)
def second_factor_page(request: Request, db: SessionDep) -> Response:
    staff = current_staff(request, db)
    return admin_page(request, "admin/code.html", staff, errors=[])


@router.post("/login/code", include_in_schema=False)
def second_factor(
    request: Request,
    db: SessionDep,
    code: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    staff = current_staff(request, db)
    if not csrf_token or not same(csrf_token, staff.session.csrf_token):
        raise HTTPException(status_code=403)
    secret = request.app.state.settings.secret_key.get_secret_value()
    attempts_left = allow(
        db, f"code:{staff.user.id}:{secret[:4]}", 5, timedelta(minutes=15), now(request)
    )
    cipher = DataCipher(request.app.state.settings.data_key.get_secret_value())
    totp_secret = cipher.decrypt(staff.user.totp_secret) if staff.user.totp_secret else ""
    if (
        attempts_left
        and totp_secret
        and pyotp.TOTP(totp_secret).verify(code.replace(" ", ""), valid_window=1)
    ):
        staff.session.second_factor_done = True
        db.add(staff.session)
        record(db, "second-factor", user=staff.user, staff_session=staff.session)
        db.commit()
        return redirect("/admin/")
    record(db, "second-factor-failed", user=staff.user, staff_session=staff.session)
    db.commit()
    message = "Enter the 6-digit code from your app" if attempts_left else LOCKED
    return admin_page(request, "admin/code.html", staff, 400, errors=[("code", message)])


@router.post("/logout", include_in_schema=False)
def logout(request: Request, db: SessionDep, staff: AnyStaffPost) -> Response:
    revoke_sessions(db, staff.user.id or 0, now(request), only=staff.session.id)
    record(db, "sign-out", user=staff.user, staff_session=staff.session)
    db.commit()
    response = redirect("/admin/login")
    response.delete_cookie(COOKIE, path="/admin")
    return response


@router.post("/logout-everywhere", include_in_schema=False)
def logout_everywhere(request: Request, db: SessionDep, staff: AnyStaffPost) -> Response:
    revoke_sessions(db, staff.user.id or 0, now(request))
    record(db, "sign-out-everywhere", user=staff.user, staff_session=staff.session)
    db.commit()
    response = redirect("/admin/login")
    response.delete_cookie(COOKIE, path="/admin")
    return response


@router.get("/account/password", include_in_schema=False)
def password_page(request: Request, staff: AnyStaff) -> Response:
    return admin_page(request, "admin/password.html", staff, errors=[])


@router.post("/account/password", include_in_schema=False)
def change_password(
    request: Request,
    db: SessionDep,
    staff: AnyStaffPost,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    confirm: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    errors = []
    if not verify_password(staff.user.password_hash, current):
        errors.append(("current", "Enter your current password"))
    problem = password_problem(new)
    if problem:
        errors.append(("new", problem))
    elif new != confirm:
        errors.append(("confirm", "Enter the same new password twice"))
    elif new == current:
        errors.append(("new", "Choose a password you have not used here before"))
    if errors:
        return admin_page(request, "admin/password.html", staff, 400, errors=errors)
    staff.user.password_hash = hash_password(new)
    staff.user.must_change_password = False
    db.add(staff.user)
    # Other browsers signed in with the old password are signed out; this one stays.
    revoke_sessions(db, staff.user.id or 0, now(request), keep=staff.session.id)
    record(
        db,
        "password-changed",
        user=staff.user,
        staff_session=staff.session,
        entity="user",
        entity_id=staff.user.id,
    )
    db.commit()
    return redirect("/admin/?password=changed")


@router.get("/", include_in_schema=False)
def dashboard(request: Request, db: SessionDep, staff: AnyStaff) -> Response:
    stale: list[Service] = []
    reports: list[tuple[ProblemReport, Service]] = []
    if staff.user.role in (Role.ADMIN, Role.EDITOR):
        cutoff = (now(request) - STALE_AFTER).date()
        stale = list(
            db.exec(
                select(Service)
                .where(col(Service.archived).is_(False))
                .where((col(Service.assured_date).is_(None)) | (col(Service.assured_date) < cutoff))
                .order_by(col(Service.assured_date).asc().nulls_first(), col(Service.name))
                .limit(50)
            ).all()
        )
        reports = list(
            db.exec(
                select(ProblemReport, Service)
                .join(Service, col(Service.id) == col(ProblemReport.service_id))
                .where(ProblemReport.status == "open")
                .order_by(col(ProblemReport.created_at).desc())
                .limit(50)
            ).all()
        )
    open_reports = db.exec(
        select(func.count()).select_from(ProblemReport).where(ProblemReport.status == "open")
    ).one()
    needs_two_factor = (
        staff.is_admin and get_flag(db, ADMINS_NEED_TWO_FACTOR) and staff.user.totp_secret is None
    )
    sms_paused = failed_alerts = None
    if staff.is_admin:
        sms_paused = paused_until(db, now(request))
        failed_alerts = db.exec(
            select(func.count())
            .select_from(OutboundSms)
            .where(
                OutboundSms.purpose == TEAM_ALERT,
                col(OutboundSms.status).in_(("failed", "undelivered")),
            )
        ).one()
    return admin_page(
        request,
        "admin/dashboard.html",
        staff,
        sms_paused=sms_paused,
        failed_alerts=failed_alerts,
        stale=stale,
        reports=reports,
        open_reports=open_reports,
        needs_two_factor=needs_two_factor,
        password_changed=request.query_params.get("password") == "changed",
    )
