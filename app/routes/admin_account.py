"""Your own account (any role): overview, setting up and removing a TOTP second factor.

Setting up shows a new secret as text and as an otpauth:// URI (no QR image, so no third-party
request and nothing to render). The secret waits in a hidden form field, encrypted with DATA_KEY and
bound to the user, until a code from the app proves it was copied right; only then is it stored
(encrypted) on the account. Sign-in then asks for a code at /admin/login/code.
"""

from typing import Annotated

import pyotp
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.admin.access import AnyStaff, AnyStaffPost, Staff, admin_page, redirect, saved
from app.admin.auth import accept_code, password_confirmed, revoke_sessions
from app.admin.settings_store import needs_two_factor
from app.context import KeysDep, SessionDep
from app.models import Team
from app.security import Keys

router = APIRouter(prefix="/admin")
ISSUER = "Consequences card admin"
FormText = Annotated[str, Form(max_length=1000)]


def _setup(keys: Keys, staff: Staff, secret: str | None = None) -> dict[str, str]:
    secret = secret or pyotp.random_base32()
    return {
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "uri": pyotp.TOTP(secret).provisioning_uri(name=staff.user.email, issuer_name=ISSUER),
        "pending": keys.cipher.encrypt(f"{staff.user.id}:{secret}"),
    }


def _pending_secret(keys: Keys, staff: Staff, pending: str) -> str | None:
    """The secret from the hidden field, if it was made by us for this user."""
    try:
        owner, _, secret = keys.cipher.decrypt(pending).partition(":")
    except ValueError:
        return None
    return secret if owner == str(staff.user.id) and secret else None


def _account_page(
    request: Request,
    db: SessionDep,
    staff: Staff,
    setup: dict[str, str] | None = None,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> Response:
    team = db.get(Team, staff.user.team_id) if staff.user.team_id is not None else None
    required = needs_two_factor(db, staff.user.role)
    return admin_page(
        request,
        "admin/account.html",
        staff,
        status,
        team_name=team.name if team else "",
        setup=setup,
        errors=errors or [],
        required=required,
        done=request.query_params.get("done", ""),
    )


@router.get("/account", include_in_schema=False)
def account_page(request: Request, db: SessionDep, staff: AnyStaff) -> Response:
    return _account_page(request, db, staff)


@router.get("/account/two-factor", include_in_schema=False)
def two_factor_page(request: Request, db: SessionDep, staff: AnyStaff, keys: KeysDep) -> Response:
    if staff.user.totp_secret:
        # Replacing a second factor needs the password: remove it first, then set up again.
        return redirect("/admin/account")
    return _account_page(request, db, staff, _setup(keys, staff))


@router.post("/account/two-factor", include_in_schema=False)
def turn_on_two_factor(
    request: Request,
    db: SessionDep,
    staff: AnyStaffPost,
    keys: KeysDep,
    pending: Annotated[str, Form(max_length=2000)] = "",
    code: FormText = "",
) -> Response:
    if staff.user.totp_secret:
        return redirect("/admin/account")
    secret = _pending_secret(keys, staff, pending)
    if secret is None:
        errors = [("code", "The set-up key changed. Add this new key to your app, then try again")]
        return _account_page(request, db, staff, _setup(keys, staff), errors, 400)
    # The code used here is recorded: it cannot then be used again to sign in.
    if not accept_code(db, staff.user, secret, code, staff.now):
        errors = [("code", "Enter the 6-digit code your app shows for this key")]
        return _account_page(request, db, staff, _setup(keys, staff, secret), errors, 400)
    staff.user.totp_secret = keys.cipher.encrypt(secret)
    db.add(staff.user)
    # Browsers signed in without the second factor are signed out; this one just proved it.
    revoke_sessions(db, staff.user.id or 0, staff.now, keep=staff.session.id)
    return saved(
        db,
        staff,
        "/admin/account?done=two-factor-on",
        "update",
        entity="user",
        entity_id=staff.user.id,
        detail="second factor turned on",
    )


@router.post("/account/two-factor/remove", include_in_schema=False)
def remove_two_factor(
    request: Request, db: SessionDep, staff: AnyStaffPost, keys: KeysDep, current: FormText = ""
) -> Response:
    if not staff.user.totp_secret:
        return redirect("/admin/account")
    if needs_two_factor(db, staff.user.role):
        errors = [("current", "Your role must use a second factor, so you cannot remove yours")]
        return _account_page(request, db, staff, None, errors, 400)
    # A stolen session must not become a way to guess the password (see password_confirmed).
    if not password_confirmed(db, keys.hash_secret, staff.user, current, staff.now):
        db.commit()  # the wrong guess counts towards the limit
        errors = [("current", "Enter your current password")]
        return _account_page(request, db, staff, None, errors, 400)
    staff.user.totp_secret = None
    staff.user.totp_last_step = None
    db.add(staff.user)
    return saved(
        db,
        staff,
        "/admin/account?done=two-factor-off",
        "update",
        entity="user",
        entity_id=staff.user.id,
        detail="second factor removed",
    )
