"""What a request must pass before the app sees it: a known Host, and a body within its limit.

The body limit is enforced here, in the ASGI layer, while the body streams in: a `Content-Length`
over the limit is refused before a byte is read, and a chunked body (which has none) is counted
as it arrives and cut off at the limit, so no handler, and no form parser, ever holds more than
the limit in memory. The limits, in one place (`body_limit`): public forms are small, Twilio's
webhooks a few hundred bytes (64 KiB allowed), and only the listing editor (eight languages of
descriptions, percent-encoded) needs more.

In production only `PUBLIC_BASE_URL`'s host is served, so nothing (the framework's trailing-slash
redirect, say) can ever build an address from a `Host` header an attacker chose; loopback names
are let through for the health checks alone, which a container's own probe calls.

And no form field or query parameter with a control character (NUL...) reaches a handler: one
check, a dependency of every route (`refuse_control_characters`).
"""

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_BODY_LIMIT = 16 * 1024
WEBHOOK_BODY_LIMIT = 64 * 1024  # Twilio's forms are a few hundred bytes
ADMIN_BODY_LIMIT = 128 * 1024  # a case note of 8,000 characters in any script, percent-encoded
# A listing: up to 10,000 characters of description in each of eight languages.
LISTING_BODY_LIMIT = 1024 * 1024
LISTING_PATHS = ("/admin/listings", "/admin/organizations")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
HEALTH_PATHS = ("/healthz", "/readyz")
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


def body_limit(path: str) -> int:
    """The most bytes a request body to `path` may have."""
    if path.startswith("/webhooks/"):
        return WEBHOOK_BODY_LIMIT
    if path.startswith(LISTING_PATHS):
        return LISTING_BODY_LIMIT
    if path.startswith("/admin/"):
        return ADMIN_BODY_LIMIT
    return PUBLIC_BODY_LIMIT


def allowed_hosts(public_base_url: str) -> set[bytes]:
    """The `Host` values that name this service: its public host, with or without its port."""
    parts = urlsplit(public_base_url)
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 address is written in brackets in a Host header
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    names = {f"{host}:{port}"}
    if port == default_port:
        names.add(host)
    return {name.encode() for name in names}


def host_allowed(scope: Scope, hosts: set[bytes] | None) -> bool:
    """Whether the request's Host is ours (always, when `hosts` is None: outside production)."""
    if hosts is None:
        return True
    host = next((value for key, value in scope["headers"] if key == b"host"), b"").lower()
    if host in hosts:
        return True
    name = host.rsplit(b":", 1)[0] if not host.endswith(b"]") else host
    return scope["path"] in HEALTH_PATHS and name.decode("latin-1") in LOOPBACK_HOSTS


class BodyTooLargeError(Exception):
    """The body went over its limit while it streamed in; the 413 has been sent."""


Refuse = Callable[[Scope, Send], Awaitable[None]]


async def limit_body(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, refuse: Refuse
) -> None:
    """Call `app` with a body of at most `body_limit(path)` bytes, or answer with `refuse`."""
    limit = body_limit(scope["path"])
    length = next((value for key, value in scope["headers"] if key == b"content-length"), None)
    if length is not None and (not length.isdigit() or int(length) > limit):
        await refuse(scope, send)
        return
    received = 0
    refused = False
    started = False

    async def counted_receive() -> Message:
        nonlocal received, refused
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                if not started:
                    refused = True
                    await refuse(scope, send)
                raise BodyTooLargeError
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if refused:
            return  # the refusal went out already; whatever the app says after it is dropped
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, counted_receive, guarded_send)
    except BodyTooLargeError:
        if not refused:
            raise
    except Exception:
        # A layer of the app may have turned the cut-off body into an error of its own.
        if not refused:
            raise


# Control characters (NUL and the like) are never typed on purpose, and PostgreSQL refuses NUL in
# text; tab, line feed and carriage return are kept (a text area sends line breaks as CR LF).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def strip_control_characters(text: str) -> str:
    """`text` without them: for what must not be refused (a text message to the service)."""
    return CONTROL_CHARACTERS.sub("", text)


class ControlCharactersError(Exception):
    """A form field or query parameter held a control character; answered 400 (see app.main)."""


async def refuse_control_characters(request: Request) -> None:
    """A dependency of every route: no text with a control character reaches a handler.

    The one check for every public and admin form (and query string). Twilio's webhooks are left
    to their handler: a text message is not refused for what is in it.
    """
    if request.url.path.startswith("/webhooks/"):
        return
    values: list[object] = list(request.query_params.values())
    kind = request.headers.get("content-type", "")
    if request.method == "POST" and kind.startswith(FORM_TYPES):
        values.extend(value for _, value in (await request.form()).multi_items())
    if any(isinstance(value, str) and has_control_characters(value) for value in values):
        raise ControlCharactersError
