"""Days of the week, defined once: the iCalendar BYDAY codes listings and teams store, and names.

Codes run Monday first, as `date.weekday()` counts, so `DAY_CODES[day.weekday()]` is a date's code.
English names (admin pages, the Open Referral API) come from Babel's CLDR data, as every other
language's day names on the public pages do.
"""

from typing import Literal, get_args

from babel.dates import get_day_names

Day = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
DAY_CODES: tuple[Day, ...] = get_args(Day)
WORKING_WEEK: tuple[Day, ...] = DAY_CODES[:5]  # a new team's days until someone says otherwise
_ENGLISH = get_day_names("wide", locale="en")
DAY_NAMES: dict[str, str] = {code: _ENGLISH[index] for index, code in enumerate(DAY_CODES)}
