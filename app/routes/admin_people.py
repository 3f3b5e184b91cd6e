"""Admin pages for people: staff users, the audit log and admin settings (admins only).

This router also carries the team pages (`app.routes.admin_teams`, admins only) and your own
account and second factor (`app.routes.admin_account`, any role), so the app registers one router
for all of them. Every change is audited without the personal data itself (no passwords, secrets
or phone numbers).
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from app.admin.access import Admin, AdminPost, Staff, admin_page, redirect, saved
from app.admin.audit import audit_actions, find_events
from app.admin.auth import clear_sign_in_failures, password_confirmed, revoke_sessions
from app.admin.roles import ROLES, Role
from app.admin.settings_store import EDITORS_NEED_TWO_FACTOR, editors_need_two_factor, set_flag
from app.admin.users import EMAIL, AccountError, create_user, reviewer_languages
from app.content import SOURCE_LANGUAGE
from app.context import AppContext, ContextDep, KeysDep, SessionDep
from app.directory.hours import LONDON
from app.models import Team, User
from app.routes import admin_account, admin_teams
from app.security import Keys, hash_password, password_problem

# The team and account routes are taken over as they are (already under /admin), so the app
# registers this one router and every route keeps its full path for whoever walks the routes.
router = APIRouter(
    prefix="/admin", routes=[*admin_teams.router.routes, *admin_account.router.routes]
)

AUDIT_PAGE_SIZE = 50
Errors = list[tuple[str, str]]
FormText = Annotated[str, Form(max_length=1000)]
FormCodes = Annotated[list[str], Form(max_length=16)]


def _languages(context: AppContext, role: str, chosen: list[str]) -> tuple[str, Errors]:
    """A reviewer's languages, or the reason they cannot be saved."""
    translated = [code for code in context.content.languages if code != SOURCE_LANGUAGE]
    try:
        return reviewer_languages(role, chosen, translated), []
    except AccountError as error:
        return ",".join(chosen), [("languages", str(error))]


def _teams(db: Session) -> list[Team]:
    return list(db.exec(select(Team).order_by(col(Team.name))).all())


def _user_or_404(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404)
    return user


def _team_name(db: Session, team_id: int | None) -> str:
    team = db.get(Team, team_id) if team_id is not None else None
    return team.name if team else "no team"


def _account_errors(
    db: Session, email: str, role: str, team_name: str
) -> tuple[Team | None, Errors]:
    errors: Errors = []
    if not EMAIL.match(email):
        errors.append(("email", "Enter an email address like name@example.org"))
    if role not in ROLES:
        errors.append(("role", "Choose a role"))
    team = db.exec(select(Team).where(Team.name == team_name)).first() if team_name else None
    if team_name and team is None:
        errors.append(("team", "Choose a team from the list"))
    elif role == Role.CASEWORKER and team is None:
        errors.append(("team", "Choose a team: a caseworker works one team's callback queue"))
    return team, errors


def _unlock(keys: Keys, db: Session, user: User) -> None:
    """Clear failed sign-in attempts, so an admin can help a throttled colleague at once."""
    clear_sign_in_failures(db, keys.hash_secret, user.email)


# Users


@router.get("/users", include_in_schema=False)
def users_page(request: Request, db: SessionDep, staff: Admin) -> Response:
    users = list(db.exec(select(User).order_by(col(User.active).desc(), col(User.email))).all())
    team_names = {team.id: team.name for team in _teams(db)}
    return admin_page(request, "admin/users.html", staff, users=users, team_names=team_names)


def _user_values(db: Session, user: User) -> dict[str, str]:
    team = _team_name(db, user.team_id) if user.team_id is not None else ""
    return {"role": user.role, "team": team, "languages": user.languages}


def _user_form(
    request: Request,
    db: Session,
    staff: Staff,
    user: User | None,
    values: dict[str, str],
    errors: Errors,
    status: int = 200,
) -> Response:
    return admin_page(
        request,
        "admin/user_form.html",
        staff,
        status,
        user=user,
        values=values,
        errors=errors,
        roles=ROLES,
        teams=_teams(db),
        saved=request.query_params.get("saved", ""),
    )


@router.get("/users/new", include_in_schema=False)
def new_user_page(request: Request, db: SessionDep, staff: Admin) -> Response:
    return _user_form(
        request, db, staff, None, {"email": "", "role": "", "team": "", "languages": ""}, []
    )


