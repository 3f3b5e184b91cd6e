"""Counting a scan of a printed code: one number per batch per day, nothing about the person.

What is stored is (batch code or "unknown", Europe/London day, count). No address, user agent,
cookie or time of day is kept, so the numbers can never be joined back to a phone or a person.

Not every request for `/c/<code>` is a person scanning a card. These are answered (they land on
the card like anyone else) but not counted:
- `HEAD` requests: link checkers and previewers asking whether the address works;
- prefetches: `Purpose: prefetch`, `Sec-Purpose: prefetch…` (Chromium speculation rules),
  `X-Purpose: preview` (Safari) and `X-Moz: prefetch` (Firefox);
- user agents that say they are robots or link previewers (search crawlers, chat apps unfurling a
  shared link: WhatsApp, Slack, Twitter/X, Facebook/iMessage, Telegram, Discord, Skype, Snapchat),
  command-line tools and HTTP libraries (curl, Wget, python-requests, Go, Java, OkHttp: some scanner
  apps fetch a link to preview it before the browser opens it, which would count a scan twice),
  headless browsers, and requests without a user agent (every phone browser sends one).
Anything else counts: an unrecognised in-app browser is more likely a person than a robot.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from app.cards.codes import normalise
from app.models import UNKNOWN_BUCKET, CardBatch, ScanCount

LONDON = ZoneInfo("Europe/London")
PREFETCH_HEADERS = ("purpose", "sec-purpose", "x-purpose", "x-moz")
# "(?<!cu)bot": Cubot is a brand of Android phone, and its handsets put the name in the agent.
ROBOT_AGENT = re.compile(
    r"(?<!cu)bot|crawl|spider|slurp|preview|facebookexternalhit|facebot|whatsapp|embedly"
    r"|curl/|wget/|python-|aiohttp|httpx|go-http-client|java/|okhttp|libwww|headlesschrome"
    r"|lighthouse|pingdom|uptime|monitor",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ScanTarget:
    """Where a scanned code counts, and the batch's language for phones that match none of ours."""

    bucket: str
    default_lang: str | None


def is_not_a_person(method: str, headers: dict[str, str]) -> bool:
    """True for HEAD, prefetches and robots (see the module docstring). Header names lower case.

    The impact counters (`app/impact/tally.py`) apply the same rules through the two below.
    """
    if method.upper() == "HEAD":
        return True
    if any(is_prefetch(headers.get(name, "")) for name in PREFETCH_HEADERS):
        return True
    return is_robot_agent(headers.get("user-agent", ""))


def is_prefetch(value: str) -> bool:
    """True when one of `PREFETCH_HEADERS` says the browser is only fetching ahead or previewing."""
    value = value.lower()
    return "prefetch" in value or "preview" in value


def is_robot_agent(agent: str) -> bool:
    """True for a missing user agent or one of a robot, previewer or HTTP library."""
    agent = agent.strip()
    return not agent or ROBOT_AGENT.search(agent) is not None


def london_day(moment: datetime) -> date:
    """The day in Europe/London: a scan at 00:30 in summer belongs to that day, not yesterday."""
    return moment.astimezone(LONDON).date()


def find_target(db: Session, raw_code: str) -> ScanTarget:
    """The bucket for a code as printed or typed: its batch (even retired), else "unknown".

    An unknown code counts as "unknown", never as itself: whatever someone types after /c/ is
    not stored.
    """
    code = normalise(raw_code)
    if code is None:
        return ScanTarget(UNKNOWN_BUCKET, None)
    row = db.exec(
        select(CardBatch.code, CardBatch.default_lang).where(CardBatch.code == code)
    ).first()
    return ScanTarget(row[0], row[1]) if row else ScanTarget(UNKNOWN_BUCKET, None)


def count_scan(db: Session, bucket: str, day: date) -> int:
    """Add one to (bucket, day) in a single atomic upsert; returns the new count.

    One statement, so two instances counting the same card at the same moment both land: the
    database serialises them on the row, and nothing reads a count before writing it back.
    The caller commits, and must not have read in the same transaction first: SQLite cannot
    turn a read snapshot into a write once another connection has written.
    """
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = ScanCount.__table__  # type: ignore[attr-defined]
    statement = (
        insert(ScanCount)
        .values(bucket=bucket, day=day, scans=1)
        .on_conflict_do_update(index_elements=["bucket", "day"], set_={"scans": table.c.scans + 1})
        .returning(table.c.scans)
    )
    return int(db.execute(statement).scalar_one())
