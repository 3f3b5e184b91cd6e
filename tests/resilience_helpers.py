"""What the resilience tests share: real `python -m app worker` and `python -m app serve`
processes (`Fleet`) on the suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL), and
Twilio as the fake from tests/sms_fake.py on a real port, able to hold one request to catch a
worker mid-send (`HoldingTwilio`); with helpers to queue texts and check how they went out.

Import the fixtures (`fake`, `settings`, `fleet`) into a test module: `settings` replaces
conftest's there, pointing the app at the fake.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, update

from app.callbacks.requests import Text, phone_hash
from app.callbacks.requests import queue_texts as add_to_outbox
from app.models import OutboundSms, utcnow
from app.security import Keys
from app.settings import Settings
from app.sms.outbox import STUCK_AFTER
from tests.sms_fake import FakeTwilio, _shared_spec
from tests.sms_support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BASE_URL,
    FROM_NUMBER,
    outbox,
    twilio_settings,
)

WAIT_SECONDS = 30.0


class HoldingTwilio(FakeTwilio):
    """The fake Twilio, which can also hold the n-th request it gets until the test lets it go.

    Held "before accepting", the request is answered only if the test says so; otherwise it is
    recorded as "abandoned", never "accepted": the provider did not take the text on. Held "after
    accepting", the text is accepted at once and only the answer is held back.
    """

    def __init__(self) -> None:
        super().__init__(ACCOUNT_SID, AUTH_TOKEN, _shared_spec())
        self.arrivals = 0
        self.hold_number: int | None = None
        self.hold_after_accepting = False
        self.accept_held = False
        self.holding = threading.Event()
        self.released = threading.Event()

    def hold(self, number: int, after_accepting: bool = False) -> None:
        self.hold_number, self.hold_after_accepting = number, after_accepting

    def let_go(self, accept: bool) -> None:
        self.accept_held = accept
        self.released.set()

    def handle(
        self, path: str, auth: str, content_type: str, raw: str
    ) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.arrivals += 1
            held = self.arrivals == self.hold_number
        if held and not self.hold_after_accepting:
            self._wait_for_release()
            if not self.accept_held:
                self._record(path, parse_qs(raw), [], "abandoned")
                return 503, {"code": 20503, "message": "Service unavailable", "status": 503}
        answer = super().handle(path, auth, content_type, raw)
        if held and self.hold_after_accepting:
            self._wait_for_release()
        return answer

    def _wait_for_release(self) -> None:
        self.holding.set()
        self.released.wait(WAIT_SECONDS)

    def bodies(self, outcome: str = "accepted") -> Counter[str]:
        return Counter(item.field("Body") for item in self.received if item.outcome == outcome)


@pytest.fixture
def fake() -> Iterator[HoldingTwilio]:
    fake = HoldingTwilio()
    fake.start()
    try:
        yield fake
    finally:
        fake.released.set()
        fake.stop()


@pytest.fixture
def settings(tmp_path: Path, fake: HoldingTwilio) -> Settings:
    return twilio_settings(tmp_path, fake.base_url)


class Fleet:
    """Real `python -m app` processes on the test's database; each logs to a file in tmp_path."""

    def __init__(self, tmp_path: Path, settings: Settings) -> None:
        assert settings.secret_key is not None and settings.data_key is not None
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "APP_ENV": "test",
            "VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": settings.database_url,
            "SECRET_KEY": settings.secret_key.get_secret_value(),
            "DATA_KEY": settings.data_key.get_secret_value(),
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE": str(settings.twilio_api_base),
            "PUBLIC_BASE_URL": BASE_URL,
            "SENDER_IN_SERVE": "false",
            # As behind a load balancer on this machine: tests may send X-Forwarded-For.
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        with self.log_path(name).open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "app", *args],
                env={**self.env, **env},
                cwd=self.tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so stop_all can reach serve's worker processes too
            )
        self.processes[name] = process
        return process

    def worker(self, name: str, **env: str) -> subprocess.Popen[bytes]:
        return self.start(name, "worker", "--interval", "0.1", **env)

    def serve(self, name: str) -> str:
        port = free_port()
        self.start(name, "serve", "--port", str(port))
        return f"http://127.0.0.1:{port}"

    def log_path(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def log(self, name: str) -> str:
        return self.log_path(name).read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in self.processes)

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting until {what}\n{self.logs()}")
            time.sleep(0.05)

    def stop_all(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.fixture
def fleet(tmp_path: Path, settings: Settings) -> Iterator[Fleet]:
    fleet = Fleet(tmp_path, settings)
    try:
        yield fleet
    finally:
        fleet.stop_all()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def queue_texts(engine: Engine, settings: Settings, count: int) -> list[str]:
    """Queue `count` texts due now, each to its own number with its own body; returns the bodies."""
    keys, now = Keys.of(settings), utcnow()
    bodies = [f"Resilience text {index:02d}" for index in range(count)]
    numbers = [f"+447700901{index:03d}" for index in range(count)]
    texts = [
        Text(keys.cipher.encrypt(number), phone_hash(keys, number), body, "confirmation")
        for number, body in zip(numbers, bodies, strict=True)
    ]
    with Session(engine) as db:
        for text in texts:
            add_to_outbox(db, [text], None, now)
        db.commit()
    return bodies


def statuses(engine: Engine) -> Counter[str]:
    return Counter(row.status for row in outbox(engine))


def all_sent(engine: Engine) -> Callable[[], bool]:
    return lambda: set(statuses(engine)) == {"sent"}


def age_claims(engine: Engine) -> None:
    """Move every claim back past STUCK_AFTER (5 minutes): time passing, without the wait."""
    with Session(engine) as db:
        db.exec(
            update(OutboundSms)
            .where(col(OutboundSms.status) == "sending")
            .values(claimed_at=utcnow() - STUCK_AFTER - STUCK_AFTER)
        )
        db.commit()


def assert_each_sent_once(engine: Engine, fake: HoldingTwilio, bodies: list[str]) -> None:
    assert fake.bodies() == Counter(bodies)
    assert fake.problems == []
    rows = outbox(engine)
    assert {row.status for row in rows} == {"sent"}
    assert sorted(str(row.provider_sid) for row in rows) == sorted(
        str(item.sid) for item in fake.accepted
    )
