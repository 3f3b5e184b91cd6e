"""The public site, measured: every HTTP answer counted by route template, status and time.

Labels never carry a path as typed, a query, an address or anything a person entered: a route is
its template (`/{lang}/callback`), a cached page is `page`, anything else `unmatched`.
"""

import time

from prometheus_client.metrics import Counter, Histogram

from app.metrics import DURATION, REQUESTS
from app.serving import Message, PublicSite, Receive, Scope, Send

CACHED_PAGE = "page"
UNMATCHED = "unmatched"


class MeasuredSite(PublicSite):
    """`PublicSite` that also counts every HTTP answer by route template, status and time."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what a request that raised before answering looks like

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await super().__call__(scope, receive, noting_status)
        finally:
            observe(self.route_of(scope), status, time.perf_counter() - started)

    def route_of(self, scope: Scope) -> str:
        route = scope.get("route")  # set by FastAPI's router on the scope it was given
        template = getattr(route, "path", None)
        if isinstance(template, str):
            return template
        return CACHED_PAGE if scope["path"] in self.site.responses else UNMATCHED


_children: dict[tuple[str, int], tuple[Counter, Histogram]] = {}


def observe(route: str, status: int, seconds: float) -> None:
    # The labelled children are looked up once per route and status: `labels()` takes a lock.
    children = _children.get((route, status))
    if children is None:
        children = _children[(route, status)] = (
            REQUESTS.labels(route, str(status)),
            DURATION.labels(route),
        )
    counter, histogram = children
    counter.inc()
    histogram.observe(seconds)
