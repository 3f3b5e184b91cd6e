"""Finished API responses kept as bytes: JSON serialised and gzip-compressed once, not per request.

Responses are keyed by path, query, the directory revision (see `app/directory/revision.py`) and
the day in London (listings are scheduled by day), and looked up before FastAPI parses the
parameters: a repeated request is answered from memory without a query or a thread, and a saved
change is served at once on the instance that saved it and within about a second elsewhere.
Concurrent requests for one uncached answer share one.
"""

import gzip
import hashlib
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response

from app.context import context_of
from app.directory.cache import ResponseCache, respond
from app.directory.search import london_day
from app.pages import CachedResponse

JSON = "application/json"
# Shared caches may keep a response, but must check it is still current (cheap: ETag and 304).
CACHE_CONTROL = "public, no-cache"


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def etag_for(body: bytes) -> str:
    # Weak: the same JSON may be sent gzipped or not, which changes the bytes but not the meaning.
    return f'W/"{_digest(body)}"'


def cached_json(response: Response) -> CachedResponse:
    """A JSON answer ready to send again: gzipped once, with the weak ETag of `etag_for`."""
    body = bytes(response.body)
    packed = gzip.compress(body, compresslevel=6, mtime=0)
    return CachedResponse(
        response.status_code, JSON, CACHE_CONTROL, body, packed, None, _digest(body), weak=True
    )


async def answer_from_cache(
    request: Request, handle: Callable[[Request], Awaitable[Response]]
) -> Response:
    """The cached answer for this path and query, or `handle(request)` once for all who ask."""
    # Not a dependency: this wraps the route's whole handling (see app.routes.api).
    context = context_of(request.app)
    revision = await context.directory_revision.current()
    # The day is in the key because listings are scheduled to show from and until a day.
    today = london_day(context.clock())
    query = tuple(sorted(request.query_params.multi_items()))
    key = (request.url.path, query, revision, today)
    cache: ResponseCache[CachedResponse] = context.api_cache

    async def make() -> tuple[CachedResponse, bool]:
        answer = cached_json(await handle(request))
        return answer, answer.status == 200

    # The encoding and any 304 are chosen as for every cached response; CORS is the route's.
    return respond(request, await cache.get_or_await(key, make))
