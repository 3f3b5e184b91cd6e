"""A fake Twilio for tests: a real HTTP server on 127.0.0.1 that checks every request it gets
against Twilio's own OpenAPI description (its Messages part, `tests/reference/twilio/`).

It answers "Send a message" the way Twilio does (201 and a Message resource, itself checked
against the description), records what it received, and can be told to fail: HTTP errors with
Twilio error codes, stalls longer than the client's timeout, or being stopped (connection refused).
"""

import base64
import copy
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jsonschema import Draft202012Validator, FormatChecker

SPEC_PATH = Path(__file__).parent / "reference" / "twilio" / "messages_api_v2010.json"
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
PATH_PATTERN = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

formats = FormatChecker()


def _phone_number(value: object) -> bool:
    # E.164, or a channel address such as whatsapp:+447700900123.
    return not isinstance(value, str) or bool(E164.match(value.partition(":")[2] or value))


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "_" not in parts.netloc


formats.checks("phone-number")(_phone_number)
formats.checks("uri")(_uri)


def _openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 says `nullable: true`; JSON Schema says the type may be "null"."""
    if isinstance(node, list):
        return [_openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _openapi_to_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False):
        if "$ref" in converted:
            return {"anyOf": [{"$ref": converted.pop("$ref")}, {"type": "null"}], **converted}
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
    return converted


class MessagesSpec:
    """The "Send a message" operation, as Twilio describes it."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        spec = json.loads(path.read_text())
        self.components = _openapi_to_json_schema(spec["components"])
        operation = spec["paths"][MESSAGES_PATH]["post"]
        self.security = operation.get("security", spec.get("security"))
        self.account_sid_schema = next(
            param["schema"] for param in operation["parameters"] if param["name"] == "AccountSid"
        )
        content = operation["requestBody"]["content"]
        self.content_type = next(iter(content))
        self.form_schema = self.components_root(content[self.content_type]["schema"])
        response = operation["responses"]["201"]["content"]["application/json"]["schema"]
        self.response_schema = self.components_root(response)
        self.properties: dict[str, Any] = self.form_schema["properties"]
        self.form_validator = Draft202012Validator(self.form_schema, format_checker=formats)
        self.response_validator = Draft202012Validator(self.response_schema, format_checker=formats)
        self.sid_validator = Draft202012Validator(self.account_sid_schema)

    def components_root(self, schema: dict[str, Any]) -> dict[str, Any]:
        # `$ref`s point at #/components/...: give each schema the components to point into.
        return {**_openapi_to_json_schema(schema), "components": self.components}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        if not ref:
            return schema
        resolved: dict[str, Any] = self.components
        for part in ref.removeprefix("#/components/").split("/"):
            resolved = resolved[part]
        return resolved

    def check_form(self, fields: dict[str, list[str]]) -> list[str]:
        """What is wrong with a form-encoded "Send a message" request body (empty if nothing)."""
        problems: list[str] = []
        typed: dict[str, Any] = {}
        for name, values in fields.items():
            schema = self.properties.get(name)
            if schema is None:
                problems.append(f"{name}: not a parameter of Send a message")
                continue
            kind = self.resolve(schema).get("type")
            if kind != "array" and len(values) > 1:
                problems.append(f"{name}: given {len(values)} times")
            typed[name] = values if kind == "array" else _coerce(kind, values[0], problems, name)
        problems += [
            f"{'/'.join(map(str, e.path)) or 'body'}: {e.message}"
            for e in self.form_validator.iter_errors(typed)
        ]
        # What Twilio demands beyond the schema, and what our integration promises.
        if not (typed.get("From") or typed.get("MessagingServiceSid")):
            problems.append("From or MessagingServiceSid is required")
        if not (typed.get("Body") or typed.get("MediaUrl") or typed.get("ContentSid")):
            problems.append("Body is required")
        if not typed.get("StatusCallback"):
            problems.append("StatusCallback is missing (we always ask for delivery reports)")
        return problems

    def check_account_sid(self, sid: str) -> list[str]:
        return [f"AccountSid: {error.message}" for error in self.sid_validator.iter_errors(sid)]

    def check_response(self, body: dict[str, Any]) -> list[str]:
        errors = self.response_validator.iter_errors(body)
        return [f"response {list(e.path)}: {e.message}" for e in errors]


def _coerce(kind: object, value: str, problems: list[str], name: str) -> Any:
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        problems.append(f"{name}: {value!r} is not a {kind}")
        return value
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            problems.append(f"{name}: {value!r} is not a boolean")
        return value.lower() == "true"
    return value


