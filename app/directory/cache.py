"""Rendered responses kept in memory, made once per key however many requests ask at the same time.

Directory pages are keyed by language, query, directory revision and minute (so "open now" stays
true); see `app/directory/revision.py` for how the revision is kept current. A hit is a
dictionary look-up on the event loop. A miss is made in the thread pool, and concurrent requests
for the same key wait for that one result instead of each making their own (a directory page with
thousands of matches costs far more to make than to serve).
"""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.pages import HTML, CachedResponse, choose

MAX_ENTRIES = 1024
Value = TypeVar("Value")


class ResponseCache(Generic[Value]):
    """A thread-safe LRU of finished responses, with one maker per key at a time (single flight)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, Value] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Task[Value]] = {}
        self._lock = Lock()
        self._max = max_entries
        self.made = 0  # how many times a value was made: what single flight saves

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def _keep(self, key: Hashable, value: Value) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    async def get_or_make(self, key: Hashable, make: Callable[[], tuple[Value, bool]]) -> Value:
        """The cached value, or `make()` run once in the thread pool for everyone asking now.

        `make` returns the value and whether to keep it (error pages are shared but not kept).
        """
        return await self.get_or_await(key, lambda: run_in_threadpool(make))

    async def get_or_await(
        self, key: Hashable, make: Callable[[], Awaitable[tuple[Value, bool]]]
    ) -> Value:
        """Like `get_or_make`, for a maker that is a coroutine (it must not block the loop)."""
        value = self.get(key)
        if value is not None:
            return value
        loop = asyncio.get_running_loop()
        task = self._pending.get(key)
        if task is None or task.get_loop() is not loop:
            task = loop.create_task(self._make(key, make))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        # Shielded: a client that hangs up does not cancel the work the others are waiting for.
        return await asyncio.shield(task)

    async def _make(
        self, key: Hashable, make: Callable[[], Awaitable[tuple[Value, bool]]]
    ) -> Value:
        value, keep = await make()
        self.made += 1
        if keep:
            self._keep(key, value)
        return value

    def _forget(self, key: Hashable, task: "asyncio.Task[Value]") -> None:
        if self._pending.get(key) is task:
            del self._pending[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so an error nobody awaited is not logged twice


class PageCache(ResponseCache[CachedResponse]):
    """Rendered HTML pages, compressed once (in the thread pool, with the render)."""

    async def get_or_render(
        self, key: Hashable, render: Callable[[], tuple[str, int]]
    ) -> CachedResponse:
        def make() -> tuple[CachedResponse, bool]:
            html, status = render()
            page = CachedResponse.build(html.encode("utf-8"), HTML, "no-cache", status=status)
            return page, status == 200

        return await self.get_or_make(key, make)


def respond(request: Request, cached: CachedResponse) -> Response:
    """Send the representation the client accepts; 304 when it already has this one."""
    choice = choose(
        cached,
        request.headers.get("accept-encoding", "").encode("latin-1"),
        ", ".join(request.headers.getlist("if-none-match")).encode("latin-1"),
    )
    media_type = None if choice.status == 304 else cached.content_type
    return Response(
        choice.body, status_code=choice.status, media_type=media_type, headers=choice.headers()
    )
