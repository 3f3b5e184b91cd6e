"""Finished API responses kept as bytes: JSON serialised and gzip-compressed once, not per request.

Responses are keyed by path, query and the directory revision (see `app/directory/revision.py`),
and looked up before FastAPI parses the parameters: a repeated request is answered from memory
without a query or a thread, and a saved change is served at once on the instance that saved it and
within about a second elsewhere. Concurrent requests for one uncached answer share one.
"""

import gzip
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from app.directory.cache import ResponseCache
from app.pages import accepts_coding

JSON = "application/json"


def etag_for(body: bytes) -> str:
    # Weak: the same JSON may be sent gzipped or not, which changes the bytes but not the meaning.
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def matches(if_none_match: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


@dataclass(frozen=True)
class CachedJson:
    status: int
    identity: bytes
    gzip: bytes
    etag: str

    @classmethod
    def of(cls, response: Response) -> "CachedJson":
        body = bytes(response.body)
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        return cls(response.status_code, body, packed, etag_for(body))


def send(request: Request, cached: CachedJson) -> Response:
    """The JSON, gzipped when the client accepts it; CORS and 304s are added by the API's route."""
    headers = {"ETag": cached.etag, "Vary": "Accept-Encoding"}
    body = cached.identity
    if accepts_coding(request.headers.get("accept-encoding", "").encode("latin-1"), b"gzip"):
        headers["Content-Encoding"] = "gzip"
        body = cached.gzip
    return Response(body, status_code=cached.status, media_type=JSON, headers=headers)


async def answer_from_cache(
    request: Request, handle: Callable[[Request], Awaitable[Response]]
) -> Response:
    """The cached answer for this path and query, or `handle(request)` once for all who ask."""
    state = request.app.state
    revision = await state.directory_revision.current()
    key = (request.url.path, tuple(sorted(request.query_params.multi_items())), revision)
    cache: ResponseCache[CachedJson] = state.api_cache

    async def make() -> tuple[CachedJson, bool]:
        answer = CachedJson.of(await handle(request))
        return answer, answer.status == 200

    return send(request, await cache.get_or_await(key, make))