@dataclass
class Received:
    """One request as the fake saw it."""

    path: str
    fields: dict[str, list[str]]
    problems: list[str]
    outcome: str  # accepted, rejected, failed, stalled, unauthorised
    sid: str | None = None  # the message id it answered with, if accepted

    def field(self, name: str) -> str:
        return self.fields.get(name, [""])[0]


@dataclass
class Script:
    failures: list[tuple[int, int | None]] = field(default_factory=list)
    stalls: int = 0
    stall_seconds: float = 1.0


class FakeTwilio:
    """Start with `start()`; `base_url` goes into TWILIO_API_BASE."""

    def __init__(self, account_sid: str, auth_token: str, spec: MessagesSpec | None = None) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.spec = spec or MessagesSpec()
        self.received: list[Received] = []
        self.script = Script()
        self.lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    # Programming failures ------------------------------------------------------------------
    def fail_next(self, times: int, status: int = 500, code: int | None = None) -> None:
        with self.lock:
            self.script.failures += [(status, code)] * times

    def stall_next(self, times: int, seconds: float = 1.0) -> None:
        with self.lock:
            self.script.stalls += times
            self.script.stall_seconds = seconds

    # What arrived ----------------------------------------------------------------------------
    @property
    def accepted(self) -> list[Received]:
        return [item for item in self.received if item.outcome == "accepted"]

    @property
    def problems(self) -> list[str]:
        return [problem for item in self.received for problem in item.problems]

    # Running ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start (or restart, on the same port) serving."""
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        """Stop listening: clients now get "connection refused"."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(
        self, path: str, auth: str, content_type: str, raw: str
    ) -> tuple[int, dict[str, Any]]:
        fields = parse_qs(raw, keep_blank_values=True)
        match = PATH_PATTERN.match(path)
        if match is None:
            self._record(path, fields, [f"unknown path {path}"], "rejected")
            return 404, _error(20404, "The requested resource was not found", 404)
        sid = match["sid"]
        if not self._authorised(auth, sid):
            self._record(path, fields, [], "unauthorised")
            return 401, _error(20003, "Authenticate", 401)
        problems = self.spec.check_account_sid(sid)
        if not content_type.startswith(self.spec.content_type):
            problems.append(f"Content-Type {content_type!r}, not {self.spec.content_type}")
        problems += self.spec.check_form(fields)
        if problems:
            self._record(path, fields, problems, "rejected")
            return 400, _error(21601, "; ".join(problems), 400)
        with self.lock:
            failure = self.script.failures.pop(0) if self.script.failures else None
            stall = self.script.stalls > 0
            self.script.stalls -= stall
        if stall:
            # Hung before accepting (e.g. an overloaded edge): the text was never taken on.
            self._record(path, fields, [], "stalled")
            time.sleep(self.script.stall_seconds)
            return 503, _error(20503, "Service unavailable", 503)
        if failure is not None:
            status, code = failure
            self._record(path, fields, [], "failed")
            return status, _error(code or status, "Scripted failure", status)
        message = self._message(sid, fields)
        problems = self.spec.check_response(message)
        self._record(path, fields, problems, "accepted", message["sid"])
        return 201, message

    def _authorised(self, header: str, sid: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid == sid and password == self.auth_token

    def _record(
        self,
        path: str,
        fields: dict[str, list[str]],
        problems: list[str],
        outcome: str,
        sid: str | None = None,
    ) -> None:
        with self.lock:
            self.received.append(Received(path, copy.deepcopy(fields), problems, outcome, sid))

    def _message(self, account_sid: str, fields: dict[str, list[str]]) -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}"
        return {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": fields["Body"][0],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": fields.get("From", [None])[0],
            "messaging_service_sid": fields.get("MessagingServiceSid", [None])[0],
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": fields["To"][0],
            "uri": f"{uri}.json",
        }


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _handler_for(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            status, body = fake.handle(
                urlsplit(self.path).path,
                self.headers.get("Authorization", ""),
                self.headers.get("Content-Type", ""),
                raw,
            )
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up waiting (a stall): nothing to tell it
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: pytest shows what matters

    return Handler


def running(account_sid: str, auth_token: str) -> Iterator[FakeTwilio]:
    """For a pytest fixture: a started fake, stopped afterwards."""
    fake = FakeTwilio(account_sid, auth_token, _shared_spec())
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


_spec_cache: list[MessagesSpec] = []


def _shared_spec() -> MessagesSpec:
    # Read once per test session, and shared by every fake.
    if not _spec_cache:
        _spec_cache.append(MessagesSpec())
    return _spec_cache[0]
