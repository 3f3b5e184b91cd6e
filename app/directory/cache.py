"""Rendered directory pages, kept compressed while the directory and the minute stay the same.

The key includes a version read from the database (newest change and number of listings), so a
change saved on any instance shows at once everywhere, and the minute, so "open now" stays true.
"""

import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from threading import Lock

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import and_, case
from sqlmodel import Session, col, func, select

from app.models import AppSetting, Service
from app.pages import HTML, CachedResponse

MAX_ENTRIES = 1024
REVISION_KEY = "directory_revision"


def bump_directory_revision(db: Session) -> None:
    """Mark the directory as changed (in the caller's transaction), for every instance's cache."""
    revision = db.get(AppSetting, REVISION_KEY) or AppSetting(key=REVISION_KEY)
    revision.value = uuid.uuid4().hex
    db.add(revision)


def directory_version(db: Session, now: datetime) -> tuple[object, ...]:
    visible = case((and_(col(Service.published), ~col(Service.archived)), 1), else_=0)
    revision = select(AppSetting.value).where(AppSetting.key == REVISION_KEY).scalar_subquery()
    newest, count, shown, changed = db.exec(
        select(func.max(Service.last_modified), func.count(), func.sum(visible), revision)
    ).one()
    return (str(newest), count, shown, changed, now.strftime("%Y%m%d%H%M"))


class PageCache:
    """A small, thread-safe LRU of rendered pages."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, CachedResponse] = OrderedDict()
        self._lock = Lock()
        self._max = max_entries

    def get_or_render(self, key: Hashable, render: Callable[[], tuple[str, int]]) -> CachedResponse:
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                return cached
        html, status = render()
        cached = CachedResponse.build(html.encode("utf-8"), HTML, "no-cache", status=status)
        if status == 200:
            with self._lock:
                self._entries[key] = cached
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        return cached


def respond(request: Request, cached: CachedResponse) -> Response:
    """Send the representation the browser accepts; 304 when it already has this one."""
    accepted = request.headers.get("accept-encoding", "")
    headers = {"Cache-Control": cached.cache_control, "Vary": "Accept-Encoding"}
    if "br" in accepted:
        body, etag = cached.brotli, f'"{cached.etag}-br"'
        headers["Content-Encoding"] = "br"
    elif "gzip" in accepted:
        body, etag = cached.gzip, f'"{cached.etag}-gz"'
        headers["Content-Encoding"] = "gzip"
    else:
        body, etag = cached.identity, f'"{cached.etag}"'
    headers["ETag"] = etag
    if cached.status == 200 and cached.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(
        body, status_code=cached.status, media_type=cached.content_type, headers=headers
    )
