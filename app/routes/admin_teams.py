"""Admin pages for youth teams: list, add and edit (admins only; checks in app.admin.teams)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from app.admin.access import Admin, AdminPost, Staff, admin_page, redirect, saved
from app.admin.teams import TeamInput, need_terms, save_team, validate_team
from app.context import SessionDep, SettingsDep
from app.days import DAY_NAMES
from app.models import Team

router = APIRouter(prefix="/admin")
Errors = list[tuple[str, str]]
FormText = Annotated[str, Form(max_length=1000)]


@router.get("/teams", include_in_schema=False)
def teams_page(request: Request, db: SessionDep, staff: Admin) -> Response:
    teams = list(db.exec(select(Team).order_by(col(Team.name))).all())
    return admin_page(
        request,
        "admin/teams.html",
        staff,
        teams=teams,
        has_fallback=any(team.is_fallback for team in teams),
        days=DAY_NAMES,
    )


def _team_form(
    request: Request,
    db: Session,
    staff: Staff,
    team: Team | None,
    form: TeamInput,
    errors: Errors,
    status: int = 200,
) -> Response:
    return admin_page(
        request,
        "admin/team_form.html",
        staff,
        status,
        team=team,
        form=form,
        errors=errors,
        terms=need_terms(db),
        days=DAY_NAMES,
        saved=request.query_params.get("saved", ""),
    )


NeedCodes = Annotated[list[str] | None, Form()]
DayCodes = Annotated[list[str] | None, Form()]


def _team_input(
    name: FormText = "",
    areas: FormText = "",
    needs: NeedCodes = None,
    duty_phones: FormText = "",
    calls_from: FormText = "",
    days: DayCodes = None,
    works_from: FormText = "",
    works_until: FormText = "",
    is_fallback: FormText = "",
) -> TeamInput:
    """The team form's fields as posted (checked by `validate_team`)."""
    return TeamInput(
        name=name,
        areas=areas,
        needs=needs or [],
        duty_phones=duty_phones,
        calls_from=calls_from,
        days=days or [],
        works_from=works_from,
        works_until=works_until,
        is_fallback=is_fallback == "yes",
    )


TeamForm = Annotated[TeamInput, Depends(_team_input)]


@router.get("/teams/new", include_in_schema=False)
def new_team_page(request: Request, db: SessionDep, staff: Admin) -> Response:
    return _team_form(request, db, staff, None, TeamInput(), [])


@router.post("/teams/new", include_in_schema=False)
def add_team(
    request: Request, db: SessionDep, settings: SettingsDep, staff: AdminPost, form: TeamForm
) -> Response:
    values, errors = validate_team(db, form, None, settings.drama_numbers_ok)
    if errors:
        return _team_form(request, db, staff, None, form, errors, 400)
    team = Team(name=values.name)
    save_team(db, team, values)
    detail = "team created" + ("; now the fallback team" if team.is_fallback else "")
    return saved(
        db,
        staff,
        f"/admin/teams/{team.id}?saved=created",
        "create",
        entity="team",
        entity_id=team.id,
        detail=detail,
    )


@router.get("/teams/{team_id}", include_in_schema=False)
def team_page(request: Request, db: SessionDep, staff: Admin, team_id: int) -> Response:
    team = db.get(Team, team_id)
    if team is None:
        raise HTTPException(status_code=404)
    return _team_form(request, db, staff, team, TeamInput.from_team(team), [])


@router.post("/teams/{team_id}", include_in_schema=False)
def update_team(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    staff: AdminPost,
    team_id: int,
    form: TeamForm,
) -> Response:
    team = db.get(Team, team_id)
    if team is None:
        raise HTTPException(status_code=404)
    values, errors = validate_team(db, form, team, settings.drama_numbers_ok)
    if errors:
        return _team_form(request, db, staff, team, form, errors, 400)
    changed = save_team(db, team, values)
    if changed:
        # Field names only: duty phones may be someone's own mobile number.
        return saved(
            db,
            staff,
            f"/admin/teams/{team_id}?saved=saved",
            "update",
            entity="team",
            entity_id=team.id,
            detail="changed: " + ", ".join(changed),
        )
    return redirect(f"/admin/teams/{team_id}?saved=saved")
