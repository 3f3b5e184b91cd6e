"""Opening hours: is a service open now, when does it open next, and the hours in plain words.

All times are wall-clock times in Europe/London. Intervals are built for each calendar day and then
compared in UTC, so the answers stay right across midnight and on the days the clocks change.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_time, get_day_names

from app.days import DAY_CODES
from app.models import Schedule

LONDON = ZoneInfo("Europe/London")
Gettext = Callable[[str], str]


class Hours(NamedTuple):
    """One set of opening hours without the rest of its row: what ordering the directory needs."""

    byday: str
    opens_at: time
    closes_at: time


# A Schedule row, or just its hours.
AnyHours = Schedule | Hours


@dataclass(frozen=True)
class OpeningState:
    known: bool
    always_open: bool
    open_now: bool
    closes_at: datetime | None  # London time, when open now
    next_open: datetime | None  # London time, when closed now

    @property
    def sort_key(self) -> tuple[int, float]:
        """Open 24/7 first, then open now, then opening soonest, then hours unknown."""
        if self.always_open:
            return (0, 0.0)
        if self.open_now:
            return (1, 0.0)
        if self.next_open is not None:
            return (2, self.next_open.timestamp())
        return (3, 0.0)


def _days(schedule: AnyHours) -> set[str]:
    return {day.strip() for day in schedule.byday.split(",")}


def _intervals(schedules: Iterable[AnyHours], around: date) -> Iterator[tuple[datetime, datetime]]:
    for offset in range(-1, 8):
        day = around + timedelta(days=offset)
        code = DAY_CODES[day.weekday()]
        for schedule in schedules:
            if code not in _days(schedule):
                continue
            start = datetime.combine(day, schedule.opens_at, LONDON)
            past_midnight = schedule.closes_at <= schedule.opens_at
            end_day = day + timedelta(days=1) if past_midnight else day
            end = datetime.combine(end_day, schedule.closes_at, LONDON)
            yield start.astimezone(UTC), end.astimezone(UTC)


def is_24_hours(schedule: AnyHours) -> bool:
    return schedule.opens_at == schedule.closes_at


def opening_state(schedules: Sequence[AnyHours], now: datetime) -> OpeningState:
    if not schedules:
        return OpeningState(False, False, False, None, None)
    now_utc = now.astimezone(UTC)
    always = all(any(code in _days(s) and is_24_hours(s) for s in schedules) for code in DAY_CODES)
    intervals = sorted(_intervals(schedules, now_utc.astimezone(LONDON).date()))
    current = [end for start, end in intervals if start <= now_utc < end]
    if always or current:
        closes = None if always else max(current).astimezone(LONDON)
        return OpeningState(True, always, True, closes, None)
    upcoming = [start for start, _end in intervals if start > now_utc]
    next_open = min(upcoming).astimezone(LONDON) if upcoming else None
    return OpeningState(True, False, False, None, next_open)


def describe_state(
    state: OpeningState, now: datetime, lang: str, _: Gettext, lines: bool = False
) -> str:
    """'Open now, until 17:00', 'Lines open tomorrow at 09:00' ... in the reader's language.

    `lines`: the hours are a phone, text or chat line's ("Lines open"), not a place's ("Open").
    Unknown hours matter only for a place, where someone could make a wasted journey: a line
    with unknown hours says nothing rather than "check before you go".
    """
    if not state.known:
        return "" if lines else _("Opening hours not confirmed: check before you go")
    if state.always_open:
        return _("Open now. Lines open day and night") if lines else _("Open now, day and night")
    if state.open_now and state.closes_at is not None:
        until = _("Open now. Lines open until %(time)s") if lines else _("Open now, until %(time)s")
        return until % {"time": _time(state.closes_at.time(), lang)}
    if state.next_open is None:
        return _("Lines closed") if lines else _("Closed")
    opens = _time(state.next_open.time(), lang)
    today = now.astimezone(LONDON).date()
    if state.next_open.date() == today:
        when = (
            _("Lines closed now. Lines open today at %(time)s")
            if lines
            else _("Closed now. Opens today at %(time)s")
        )
        return when % {"time": opens}
    if state.next_open.date() == today + timedelta(days=1):
        when = (
            _("Lines closed now. Lines open tomorrow at %(time)s")
            if lines
            else _("Closed now. Opens tomorrow at %(time)s")
        )
        return when % {"time": opens}
    day = get_day_names("wide", locale=babel_locale(lang))[state.next_open.weekday()]
    when = (
        _("Lines closed now. Lines open %(day)s at %(time)s")
        if lines
        else _("Closed now. Opens %(day)s at %(time)s")
    )
    return when % {"day": day, "time": opens}


def describe_hours(schedules: list[Schedule], lang: str, _: Gettext) -> list[tuple[str, str]]:
    """Each set of opening hours in plain words: ('Monday to Friday', '9:00 AM to 5:00 PM')."""
    names = get_day_names("wide", locale=babel_locale(lang))
    lines = []
    for schedule in schedules:
        indexes = sorted(DAY_CODES.index(code) for code in _days(schedule) if code in DAY_CODES)
        if len(indexes) == len(DAY_CODES):
            days = _("Every day")
        elif len(indexes) >= 3 and indexes == list(range(indexes[0], indexes[-1] + 1)):
            days = _("%(first)s to %(last)s") % {
                "first": names[indexes[0]],
                "last": names[indexes[-1]],
            }
        else:
            days = ", ".join(names[index] for index in indexes)
        if is_24_hours(schedule):
            hours = _("Day and night")
        else:
            hours = _("%(opens)s to %(closes)s") % {
                "opens": _time(schedule.opens_at, lang),
                "closes": _time(schedule.closes_at, lang),
            }
        lines.append((days, hours))
    return lines


def _time(value: time, lang: str) -> str:
    return str(format_time(value, "short", locale=babel_locale(lang)))


def babel_locale(lang: str) -> str:
    """Dates and times for English readers in the UK style (25 November, 17:00)."""
    return "en_GB" if lang == "en" else lang
