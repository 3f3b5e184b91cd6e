"""Which youth team gets a callback request, whose duty phone is told first, and team hours.

The first alert goes to the team's first duty phone; a team with no duty phone has the fallback
team's told at once instead. Later steps, while nobody claims the request, are in
app/callbacks/escalation.py; `CallbackRequest.escalations` says which step was last taken.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.callbacks.phones import duty_numbers
from app.directory.hours import Hours, OpeningState, opening_state
from app.models import Team

FALLBACK_TEAM_NAME = "Duty team"
# Escalation steps (`CallbackRequest.escalations`): the step last taken.
TEAM_FIRST, TEAM_NEXT, FALLBACK = 0, 1, 2
# How long a request may wait unclaimed in working time before the next step.
ESCALATE_AFTER = timedelta(hours=1)


def _codes(text: str) -> set[str]:
    return {part.strip() for part in text.split(",") if part.strip()}


@dataclass(frozen=True)
class Route:
    """The team a request goes to, its duty phones (E.164, comma-separated) and working hours,
    and the fallback team's duty phones (empty when the request goes to the fallback team)."""

    team_id: int
    duty_phones: str
    hours: Hours
    fallback_phones: str = ""


@dataclass(frozen=True)
class FirstAlert:
    """Who is told of a new request at once (at most one number), and the escalation it starts."""

    numbers: list[str]
    escalations: int
    escalate_at: datetime | None


_TEAM = Team.__table__  # type: ignore[attr-defined]
_TEAMS = select(
    _TEAM.c.id,
    _TEAM.c.areas,
    _TEAM.c.needs,
    _TEAM.c.duty_phones,
    _TEAM.c.is_fallback,
    _TEAM.c.works_byday,
    _TEAM.c.works_from,
    _TEAM.c.works_until,
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
        route = Route(team.id, team.duty_phones, _hours(team))
        if team.is_fallback:
            fallback = fallback or route
            continue
        areas, needs = _codes(team.areas), _codes(team.needs)
        area_fits = area in areas if area else False
        need_fits = (need in needs) if need else False
        if area_fits and (need_fits or not needs):
            scored.append((0 if need_fits else 1, team.id, route))
        elif area_fits:
            scored.append((2, team.id, route))
    if scored:
        best = min(scored, key=lambda item: (item[0], item[1]))[2]
        fallback_phones = fallback.duty_phones if fallback else ""
        return Route(best.team_id, best.duty_phones, best.hours, fallback_phones)
    return fallback or _create_fallback_team(db)


def _hours(team: Any) -> Hours:
    """A team's working hours, from a Team or a row of the team table."""
    return Hours(team.works_byday, team.works_from, team.works_until)


def first_alert(route: Route, now: datetime) -> FirstAlert:
    """The team's first duty phone, its escalation due an hour into the team's working time.

    A team without a duty phone: the fallback team's first duty phone is told at once and the
    escalation starts (and ends) at the fallback step. No duty phone anywhere: nobody is told
    (the admin dashboard shows such a request).
    """
    numbers = duty_numbers(route.duty_phones)
    if numbers:
        return FirstAlert(numbers[:1], TEAM_FIRST, first_escalation(route.hours, now))
    return FirstAlert(duty_numbers(route.fallback_phones)[:1], FALLBACK, None)


def first_escalation(hours: Hours, arrived: datetime) -> datetime:
    """An hour after arriving if the team is at work then, else an hour after it next opens."""
    state = opening_state([hours], arrived)
    if state.open_now or state.next_open is None:  # no working hours at all: do not wait for ever
        return arrived + ESCALATE_AFTER
    return state.next_open.astimezone(UTC) + ESCALATE_AFTER


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
        .returning(*_TEAMS.selected_columns)
    ).first()
    if created is None:
        created = db.execute(_TEAMS.where(_TEAM.c.name == FALLBACK_TEAM_NAME)).one()
    return Route(created.id, created.duty_phones, _hours(created))


def team_availability(team: Team, now: datetime) -> OpeningState:
    return opening_state([_hours(team)], now)