@router.post("/users/new", include_in_schema=False)
def add_user(
    request: Request,
    db: SessionDep,
    staff: AdminPost,
    context: ContextDep,
    email: FormText = "",
    role: FormText = "",
    team: FormText = "",
    password: FormText = "",
    languages: FormCodes = [],  # noqa: B006 - FastAPI copies form defaults
) -> Response:
    email = email.strip().lower()
    codes, errors = _languages(context, role, languages)
    values = {"email": email, "role": role, "team": team, "languages": codes}
    _, account_errors = _account_errors(db, email, role, team)
    errors = account_errors + errors
    if not errors and db.exec(select(User).where(User.email == email)).first() is not None:
        errors.append(("email", f"There is already an account for {email}"))
    problem = password_problem(password, email)
    if problem:
        errors.append(("password", problem))
    if errors:
        return _user_form(request, db, staff, None, values, errors, 400)
    try:
        user = create_user(
            db,
            email,
            role,
            password,
            team or None,
            must_change_password=True,
            now=staff.now,
            languages=codes,
        )
    except AccountError as error:  # e.g. the same email added by another admin just now
        return _user_form(request, db, staff, None, values, [("email", str(error))], 400)
    return saved(
        db,
        staff,
        f"/admin/users/{user.id}?saved=created",
        "create",
        entity="user",
        entity_id=user.id,
        detail=f"role: {role}; team: {team or 'no team'}; temporary password set",
    )


@router.get("/users/{user_id}", include_in_schema=False)
def user_page(request: Request, db: SessionDep, staff: Admin, user_id: int) -> Response:
    user = _user_or_404(db, user_id)
    return _user_form(request, db, staff, user, _user_values(db, user), [])


@router.post("/users/{user_id}", include_in_schema=False)
def update_user(
    request: Request,
    db: SessionDep,
    staff: AdminPost,
    context: ContextDep,
    user_id: int,
    role: FormText = "",
    team: FormText = "",
    languages: FormCodes = [],  # noqa: B006 - FastAPI copies form defaults
) -> Response:
    user = _user_or_404(db, user_id)
    new_team, errors = _account_errors(db, user.email, role, team)
    codes, language_errors = _languages(context, role, languages)
    errors += language_errors
    if user.id == staff.user.id and role != user.role:
        errors.append(("role", "You cannot change your own role. Ask another admin."))
    if errors:
        values = {"role": role, "team": team, "languages": codes}
        return _user_form(request, db, staff, user, values, errors, 400)
    new_team_id = new_team.id if new_team else None
    changes = []
    if role != user.role:
        changes.append(f"role: {user.role} → {role}")
    if new_team_id != user.team_id:
        changes.append(f"team: {_team_name(db, user.team_id)} → {team or 'no team'}")
    if codes != user.languages:
        changes.append(f"languages: {user.languages or 'none'} → {codes or 'none'}")
    if changes:
        user.role, user.team_id, user.languages = role, new_team_id, codes
        db.add(user)
        return saved(
            db,
            staff,
            f"/admin/users/{user_id}?saved=saved",
            "update",
            entity="user",
            entity_id=user.id,
            detail="; ".join(changes),
        )
    return redirect(f"/admin/users/{user_id}?saved=saved")


def _user_action(db: Session, staff: Staff, user: User, detail: str, done: str) -> Response:
    db.add(user)
    return saved(
        db,
        staff,
        f"/admin/users/{user.id}?saved={done}",
        "update",
        entity="user",
        entity_id=user.id,
        detail=detail,
    )


@router.post("/users/{user_id}/deactivate", include_in_schema=False)
def deactivate_user(request: Request, db: SessionDep, staff: AdminPost, user_id: int) -> Response:
    user = _user_or_404(db, user_id)
    if user.id == staff.user.id:
        errors = [("deactivate", "You cannot deactivate your own account. Ask another admin.")]
        return _user_form(request, db, staff, user, _user_values(db, user), errors, 400)
    user.active = False
    # Deactivation must take effect now, not when their sessions time out.
    revoke_sessions(db, user_id, staff.now)
    return _user_action(db, staff, user, "deactivated; sessions ended", "deactivated")


@router.post("/users/{user_id}/reactivate", include_in_schema=False)
def reactivate_user(db: SessionDep, staff: AdminPost, keys: KeysDep, user_id: int) -> Response:
    user = _user_or_404(db, user_id)
    user.active = True
    _unlock(keys, db, user)
    return _user_action(db, staff, user, "reactivated", "reactivated")


