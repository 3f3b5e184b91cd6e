"""Counting public use in memory, and adding the counts to the database every few seconds.

Serving a cached page must stay as fast as it is, so the hot path only adds one to a number in
this process's memory (`Tally.add`, under a lock held for a dictionary update). A background task
started by the app's lifespan (`counting_lifespan`) takes the counts every `IMPACT_FLUSH_SECONDS`
and adds them to `usage_count` in one upsert statement, and once more when the process stops
normally: nothing counted is lost on a normal stop, and if the database is away the counts wait
in memory for the next try. Every instance and worker adds its own counts to the same rows with
`count = count + excluded.count`, so several instances add up exactly.

Who counts is decided by the scan rules (`app/cards/scans.py`): HEAD requests, prefetches and
robots are not counted. Only values from our own lists are stored (see `app/models/impact.py`).
"""

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.cards.scans import PREFETCH_HEADERS, is_not_a_person, is_prefetch, is_robot_agent
from app.directory.hours import LONDON
from app.directory.search import known_district, postcode_district
from app.models.impact import ANY, LISTING, PAGE, SEARCH, UsageCount

log = logging.getLogger(__name__)

Key = tuple[date, str, str, str]  # day, kind, subject, detail
ROWS_PER_STATEMENT = 1000  # far more than a few seconds bring; keeps SQLite's variable limit
_PREFETCH_NAMES = frozenset(name.encode() for name in PREFETCH_HEADERS)


class Tally:
    """This process's counts not yet in the database. `today` gives the London day to count on."""

    def __init__(self, today: Callable[[], date] | None = None) -> None:
        self._lock = threading.Lock()
        self._counts: dict[Key, int] = {}
        self._day = date.min
        self._day_ends = 0.0
        self.today: Callable[[], date] = today or self._london_today

    def _london_today(self) -> date:
        # Worked out again only at midnight, so a count costs no time-zone arithmetic.
        now = time.time()
        if now >= self._day_ends:
            day = datetime.fromtimestamp(now, LONDON).date()
            midnight = datetime.combine(day + timedelta(days=1), clock_time(0), LONDON)
            self._day, self._day_ends = day, midnight.timestamp()
        return self._day

    def add(self, kind: str, subject: str, detail: str) -> None:
        key = (self.today(), kind, subject, detail)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1

    def take(self) -> dict[Key, int]:
        """Everything counted so far, leaving nothing behind."""
        with self._lock:
            counts, self._counts = self._counts, {}
        return counts

    def put_back(self, counts: Mapping[Key, int]) -> None:
        """Counts that could not be stored wait for the next flush."""
        with self._lock:
            for key, count in counts.items():
                self._counts[key] = self._counts.get(key, 0) + count

    def pending(self) -> int:
        with self._lock:
            return sum(self._counts.values())


def add_counts(db: Session, counts: Mapping[Key, int]) -> None:
    """Add `counts` to `usage_count` in one upsert per 1,000 rows (the caller commits).

    Rows go in key order, so two instances adding the same rows lock them in the same order and
    never deadlock on PostgreSQL.
    """
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = UsageCount.__table__  # type: ignore[attr-defined]
    rows = [
        {"day": day, "kind": kind, "subject": subject, "detail": detail, "count": count}
        for (day, kind, subject, detail), count in sorted(counts.items())
    ]
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        statement = insert(table).values(rows[start : start + ROWS_PER_STATEMENT])
        statement = statement.on_conflict_do_update(
            index_elements=["day", "kind", "subject", "detail"],
            set_={"count": table.c.count + statement.excluded.count},
        )
        db.execute(statement)


def flush(tally: Tally, engine: Engine) -> int:
    """Store what `tally` holds; returns how many were stored. On failure they wait in memory."""
    counts = tally.take()
    if not counts:
        return 0
    try:
        with Session(engine) as db:
            add_counts(db, counts)
            db.commit()
    except Exception:
        tally.put_back(counts)
        log.warning("usage counts not stored yet; kept for the next try", exc_info=True)
        return 0
    return sum(counts.values())


@asynccontextmanager
async def flushing(tally: Tally, engine: Engine, seconds: float) -> AsyncIterator[None]:
    """Flush every `seconds` while the app runs, and once more when it stops."""
    stop = asyncio.Event()

    async def every_few_seconds() -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), seconds)
            except TimeoutError:
                await asyncio.to_thread(flush, tally, engine)

    task = asyncio.create_task(every_few_seconds())
    try:
        yield
    finally:
        stop.set()
        await task  # a flush under way finishes first
        stored = await asyncio.to_thread(flush, tally, engine)
        log.info("usage counts stored at shutdown: %d", stored)


class PageViews:
    """Counts views of the cached public pages, called by `app/serving.py` after sending one."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self._pages: dict[str, tuple[str, str] | None] = {}

    def seen(self, scope: MutableMapping[str, Any], status: int) -> None:
        if scope["method"] != "GET" or status not in (200, 304):
            return
        path: str = scope["path"]
        try:
            page = self._pages[path]
        except KeyError:
            page = self._pages[path] = _page_of(path)
        if page is None:
            return
        agent = b""
        for name, value in scope["headers"]:
            if name == b"user-agent":
                agent = value
            elif name in _PREFETCH_NAMES and is_prefetch(value.decode("latin-1")):
                return
        if not _robot_agent_bytes(agent):
            self.tally.add(PAGE, *page)


@lru_cache(maxsize=512)
def _robot_agent_bytes(agent: bytes) -> bool:
    # Phones send a few dozen distinct agents: the verdict is remembered, not worked out per view.
    return is_robot_agent(agent.decode("latin-1"))


def _page_of(path: str) -> tuple[str, str] | None:
    """(slug, language) for `/{lang}/` (the card) and `/{lang}/{slug}`; None for anything else."""
    parts = path.strip("/").split("/")
    if parts[0] == "static" or len(parts) > 2 or not parts[0]:
        return None
    return (parts[1] if len(parts) == 2 else "card"), parts[0]


def search_seen(
    tally: Tally,
    method: str,
    headers: Mapping[str, str],
    params: Mapping[str, str],
    needs: set[str],
) -> None:
    """Count a directory search by need and area; a further page of results is not a new one.

    A need not in our list, or an area that is not a known district, counts as "any": what
    someone typed is never stored.
    """
    if params.get("page", "").strip() not in ("", "1"):
        return
    if is_not_a_person(method, dict(headers)):
        return
    need = params.get("need", "").strip()
    district = postcode_district(params.get("area", "").strip()[:40])
    area = district if district is not None and known_district(district) else ANY
    tally.add(SEARCH, need if need in needs else ANY, area)


def listing_seen(
    tally: Tally, method: str, headers: Mapping[str, str], service_id: str, lang: str
) -> None:
    """Count a listing opened, by its id (in the database's spelling) and the page's language."""
    if is_not_a_person(method, dict(headers)):
        return
    tally.add(LISTING, str(uuid.UUID(service_id)), lang)
