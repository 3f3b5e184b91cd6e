"""The callback funnel per team and month, from the caseworker workflow's own records.

For the requests made in a period (by London day): how many were claimed, had a first contact
attempt, were spoken with, and got an outcome; the median and 90th percentile time from request to
first attempt; and the share reached in time (spoken with or texted by the time promised, `due_at`).
Requests are never deleted (retention wipes only the number, name and notes), so these figures
are read from `callback_request` and `callback_activity`, not counted separately. Outcomes are
never broken down below team and month: no figure here is per week, batch, need or language.
"""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time

from sqlmodel import Session, col, select

from app.callbacks.casework import ATTEMPTS
from app.directory.hours import LONDON
from app.models import CallbackActivity, CallbackRequest, Team

REACHED = ("spoke", "texted")  # a contact attempt that got through to the young person


@dataclass
class TeamMonth:
    """One team's requests made in one London month, and what came of them."""

    team: str
    month: date  # its first day
    requests: int = 0
    claimed: int = 0
    attempted: int = 0
    spoke: int = 0
    closed: int = 0  # an outcome recorded
    reached_in_time: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    hours_to_first_attempt: list[float] = field(default_factory=list)

    @property
    def median_hours(self) -> float | None:
        return median(self.hours_to_first_attempt)

    @property
    def p90_hours(self) -> float | None:
        return percentile(self.hours_to_first_attempt, 90)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: list[float], share: int) -> float | None:
    """The nearest-rank percentile: the smallest value at or above `share` % of the values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share / 100 * len(ordered)), 1) - 1]


def london_start(day: date) -> datetime:
    """The first moment of a London day."""
    return datetime.combine(day, clock_time(0), LONDON)


def month_of(moment: datetime) -> date:
    return moment.astimezone(LONDON).date().replace(day=1)


def funnel(db: Session, first: date, last: date) -> list[TeamMonth]:
    """The funnel for requests made from `first` to `last` (London days), by team then month."""
    requests = db.exec(
        select(CallbackRequest, Team.name)
        .join(Team, col(Team.id) == col(CallbackRequest.team_id))
        .where(
            col(CallbackRequest.created_at) >= london_start(first),
            col(CallbackRequest.created_at) < london_start(last + timedelta(days=1)),
        )
    ).all()
    attempts: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    ids = [request.id for request, _ in requests]
    for start in range(0, len(ids), 500):
        for callback_id, at, kind in db.exec(
            select(CallbackActivity.callback_id, CallbackActivity.created_at, CallbackActivity.kind)
            .where(col(CallbackActivity.callback_id).in_(ids[start : start + 500]))
            .where(col(CallbackActivity.kind).in_(list(ATTEMPTS)))
        ).all():
            attempts[callback_id].append((at, kind))
    groups: dict[tuple[str, date], TeamMonth] = {}
    for request, team in requests:
        key = (team, month_of(request.created_at))
        row = groups.setdefault(key, TeamMonth(team, key[1]))
        _add(row, request, sorted(attempts.get(request.id or 0, [])))
    return [groups[key] for key in sorted(groups)]


def _add(row: TeamMonth, request: CallbackRequest, tries: list[tuple[datetime, str]]) -> None:
    row.requests += 1
    if request.claimed_at is not None or request.status != "new":
        row.claimed += 1
    if tries:
        row.attempted += 1
        hours = (tries[0][0] - request.created_at).total_seconds() / 3600
        row.hours_to_first_attempt.append(max(hours, 0.0))
    if any(kind == "spoke" for _, kind in tries):
        row.spoke += 1
    reached = [at for at, kind in tries if kind in REACHED]
    if reached and reached[0] <= request.due_at:
        row.reached_in_time += 1
    if request.status == "closed" and request.outcome:
        row.closed += 1
        row.outcomes[request.outcome] = row.outcomes.get(request.outcome, 0) + 1
