"""Figures safe to share: the one place small numbers are hidden before a figure leaves the admin.

Every figure in the report, its print, its CSV and `python -m app report` goes through here:
- a count from 1 to 4 is shown as "fewer than 5" (0 is shown: nobody is in it);
- a total made of cells of which any is hidden is rounded to the nearest 5, shown as "about 15",
  so it cannot be used with the cells that are shown to work out a hidden one (differencing);
- a count shown in more than one breakdown (page views by page, by language and by week) keeps
  its exact cells in one breakdown only: when any cell of it is hidden, the cells of the other
  breakdowns are rounded to the nearest 5 too, or adding them up would give the exact total;
- a median, percentile or share is shown only when at least 5 requests are behind it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

THRESHOLD = 5
FEWER = "fewer than 5"
NOT_SHOWN = "not shown (fewer than 5)"


@dataclass(frozen=True)
class Figure:
    """A count as it may be shown: `value` is None when hidden, rounded when `rounded`."""

    text: str
    value: int | None
    rounded: bool = False

    @property
    def hidden(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return self.text


def is_small(count: int) -> bool:
    return 0 < count < THRESHOLD


def cell(count: int, rounded: bool = False) -> Figure:
    """One count: hidden when 1 to 4; to the nearest 5 when `rounded` (see `any_hidden`)."""
    if is_small(count):
        return Figure(FEWER, None)
    if rounded and count:
        return _about(count)
    return Figure(str(count), count)


def _about(count: int) -> Figure:
    nearest = THRESHOLD * round(count / THRESHOLD)
    return Figure(f"about {nearest}", nearest, rounded=True)


def any_hidden(*breakdowns: Iterable[int]) -> bool:
    """Whether a cell of any breakdown of one count is hidden: its other breakdowns are rounded."""
    return any(is_small(part) for breakdown in breakdowns for part in breakdown)


def total(count: int, *breakdowns: Iterable[int]) -> Figure:
    """A total shown beside `breakdowns` of it: rounded to the nearest 5 if any cell is hidden.

    A total that is itself 1 to 4 is hidden like a cell.
    """
    if is_small(count):
        return Figure(FEWER, None)
    if any_hidden(*breakdowns):
        return _about(count)
    return Figure(str(count), count)


def enough(requests: int) -> bool:
    """Whether a median, percentile or share over `requests` may be shown."""
    return requests >= THRESHOLD
