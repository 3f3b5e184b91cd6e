"""When a youth team works and when a young person will hear back, in the reader's own words.

The callback form shows the team's hours and the number we call from before anyone sends a
request; the confirmation says by when a youth worker will call and, if the team is away, when
it is back. Times follow the reader's language and clock (Babel): English readers get the UK
12-hour style ("5:00 pm"), as a young person in Luton would say it; other languages get their
own locale's clock (Polish "17:00", Urdu "5:00 PM").
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from babel import Locale
from babel.dates import format_skeleton, format_time, get_day_names
from markupsafe import Markup, escape

from app.days import DAY_CODES
from app.directory.hours import LONDON, babel_locale, is_24_hours, opening_state
from app.models import Schedule, Team

Gettext = Callable[[str], str]
TIMES = {"time", "opens", "closes"}


def clock_time(value: time, lang: str) -> str:
    """'5:00 pm' in English, '17:00' in Polish: the reader's language and usual clock."""
    if lang == "en":
        return str(format_skeleton("hm", value, locale="en_GB"))
    return str(format_time(value, "short", locale=babel_locale(lang)))


def _say(translated: str, **values: str) -> Markup:
    """A translated sentence with its values filled in, each time kept whole by a <bdi>: on a
    right-to-left page "9:00 AM" stays one piece, and an Arabic "5:00 م" keeps its own order."""
    isolated = {
        name: Markup("<bdi>{}</bdi>").format(value) if name in TIMES else value
        for name, value in values.items()
    }
    return escape(translated) % isolated


def _weekday(day: date, lang: str) -> str:
    return str(get_day_names("wide", locale=Locale.parse(babel_locale(lang)))[day.weekday()])


def team_schedule(team: Team) -> Schedule:
    """A team's working hours as a schedule, so the directory's opening-hours rules apply."""
    return Schedule(
        id=uuid.uuid4(),
        service_id=uuid.uuid4(),
        byday=team.works_byday,
        opens_at=team.works_from,
        closes_at=team.works_until,
    )


def working_hours(team: Team, lang: str, _: Gettext) -> str | None:
    """'The youth team works Monday to Friday, 9:00 am to 5:00 pm.' (None without working days)."""
    codes = {code.strip() for code in team.works_byday.split(",")}
    indexes = sorted(DAY_CODES.index(code) for code in codes if code in DAY_CODES)
    if not indexes:
        return None
    if is_24_hours(team_schedule(team)):
        hours = _("24 hours")
    else:
        hours = _say(
            _("%(opens)s to %(closes)s"),
            opens=clock_time(team.works_from, lang),
            closes=clock_time(team.works_until, lang),
        )
    names = get_day_names("wide", locale=Locale.parse(babel_locale(lang)))
    if len(indexes) == len(DAY_CODES):
        return _say(_("The youth team works every day, %(hours)s."), hours=hours)
    if len(indexes) >= 3 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return _say(
            _("The youth team works %(first)s to %(last)s, %(hours)s."),
            first=str(names[indexes[0]]),
            last=str(names[indexes[-1]]),
            hours=hours,
        )
    days = ", ".join(str(names[index]) for index in indexes)
    return _say(_("The youth team works on %(days)s, %(hours)s."), days=days, hours=hours)


@dataclass(frozen=True)
class BeforeSending:
    """What the form can promise before it knows the team: hours and the number we call from."""

    hours_of: Team
    calls_from: str


def before_sending(teams: Sequence[Team]) -> BeforeSending:
    """The hours and number every team shares; where teams differ, the fallback team's.

    The team is chosen only after the young person gives an area, so the form cannot know it.
    With no team yet, a request creates the fallback team with the default hours.
    """
    fallback = next((team for team in teams if team.is_fallback), None) or Team(name="")
    hours = {(team.works_byday, team.works_from, team.works_until) for team in teams}
    numbers = {team.calls_from.strip() for team in teams}
    hours_of = teams[0] if len(hours) == 1 else fallback
    calls_from = numbers.pop() if len(numbers) == 1 else fallback.calls_from.strip()
    return BeforeSending(hours_of, calls_from)


def _on_day(moment: datetime, now: datetime, lang: str) -> tuple[str, dict[str, str]]:
    """('today'|'tomorrow'|'day', values) for a sentence about `moment`, seen at `now`."""
    local, today = moment.astimezone(LONDON), now.astimezone(LONDON).date()
    values = {"time": clock_time(local.time(), lang), "day": _weekday(local.date(), lang)}
    if local.date() == today:
        return "today", values
    if (local.date() - today).days == 1:
        return "tomorrow", values
    return "day", values


def call_by(team: Team | None, due_at: datetime, now: datetime) -> datetime | None:
    """When we promise a call: the request's due time, or, if the team is not at work then,
    the end of the team's next working spell (we never promise a call when nobody is at work).
    None when the team has no working hours at all.
    """
    if team is None:
        return due_at
    hours = [team_schedule(team)]
    at_due = opening_state(hours, due_at)
    if at_due.open_now:
        return due_at
    if at_due.next_open is None:
        return None
    return opening_state(hours, at_due.next_open).closes_at


def promise(team: Team | None, due_at: datetime, now: datetime, lang: str, _: Gettext) -> str:
    """'A youth worker will call you by Tuesday at 5:00 pm.'"""
    moment = call_by(team, due_at, now)
    if moment is None:
        return _("A youth worker will call you as soon as they can.")
    which, values = _on_day(moment, now, lang)
    if which == "today":
        return _say(_("A youth worker will call you today by %(time)s."), **values)
    if which == "tomorrow":
        return _say(_("A youth worker will call you tomorrow by %(time)s."), **values)
    return _say(_("A youth worker will call you by %(day)s at %(time)s."), **values)


def back_at_work(team: Team | None, now: datetime, lang: str, _: Gettext) -> str | None:
    """'The youth team is not at work now. They start again ...' (None when at work)."""
    if team is None:
        return None
    state = opening_state([team_schedule(team)], now)
    if state.open_now or state.next_open is None:
        return None
    which, values = _on_day(state.next_open, now, lang)
    if which == "today":
        message = _("The youth team is not at work now. They start again today at %(time)s.")
    elif which == "tomorrow":
        message = _("The youth team is not at work now. They start again tomorrow at %(time)s.")
    else:
        message = _("The youth team is not at work now. They start again on %(day)s at %(time)s.")
    return _say(message, **values)
