"""The outermost layer of the web app: cached pages, security headers and a privacy-safe access log.

Before anything else a request's Host and body size are checked (`app.request_guard`): an unknown
host gets 400, a body over its limit 413 with a short page in the path's language.

Cached public pages are answered here without entering the framework at all, with header lists
built once per page and encoding. Every other response passes through and gets the same security
headers. The access log records method, path, status and time: never an IP address, a query string
or a user agent. Cached pages are logged at DEBUG: at INFO, writing a line for every card view
would cost more than serving it.
"""

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from granian.utils.proxies import wrap_asgi_with_proxy_headers

from app.content import SOURCE_LANGUAGE
from app.impact.tally import PageViews, Tally
from app.pages import BROTLI, GZIP, IDENTITY, CachedResponse, Choice, Renderer, Site, choose
from app.request_guard import host_allowed, limit_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("app.access")


HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def security_headers(style_hash: str, hsts: bool = False) -> list[tuple[bytes, bytes]]:
    policy = (
        "default-src 'none'; script-src 'self'; "
        f"style-src '{style_hash}'; img-src 'self'; form-action 'self'; "
        # The offline worker and the home-screen manifest (app/offline.py), from this site only.
        "worker-src 'self'; manifest-src 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    # HSTS only when the service is https: a browser then never tries it over plain http again.
    return [
        *([HSTS] if hsts else []),
        (b"content-security-policy", policy.encode()),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (
            b"permissions-policy",
            b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
    ]


class PublicSite:
    """ASGI middleware: serve `site` pages from memory, add headers to everything else."""

    def __init__(
        self,
        app: ASGIApp,
        site: Site,
        trusted_proxies: str | None = None,
        tally: Tally | None = None,
        *,
        hosts: set[bytes] | None = None,
        hsts: bool = False,
    ) -> None:
        self.app = app
        self.views = PageViews(tally) if tally is not None else None  # counting: app/impact
        # Behind a load balancer every client shares its address unless its headers are trusted.
        self.forward = (
            wrap_asgi_with_proxy_headers(app, trusted_proxies) if trusted_proxies else app
        )
        self.site = site
        self.hosts = hosts  # None: any host (outside production)
        self.headers = security_headers(site.renderer.style_hash, hsts)
        self.prepared: dict[int, PreparedPage] = {}
        self.too_large = refusal_pages(site.renderer, "too-large")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.forward(scope, receive, send)
            return
        if not host_allowed(scope, self.hosts):
            await self.send_plain(send, 400, b"")
            return
        cached = self.site.responses.get(scope["path"])
        if cached is not None and scope["method"] in ("GET", "HEAD"):
            status = await self.send_cached(scope, send, cached)
            if self.views is not None:
                self.views.seen(scope, status)  # an in-memory increment, nothing more
            if access_log.isEnabledFor(logging.DEBUG):
                access_log.debug("%s %s %d cached", scope["method"], scope["path"], status)
            return
        started = time.perf_counter()
        status = 500
        if cached is not None:
            status = 405
            headers = [(b"allow", b"GET, HEAD"), (b"content-length", b"0"), *self.headers]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
        else:
            admin = scope["path"].startswith("/admin")

            async def send_with_headers(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers", []))
                    if admin:
                        # Staff pages may show personal data: no browser or proxy may keep them.
                        headers = [h for h in headers if h[0].lower() != b"cache-control"]
                        headers.append((b"cache-control", b"no-store"))
                    present = {name.lower() for name, _ in headers}
                    message["headers"] = headers + [
                        header for header in self.headers if header[0] not in present
                    ]
                await send(message)

            await limit_body(self.forward, scope, receive, send_with_headers, self.refuse_too_large)
        if access_log.isEnabledFor(logging.INFO):
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed)

    async def send_plain(self, send: Send, status: int, body: bytes, html: bool = False) -> None:
        kind = b"text/html; charset=utf-8" if html else b"text/plain; charset=utf-8"
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"connection", b"close"),  # the rest of the body is not read
            *self.headers,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def refuse_too_large(self, scope: Scope, send: Send) -> None:
        first = scope["path"].strip("/").split("/", 1)[0]
        page = self.too_large.get(first) or self.too_large[SOURCE_LANGUAGE]
        await self.send_plain(send, 413, page, html=True)

    async def send_cached(self, scope: Scope, send: Send, cached: CachedResponse) -> int:
        page = self.prepared.get(id(cached))
        if page is None or page.cached is not cached:
            page = self.prepared[id(cached)] = PreparedPage(cached, self.headers)
        accept = b""
        if_none_match = b""
        for key, value in scope["headers"]:
            if key == b"accept-encoding":
                accept = value
            elif key == b"if-none-match":  # several lines make one list (RFC 9110 5.3)
                if_none_match = b"%s, %s" % (if_none_match, value) if if_none_match else value
        choice = choose(cached, accept, if_none_match)
        headers = page.not_modified if choice.status == 304 else page.full
        await send(
            {
                "type": "http.response.start",
                "status": choice.status,
                "headers": headers[choice.coding],
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": b"" if scope["method"] == "HEAD" else choice.body,
            }
        )
        return choice.status


class PreparedPage:
    """The complete header lists of one cached page, per encoding, built on first use."""

    def __init__(self, cached: CachedResponse, security: list[tuple[bytes, bytes]]) -> None:
        self.cached = cached
        self.full: dict[bytes, list[tuple[bytes, bytes]]] = {}
        self.not_modified: dict[bytes, list[tuple[bytes, bytes]]] = {}
        codings = [(IDENTITY, cached.identity), (GZIP, cached.gzip)]
        if cached.brotli is not None:
            codings.append((BROTLI, cached.brotli))
        for coding, body in codings:
            sent = Choice(cached, cached.status, coding, body).headers()
            self.full[coding] = [
                (b"content-type", cached.content_type.encode()),
                *_encoded(sent),
                *security,
                (b"content-length", str(len(body)).encode()),
            ]
            unchanged = Choice(cached, 304, coding, b"").headers()
            self.not_modified[coding] = [*_encoded(unchanged), *security]


def refusal_pages(renderer: Renderer, reason: str) -> dict[str, bytes]:
    """The page that says why a request was refused (`reason`: too-large or characters), per
    language, made once."""
    return {
        lang: renderer.render(lang, "refused.html", "", reason=reason).encode()
        for lang in renderer.content.languages
    }


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]