@router.post("/users/{user_id}/password", include_in_schema=False)
def set_temporary_password(
    request: Request,
    db: SessionDep,
    staff: AdminPost,
    keys: KeysDep,
    user_id: int,
    password: FormText = "",
    admin_password: FormText = "",
) -> Response:
    user = _user_or_404(db, user_id)
    errors = []
    problem = password_problem(password, user.email)
    if problem:
        errors.append(("password", problem))
    if not password_confirmed(db, keys.hash_secret, staff.user, admin_password, staff.now):
        errors.append(("admin_password", "Enter your own password"))
    if errors:
        db.commit()  # a wrong guess at the admin's own password counts towards its limit
        return _user_form(request, db, staff, user, _user_values(db, user), errors, 400)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    _unlock(keys, db, user)
    # Whoever was signed in with the old password is signed out (except this admin's session).
    revoke_sessions(db, user_id, staff.now, keep=staff.session.id)
    detail = "temporary password set; must change it at next sign-in; sessions ended"
    return _user_action(db, staff, user, detail, "password")


@router.post("/users/{user_id}/two-factor/remove", include_in_schema=False)
def remove_user_two_factor(
    request: Request,
    db: SessionDep,
    staff: AdminPost,
    keys: KeysDep,
    user_id: int,
    admin_password_2fa: FormText = "",
) -> Response:
    """For a colleague who lost their phone: they sign in with their password and set up again.

    The admin re-enters their own password first: a session left open must not be enough."""
    user = _user_or_404(db, user_id)
    if not password_confirmed(db, keys.hash_secret, staff.user, admin_password_2fa, staff.now):
        db.commit()  # the wrong guess counts towards the limit
        errors = [("admin_password_2fa", "Enter your own password")]
        return _user_form(request, db, staff, user, _user_values(db, user), errors, 400)
    user.totp_secret = None
    user.totp_last_step = None
    revoke_sessions(db, user_id, staff.now, keep=staff.session.id)
    return _user_action(db, staff, user, "second factor removed", "two-factor")


# Audit log (read only: there are no routes that edit or delete entries)


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request,
    db: SessionDep,
    staff: Admin,
    action: str = "",
    user: str = "",
    since: Annotated[str, Query(alias="from")] = "",
    until: Annotated[str, Query(alias="to")] = "",
    page: str = "1",
) -> Response:
    filters = {"action": action[:40], "user": user.strip().lower()[:255], "from": since[:10]}
    filters["to"] = until[:10]
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    events, errors = find_events(
        db, filters, offset=(number - 1) * AUDIT_PAGE_SIZE, limit=AUDIT_PAGE_SIZE + 1
    )
    kept = {key: value for key, value in filters.items() if value}
    return admin_page(
        request,
        "admin/audit.html",
        staff,
        400 if errors else 200,
        errors=errors,
        filters=filters,
        actions=audit_actions(db),
        rows=[(event, event.at.astimezone(LONDON)) for event in events[:AUDIT_PAGE_SIZE]],
        page=number,
        previous_url="/admin/audit?" + urlencode({**kept, "page": number - 1}),
        next_url=(
            "/admin/audit?" + urlencode({**kept, "page": number + 1})
            if len(events) > AUDIT_PAGE_SIZE
            else ""
        ),
    )


# Settings


@router.get("/settings", include_in_schema=False)
def settings_page(request: Request, db: SessionDep, staff: Admin) -> Response:
    return admin_page(
        request,
        "admin/settings.html",
        staff,
        editors_need_two_factor=editors_need_two_factor(db),
        saved=request.query_params.get("saved") == "1",
    )


@router.post("/settings", include_in_schema=False)
def save_settings(
    db: SessionDep,
    staff: AdminPost,
    editors_field: Annotated[str, Form(alias=EDITORS_NEED_TWO_FACTOR, max_length=10)] = "",
) -> Response:
    wanted = editors_field == "yes"
    if wanted != editors_need_two_factor(db):
        set_flag(db, EDITORS_NEED_TWO_FACTOR, wanted)
        return saved(
            db,
            staff,
            "/admin/settings?saved=1",
            "update",
            entity="setting",
            entity_id=EDITORS_NEED_TWO_FACTOR,
            detail="editors must use a second factor: " + ("on" if wanted else "off"),
        )
    return redirect("/admin/settings?saved=1")
