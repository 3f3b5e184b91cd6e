"""Opening hours in Europe/London: open now, across midnight, on clock-change days, and 24/7."""

import uuid
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.directory.hours import describe_hours, describe_state, opening_state
from app.models import Schedule

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = "MO,TU,WE,TH,FR"


def schedule(byday: str, opens: time, closes: time) -> Schedule:
    return Schedule(
        id=uuid.uuid4(), service_id=uuid.uuid4(), byday=byday, opens_at=opens, closes_at=closes
    )


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def english(message: str) -> str:
    return message


def test_a_weekday_service_is_open_in_its_hours_and_closed_outside_them() -> None:
    hours = [schedule(WEEKDAYS, time(9), time(17))]

    assert opening_state(hours, london(2026, 11, 25, 9, 0)).open_now  # Wednesday
    assert opening_state(hours, london(2026, 11, 25, 16, 59)).open_now
    assert not opening_state(hours, london(2026, 11, 25, 17, 0)).open_now
    assert not opening_state(hours, london(2026, 11, 28, 12, 0)).open_now  # Saturday


def test_a_late_night_service_stays_open_past_midnight() -> None:
    hours = [schedule("FR,SA", time(20), time(2))]

    assert opening_state(hours, london(2026, 11, 28, 1, 30)).open_now  # Saturday 01:30, from Friday
    assert opening_state(hours, london(2026, 11, 29, 1, 59)).open_now  # Sunday 01:59, from Saturday
    assert not opening_state(hours, london(2026, 11, 29, 2, 0)).open_now
    assert not opening_state(hours, london(2026, 11, 27, 19, 59)).open_now


def test_a_service_open_all_day_every_day_is_always_open() -> None:
    hours = [schedule("MO,TU,WE,TH,FR,SA,SU", time(0), time(0))]

    state = opening_state(hours, london(2026, 12, 25, 3, 33))

    assert state.open_now and state.always_open
    assert (
        describe_state(state, london(2026, 12, 25, 3, 33), "en", english)
        == "Open now, day and night"
    )
    assert describe_hours(hours, "en", english) == [("Every day", "Day and night")]


def test_hours_follow_london_time_when_the_clocks_go_forward() -> None:
    # 29 March 2026: clocks go from 01:00 GMT to 02:00 BST. 09:00 BST is 08:00 UTC.
    hours = [schedule("SU", time(9), time(17))]

    assert opening_state(hours, datetime(2026, 3, 29, 8, 0, tzinfo=UTC)).open_now
    assert not opening_state(hours, datetime(2026, 3, 29, 7, 59, tzinfo=UTC)).open_now
    assert not opening_state(hours, datetime(2026, 3, 29, 16, 0, tzinfo=UTC)).open_now


def test_hours_follow_london_time_when_the_clocks_go_back() -> None:
    # 25 October 2026: clocks go from 02:00 BST back to 01:00 GMT. 09:00 GMT is 09:00 UTC.
    hours = [schedule("SU", time(9), time(17))]

    assert not opening_state(hours, datetime(2026, 10, 25, 8, 30, tzinfo=UTC)).open_now
    assert opening_state(hours, datetime(2026, 10, 25, 9, 0, tzinfo=UTC)).open_now
    assert opening_state(hours, datetime(2026, 10, 25, 16, 59, tzinfo=UTC)).open_now


def test_a_night_service_across_the_clock_change_closes_at_the_right_moment() -> None:
    hours = [schedule("SA", time(22), time(6))]  # Saturday 22:00 to Sunday 06:00

    assert opening_state(hours, datetime(2026, 10, 25, 5, 59, tzinfo=UTC)).open_now  # 05:59 GMT
    assert not opening_state(hours, datetime(2026, 10, 25, 6, 0, tzinfo=UTC)).open_now
    assert opening_state(hours, datetime(2026, 3, 29, 4, 59, tzinfo=UTC)).open_now  # 05:59 BST
    assert not opening_state(hours, datetime(2026, 3, 29, 5, 0, tzinfo=UTC)).open_now


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (london(2026, 11, 25, 7, 0), "Closed now. Opens today at 09:00"),
        (london(2026, 11, 25, 18, 0), "Closed now. Opens tomorrow at 09:00"),
        (london(2026, 11, 27, 18, 0), "Closed now. Opens Monday at 09:00"),
        (london(2026, 11, 25, 12, 0), "Open now, until 17:00"),
    ],
)
def test_the_next_opening_is_said_in_plain_words(now: datetime, expected: str) -> None:
    hours = [schedule(WEEKDAYS, time(9), time(17))]

    assert describe_state(opening_state(hours, now), now, "en", english) == expected


def test_a_service_without_confirmed_hours_says_so() -> None:
    now = london(2026, 11, 25, 12, 0)

    assert describe_state(opening_state([], now), now, "en", english).startswith(
        "Opening hours not confirmed"
    )


def test_hours_are_written_in_the_reader_language() -> None:
    hours = [schedule(WEEKDAYS, time(9), time(17))]

    assert describe_hours(hours, "en", english) == [("Monday to Friday", "09:00 to 17:00")]
    polish_days, _hours = describe_hours(hours, "pl", english)[0]
    assert "poniedziałek" in polish_days and "piątek" in polish_days
