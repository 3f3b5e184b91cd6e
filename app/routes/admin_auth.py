"""Staff sign-in, the second factor, sign-out, changing a password, and the dashboard.

A failed sign-in waits before it answers (`SignInDelay`), asleep on the event loop, not in a
worker thread: the database work runs in the thread pool, the wait does not, so wrong-password
posts can never take the threads the callback form and the directory answer with.
"""

import secrets
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.admin.access import (
    COOKIE,
    AnyStaff,
    AnyStaffPost,
    SignedIn,
    Staff,
    admin_page,
    redirect,
    saved,
)
from app.admin.auth import (
    SignInResult,
    accept_code,
    password_confirmed,
    revoke_sessions,
    sign_in,
)
from app.admin.dashboard import dashboard_for
from app.admin.words import callback_labels
from app.context import (
    ContextDep,
    EngineDep,
    KeysDep,
    NowDep,
    SessionDep,
    SettingsDep,
    SignInDelayDep,
)
from app.rate_limit import allow, bucket_key, client_key
from app.review.progress import dashboard_progress
from app.routes.admin_readiness import ReadinessDep
from app.security import hash_password, password_problem, same
from app.settings import Settings

router = APIRouter(prefix="/admin")
LOGIN_COOKIE = "card_admin_login"
NOT_RIGHT = "The email address or password is not right"
LOCKED = "Too many attempts. Wait 15 minutes and try again, or ask an admin to help."


def _cookie_flags(settings: Settings) -> dict[str, object]:
    return {"httponly": True, "secure": settings.is_https, "samesite": "lax", "path": "/admin"}


def _safe_next(target: str) -> str:
    return target if target.startswith("/admin/") and "//" not in target else "/admin/"


def _login_form(
    request: Request,
    settings: Settings,
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
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, **_cookie_flags(settings))  # type: ignore[arg-type]
    return response


@router.get("/login", include_in_schema=False)
def login_page(
    request: Request,
    settings: SettingsDep,
    next_path: Annotated[str, Query(alias="next")] = "",
) -> Response:
    return _login_form(request, settings, [], next_path=_safe_next(next_path))


def _check_sign_in(
    engine: Engine, secret: str, email: str, password: str, now: datetime, client: str
) -> SignInResult:
    with Session(engine) as db:
        result = sign_in(db, secret, email, password, now, client)
        db.commit()  # a failed attempt counts towards the throttle, whatever the answer
        return result


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    context: ContextDep,
    engine: EngineDep,
    now: NowDep,
    delay: SignInDelayDep,
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
        return _login_form(request, context.settings, errors, email, 400, next_path)
    client = client_key(request.client.host if request.client else None)
    secret = context.keys.hash_secret
    result = await run_in_threadpool(_check_sign_in, engine, secret, email, password, now, client)
    if result.token is None:
        # Slow down guessing (see SignInDelay): awaited, so no worker thread waits with it.
        await delay.after(result.failures)
        message = LOCKED if result.locked else NOT_RIGHT
        status = 429 if result.locked else 400
        return _login_form(
            request, context.settings, [("email", message)], email, status, next_path
        )
    response = redirect(_safe_next(next_path))
    response.set_cookie(COOKIE, result.token, **_cookie_flags(context.settings))  # type: ignore[arg-type]
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@router.get("/login/code", include_in_schema=False)
def second_factor_page(request: Request, staff: SignedIn) -> Response:
    return admin_page(request, "admin/code.html", staff, errors=[])


@router.post("/login/code", include_in_schema=False)
def second_factor(
    request: Request,
    db: SessionDep,
    staff: SignedIn,
    keys: KeysDep,
    code: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if not csrf_token or not same(csrf_token, staff.session.csrf_token):
        raise HTTPException(status_code=403)
    bucket = bucket_key(keys.hash_secret, "second-factor", str(staff.user.id))
    attempts_left = allow(db, bucket, 5, timedelta(minutes=15), staff.now)
    totp_secret = keys.cipher.decrypt(staff.user.totp_secret) if staff.user.totp_secret else ""
    if attempts_left and totp_secret and accept_code(db, staff.user, totp_secret, code, staff.now):
        staff.session.second_factor_done = True
        db.add(staff.session)
        staff.audit(db, "second-factor")
        db.commit()
        return redirect("/admin/")
    staff.audit(db, "second-factor-failed")
    db.commit()
    message = "Enter the 6-digit code from your app" if attempts_left else LOCKED
    return admin_page(request, "admin/code.html", staff, 400, errors=[("code", message)])


def _signed_out(db: SessionDep, staff: Staff, action: str, everywhere: bool) -> Response:
    only = None if everywhere else staff.session.id
    revoke_sessions(db, staff.user.id or 0, staff.now, only=only)
    response = saved(db, staff, "/admin/login", action)
    response.delete_cookie(COOKIE, path="/admin")
    return response


@router.post("/logout", include_in_schema=False)
def logout(db: SessionDep, staff: AnyStaffPost) -> Response:
    return _signed_out(db, staff, "sign-out", everywhere=False)


@router.post("/logout-everywhere", include_in_schema=False)
def logout_everywhere(db: SessionDep, staff: AnyStaffPost) -> Response:
    return _signed_out(db, staff, "sign-out-everywhere", everywhere=True)


@router.get("/account/password", include_in_schema=False)
def password_page(request: Request, staff: AnyStaff) -> Response:
    return admin_page(request, "admin/password.html", staff, errors=[])


@router.post("/account/password", include_in_schema=False)
def change_password(
    request: Request,
    db: SessionDep,
    staff: AnyStaffPost,
    keys: KeysDep,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    confirm: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    errors = []
    if not password_confirmed(db, keys.hash_secret, staff.user, current, staff.now):
        errors.append(("current", "Enter your current password"))
    problem = password_problem(new, staff.user.email)
    if problem:
        errors.append(("new", problem))
    elif new != confirm:
        errors.append(("confirm", "Enter the same new password twice"))
    elif new == current:
        errors.append(("new", "Choose a password you have not used here before"))
    if errors:
        db.commit()  # a wrong guess at the current password counts towards its limit
        return admin_page(request, "admin/password.html", staff, 400, errors=errors)
    staff.user.password_hash = hash_password(new)
    staff.user.must_change_password = False
    db.add(staff.user)
    # Other browsers signed in with the old password are signed out; this one stays.
    revoke_sessions(db, staff.user.id or 0, staff.now, keep=staff.session.id)
    return saved(
        db,
        staff,
        "/admin/?password=changed",
        "password-changed",
        entity="user",
        entity_id=staff.user.id,
    )


@router.get("/", include_in_schema=False)
def dashboard(
    request: Request,
    context: ContextDep,
    db: SessionDep,
    staff: AnyStaff,
    readiness: ReadinessDep,
) -> Response:
    return admin_page(
        request,
        "admin/dashboard.html",
        staff,
        **dashboard_for(db, staff.user, staff.now).__dict__,
        callback_labels=callback_labels(context.needs, context.content.languages),
        readiness=readiness,
        translation_progress=dashboard_progress(db, context.content, staff.user),
        password_changed=request.query_params.get("password") == "changed",
    )
