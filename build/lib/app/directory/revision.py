"""Which version of the directory this process shows: the revision row, read at most once a second.

Every write that changes what the directory pages or the API show calls `bump_directory_revision` in
its transaction. Each process keeps the revision in memory so that cached pages are served without
touching the database:

- a change committed by this process is seen at once (the commit clears this process's copy);
- a change committed by another process or instance is seen within `refresh_seconds` (one
  primary-key read of the revision row when the copy is older than that).
"""

import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app.models import AppSetting

REVISION_KEY = "directory_revision"
_CHANGED = "directory_changed"  # key in Session.info: this transaction bumped the revision
log = logging.getLogger(__name__)

# The trackers of the apps in this process, by the engine their sessions use, so a commit can
# clear only its own app's copy (a second app on the same database behaves like another instance).
_trackers: "weakref.WeakKeyDictionary[Engine, weakref.WeakSet[DirectoryRevision]]" = (
    weakref.WeakKeyDictionary()
)


def bump_directory_revision(db: Session) -> None:
    """Mark the directory as changed (in the caller's transaction), for every instance's cache."""
    revision = db.get(AppSetting, REVISION_KEY) or AppSetting(key=REVISION_KEY)
    revision.value = uuid.uuid4().hex
    db.add(revision)
    db.info[_CHANGED] = True


@event.listens_for(OrmSession, "after_commit")
def _tell_this_process(session: OrmSession) -> None:
    if session.info.pop(_CHANGED, False):
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        for tracker in list(_trackers.get(engine, ())):
            tracker.invalidate()


@event.listens_for(OrmSession, "after_rollback")
def _forget_rolled_back_change(session: OrmSession) -> None:
    session.info.pop(_CHANGED, None)


class DirectoryRevision:
    """This process's copy of the directory revision, for cache keys that cost no query."""

    def __init__(
        self,
        engine: Engine,
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.refresh_seconds = refresh_seconds
        self.clock = clock  # tests move it forward instead of sleeping
        self._value: str | None = None
        self._checked_at = 0.0
        # Bumped by `invalidate`, so a read that started before a commit is not taken as fresh.
        self._generation = 0
        self._lock = threading.Lock()
        _trackers.setdefault(engine, weakref.WeakSet()).add(self)

    def fresh(self) -> str | None:
        """The revision if it was read recently enough, else None: no database, no waiting."""
        if self._value is None or self.clock() - self._checked_at >= self.refresh_seconds:
            return None
        return self._value

    def invalidate(self) -> None:
        self._generation += 1
        self._value = None

    def read(self) -> str:
        """The revision, read from the database unless fresh (blocking: run it in a thread)."""
        with self._lock:  # concurrent requests after expiry share one read
            value = self.fresh()
            if value is not None:
                return value
            generation, started = self._generation, self.clock()
            try:
                with self.engine.connect() as connection:
                    row = connection.execute(
                        select(col(AppSetting.value)).where(col(AppSetting.key) == REVISION_KEY)
                    ).scalar()
            except Exception:
                if self._value is None:
                    raise
                # The database is unreachable: keep serving the pages we have, try again later.
                log.warning("could not read the directory revision; serving cached pages")
                self._checked_at = started
                return self._value
            value = row or ""
            if generation == self._generation:
                self._value, self._checked_at = value, started
            return value

    async def current(self) -> str:
        """The revision, from memory when fresh; otherwise one read in the thread pool."""
        value = self.fresh()
        if value is not None:
            return value
        return await run_in_threadpool(self.read)
