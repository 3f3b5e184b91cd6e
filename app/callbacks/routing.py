"""Which youth team gets a callback request, and when that team is next at work."""

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.directory.hours import OpeningState, opening_state
from app.models import Schedule, Team

FALLBACK_TEAM_NAME = "Duty team"


def _codes(text: str) -> set[str]:
    return {part.strip() for part in text.split(",") if part.strip()}


def choose_team(db: Session, area: str | None, need: str | None) -> Team:
    """The team covering both the area and the need; else the area; else the fallback team.

    A team that lists no areas (or no needs) covers all of them. If no team exists at all, a
    fallback team is created, so a request is never lost for want of somewhere to put it.
    """
    teams = list(db.exec(select(Team).order_by(col(Team.id))).all())
    scored: list[tuple[int, Team]] = []
    for team in teams:
        if team.is_fallback:
            continue
        areas, needs = _codes(team.areas), _codes(team.needs)
        area_fits = area in areas if area else False
        need_fits = (need in needs) if need else False
        if area_fits and (need_fits or not needs):
            scored.append((0 if need_fits else 1, team))
        elif area_fits:
            scored.append((2, team))
    if scored:
        return min(scored, key=lambda item: (item[0], item[1].id or 0))[1]
    fallback = next((team for team in teams if team.is_fallback), None)
    return fallback or _create_fallback_team(db)


def _create_fallback_team(db: Session) -> Team:
    """Create the fallback team; if another request just did, use that one."""
    savepoint = db.begin_nested()
    try:
        team = Team(name=FALLBACK_TEAM_NAME, is_fallback=True)
        db.add(team)
        db.flush()
    except IntegrityError:
        savepoint.rollback()
        return db.exec(select(Team).where(Team.name == FALLBACK_TEAM_NAME)).one()
    savepoint.commit()
    return team


def team_availability(team: Team, now: datetime) -> OpeningState:
    hours = Schedule(
        id=uuid.uuid4(),
        service_id=uuid.uuid4(),
        byday=team.works_byday,
        opens_at=team.works_from,
        closes_at=team.works_until,
    )
    return opening_state([hours], now)
