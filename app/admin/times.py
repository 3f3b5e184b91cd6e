"""Times as the admin shows them: London wall-clock time, and "2 hours ago" / "in 3 hours"."""

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_timedelta

from app.directory.hours import LONDON


@dataclass(frozen=True)
class Times:
    """Formats times for one admin page, relative to the request's time."""

    now: datetime

    def at(self, moment: datetime | None) -> str:
        """'Tue 1 Dec, 14:05' in London time; the year only when it is not this year's."""
        if moment is None:
            return ""
        local = moment.astimezone(LONDON)
        this_year = local.year == self.now.astimezone(LONDON).year
        return local.strftime("%a %-d %b, %H:%M" if this_year else "%a %-d %b %Y, %H:%M")

    def relative(self, moment: datetime | None) -> str:
        """'2 hours ago' or 'in 3 hours' (rounded as people say it)."""
        if moment is None:
            return ""
        return str(
            format_timedelta(moment - self.now, threshold=1.5, add_direction=True, locale="en_GB")
        )
