"""The providers that actually send a text: a console stand-in and Twilio.

A provider answers with its message id, or raises `TransientSendError` (try again later) or
`PermanentSendError` (never retry). Neither the number nor the text ever reaches a log line or an
exception message: errors carry only codes.
"""

import logging
import uuid
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.settings import Settings

log = logging.getLogger(__name__)
# Twilio's client logs every request and response at INFO: one line per text is enough for us.
http_log = logging.getLogger("app.sms.twilio_http")
http_log.setLevel(logging.WARNING)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
# Seconds to connect, and to wait for each read: a stuck provider must not hold a sender for
# long (the outbox retries), yet Twilio normally answers in well under a second.
DEFAULT_TIMEOUT = 5.0

# Twilio error codes that will fail the same way however often we try.
PERMANENT_CODES: dict[int, str] = {
    21211: "invalid 'To' number",
    21610: "recipient replied STOP",
    21614: "'To' number is not a mobile",
    30003: "unreachable handset",
    30004: "message blocked",
    30005: "unknown destination",
    30006: "landline or unreachable carrier",
}
# HTTP statuses worth retrying: the provider is overloaded or broken, not our request.
TRANSIENT_STATUSES: dict[int, str] = {429: "rate limited", 408: "request timeout"}


class SendError(Exception):
    """A text could not be handed to the provider. `code` is short and never personal."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class TransientSendError(SendError):
    """Try again later (network trouble, provider overloaded or down)."""


class PermanentSendError(SendError):
    """Retrying cannot help (bad number, opted out, landline...)."""


class Provider(Protocol):
    def send(self, to: str, body: str, status_callback: str | None, purpose: str = "text") -> str:
        """Hand one text to the provider and return its message id."""
        ...


class ConsoleProvider:
    """Development stand-in: logs that a text would go out (purpose and length only)."""

    def send(self, to: str, body: str, status_callback: str | None, purpose: str = "text") -> str:
        log.info("SMS (console backend, not sent): %s, %d characters", purpose, len(body))
        return f"console-{uuid.uuid4().hex}"


class RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no type hints
    """Twilio's own HTTP client, with requests for *.twilio.com sent to another base URL instead.

    The client builds absolute URLs (https://api.twilio.com/2010-04-01/...); only the origin is
    swapped, so paths, auth, headers and form encoding stay exactly what the library sends.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=http_log)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith(".twilio.com"):
            url = self.base_url + url[len(f"{parts.scheme}://{parts.netloc}") :]
        return super().request(method, url, *args, **kwargs)


class TwilioProvider:
    """Sends through the official `twilio` client, asking for delivery reports at our webhook."""

    def __init__(self, settings: Settings, timeout: float = DEFAULT_TIMEOUT) -> None:
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        if settings.twilio_api_base:
            http_client = RebasedHttpClient(settings.twilio_api_base, timeout)
        else:
            http_client = TwilioHttpClient(timeout=timeout, logger=http_log)
        self.client = Client(settings.twilio_account_sid, token, http_client=http_client)
        self.from_number = settings.twilio_from_number
        self.messaging_service_sid = settings.twilio_messaging_service_sid

    def send(self, to: str, body: str, status_callback: str | None, purpose: str = "text") -> str:
        sender: dict[str, str] = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.from_number or ""}
        )
        if status_callback:
            sender["status_callback"] = status_callback
        try:
            message = self.client.messages.create(to=to, body=body, **sender)
        except requests.Timeout:
            raise TransientSendError("timeout") from None
        except requests.ConnectionError:
            raise TransientSendError("connection") from None
        except (TwilioRestException, TwilioServiceException) as error:
            # `from None`: Twilio's message can quote the number; only the codes travel on.
            raise classify(int(error.status or 0), error.code) from None
        except (TwilioException, requests.RequestException):
            raise TransientSendError("provider") from None
        return str(message.sid)


def classify(status: int, code: object) -> SendError:
    """Turn an HTTP status and Twilio error code into a transient or permanent error."""
    twilio_code = int(str(code)) if str(code).isdigit() else None
    if twilio_code in PERMANENT_CODES:
        return PermanentSendError(str(twilio_code))
    if status >= 500 or status in TRANSIENT_STATUSES:
        return TransientSendError(f"http-{status}")
    if 400 <= status < 500:
        return PermanentSendError(str(twilio_code or f"http-{status}"))
    return TransientSendError(f"http-{status}")


def status_callback_url(settings: Settings) -> str:
    return settings.public_base_url + STATUS_CALLBACK_PATH


def build_provider(settings: Settings, timeout: float = DEFAULT_TIMEOUT) -> Provider:
    if settings.sms_backend == "twilio":
        return TwilioProvider(settings, timeout)
    return ConsoleProvider()
