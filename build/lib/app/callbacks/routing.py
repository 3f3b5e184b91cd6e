"""Which youth team gets a callback request, and when that team is next at work."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.directory.hours import OpeningState, opening_state
from app.models import Schedule, Team

FALLBACK_TEAM_NAME = "Duty team"


def _codes(text: str) -> set[str]:
    return {part.strip() for part in text.split(",") if part.strip()}


@dataclass(frozen=True)
class Route:
    """The team a request goes to, and its duty phones (E.164, comma-separated)."""

    team_id: int
    duty_phones: str


_TEAM = Team.__table__  # type: ignore[attr-defined]
_TEAMS = select(
    _TEAM.c.id, _TEAM.c.areas, _TEAM.c.needs, _TEAM.c.duty_phones, _TEAM.c.is_fallback
).order_by(_TEAM.c.id)


def choose_team(db: Connection, area: str | None, need: str | None) -> Route:
    """The team covering both the area and the need; else the area; else the fallback team.

    A team that lists no areas (or no needs) covers all of them. If no team exists at all, a
    fallback team is created, so a request is never lost for want of somewhere to put it.
    One query (two when the fallback team has to be created).
    """
    teams = db.execute(_TEAMS).all()
    scored: list[tuple[int, int, Route]] = []
    fallback: Route | None = None
    for team in teams:
        if team.is_fallback:
            fallback = fallback or Route(team.id, team.duty_phones)
            continue
        areas, needs = _codes(team.areas), _codes(team.needs)
        area_fits = area in areas if area else False
        need_fits = (need in needs) if need else False
        if area_fits and (need_fits or not needs):
            scored.append((0 if need_fits else 1, team.id, Route(team.id, team.duty_phones)))
        elif area_fits:
            scored.append((2, team.id, Route(team.id, team.duty_phones)))
    if scored:
        return min(scored, key=lambda item: (item[0], item[1]))[2]
    return fallback or _create_fallback_team(db)


def _create_fallback_team(db: Connection) -> Route:
    """Create the fallback team; if another request just did, use that one.

    No savepoint: the insert does nothing on a name conflict (waiting for a concurrent insert of
    the same name to commit or roll back first), so the caller's transaction is never aborted.
    """
    insert = postgresql_insert if db.dialect.name == "postgresql" else sqlite_insert
    created = db.execute(
        insert(_TEAM)
        .values(name=FALLBACK_TEAM_NAME, is_fallback=True)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(_TEAM.c.id, _TEAM.c.duty_phones)
    ).first()
    if created is None:
        created = db.execute(
            select(_TEAM.c.id, _TEAM.c.duty_phones).where(_TEAM.c.name == FALLBACK_TEAM_NAME)
        ).one()
    return Route(created.id, created.duty_phones)


def team_availability(team: Team, now: datetime) -> OpeningState:
    hours = Schedule(
        id=uuid.uuid4(),
        service_id=uuid.uuid4(),
        byday=team.works_byday,
        opens_at=team.works_from,
        closes_at=team.works_until,
    )
    return opening_state([hours], now)
