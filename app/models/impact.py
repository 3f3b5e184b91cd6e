"""Anonymous daily usage counts for the impact report: what was read and asked for, never by whom.

One row per (London day, kind, subject, detail) with a count. The kinds:
- "page": a public page read (subject: the page's slug, "card" for the card; detail: language);
- "search": a directory search (subject: the need asked about, or "any"; detail: the postcode
  district, or "any");
- "listing": a directory listing opened (subject: the listing's id; detail: language).
Only values from our own lists are stored (a slug, a need code, a known district, a listing id):
never what someone typed, an address, a user agent, a cookie or a time of day.
"""

from datetime import date

from sqlmodel import Field, SQLModel

PAGE, SEARCH, LISTING = "page", "search", "listing"
ANY = "any"


class UsageCount(SQLModel, table=True):
    """How many times something public was used on one day: no person, device or time of day."""

    __tablename__ = "usage_count"

    day: date = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=16)
    subject: str = Field(primary_key=True, max_length=64)
    detail: str = Field(primary_key=True, max_length=16)
    count: int = 0
