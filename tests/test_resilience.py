"""Resilience, against real processes: `python -m app worker` and `python -m app serve` run as
subprocesses on the suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL), and Twilio is
the fake from tests/sms_fake.py on a real port, able to hold one request to catch a worker mid-send.

What it proves:
- a worker killed (SIGKILL) in the middle of a provider call loses no text, and the worker that
  replaces it sends each text once, as long as the provider never took on the killed request;
- when the provider did take it on and the worker died before recording that, the text goes out
  twice: the known, rare duplicate of an at-least-once sender (shown here, not hidden);
- a worker stopped with SIGTERM mid-batch finishes only the text in flight, puts the rest of its
  batch back in the queue, and exits cleanly at once; the next worker sends the rest: nothing
  lost, nothing sent twice, nothing left waiting in "sending" for the sweep;
- two web instances on one database share the per-number callback limit, and their card scan
  counts add up exactly under concurrent load;
- two workers on one database send each of 100 texts exactly once between them.

The "database unavailable" case is in test_routes.py.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, update

from app.callbacks.form import form_token
from app.callbacks.requests import queue_text
from app.models import OutboundSms, utcnow
from app.settings import Settings
from app.sms.delivery import keys_for
from app.sms.outbox import STUCK_AFTER
from tests.card_helpers import PHONE, add_batch, counts
from tests.factories import load_shipped_listings
from tests.sms_fake import FakeTwilio, _shared_spec
from tests.sms_support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BASE_URL,
    FROM_NUMBER,
    callback_requests,
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
    keys, now = keys_for(settings), utcnow()
    bodies = [f"Resilience text {index:02d}" for index in range(count)]
    with Session(engine) as db:
        for index, body in enumerate(bodies):
            queue_text(db, keys, f"+447700901{index:03d}", body, "confirmation", None, now)
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


def test_a_worker_killed_mid_send_loses_no_text_and_its_replacement_sends_each_once(
    migrated_engine: Engine, settings: Settings, fake: HoldingTwilio, fleet: Fleet
) -> None:
    """SIGKILL while the provider is still working on the 3rd of 6 claimed texts.

    The provider never answers that request (it did not take the text on), so the text is still
    "sending" in the outbox, like the three after it. The next worker's sweep puts claims older than
    STUCK_AFTER back in the queue (the test ages them rather than wait 5 minutes) and sends them:
    every text reaches the provider exactly once. See the next test for the other case.
    """
    bodies = queue_texts(migrated_engine, settings, 6)
    fake.hold(3)
    first = fleet.worker("first")
    fleet.wait_until(fake.holding.is_set, "the worker is mid-send")
    assert statuses(migrated_engine) == {"sent": 2, "sending": 4}

    first.kill()
    first.wait(10)
    fake.let_go(accept=False)
    age_claims(migrated_engine)
    fleet.worker("second")
    fleet.wait_until(all_sent(migrated_engine), "the second worker has sent everything")

    assert_each_sent_once(migrated_engine, fake, bodies)
    assert fake.bodies("abandoned") == Counter([bodies[2]])
    assert "Swept 4 stuck text(s): 4 re-queued, 0 failed" in fleet.log("second")


def test_a_worker_killed_after_the_provider_accepted_sends_that_text_again(
    migrated_engine: Engine, settings: Settings, fake: HoldingTwilio, fleet: Fleet
) -> None:
    """The known, rare duplicate: the provider took the text on, the worker died before recording.

    Twilio's "Send a message" has no idempotency key, so a sender that dies between the provider's
    answer and committing "sent" (a few milliseconds) cannot know the text went: the sweep
    re-queues it and it goes out again. The outbox is at-least-once by design: a young person
    may, rarely, get the same confirmation twice, but a text is never lost. The outbox keeps the
    id of the copy it saw sent; the other text the worker had claimed goes out once.
    """
    bodies = queue_texts(migrated_engine, settings, 2)
    fake.hold(1, after_accepting=True)
    first = fleet.worker("first")
    fleet.wait_until(fake.holding.is_set, "the provider has accepted the first text")
    first.kill()
    first.wait(10)
    fake.let_go(accept=True)
    age_claims(migrated_engine)
    fleet.worker("second")
    fleet.wait_until(all_sent(migrated_engine), "the second worker has sent everything")

    assert fake.bodies() == Counter([bodies[0], bodies[0], bodies[1]])
    copies = [item.sid for item in fake.accepted if item.field("Body") == bodies[0]]
    sent_again = next(row for row in outbox(migrated_engine) if row.body == bodies[0])
    assert sent_again.provider_sid == copies[1]
    assert sent_again.attempts == 2


def test_a_worker_stopped_with_sigterm_mid_batch_finishes_the_text_in_flight_and_requeues_the_rest(
    migrated_engine: Engine, settings: Settings, fake: HoldingTwilio, fleet: Fleet
) -> None:
    """SIGTERM while the provider holds the 3rd text of a full batch (20 of 25 queued texts).

    The worker finishes and records the 3rd text, sends no other, puts the 17 claimed texts it
    never started back in the queue (attempts not counted) and exits 0 at once, not after the
    whole batch. Nothing is left in "sending" for the sweep: the next worker sends the rest.
    """
    bodies = queue_texts(migrated_engine, settings, 25)
    fake.hold(3)
    first = fleet.worker("first")
    fleet.wait_until(fake.holding.is_set, "the worker is mid-send")
    first.send_signal(signal.SIGTERM)
    fleet.wait_until(lambda: "Stopping the SMS sender (SIGTERM)" in fleet.log("first"), "stopping")
    assert first.poll() is None  # still waiting for the text in flight
    fake.let_go(accept=True)

    assert first.wait(10) == 0, fleet.logs()  # promptly: one provider call, not 17 more
    assert "Stopping: 17 of 17 unsent text(s) put back in the queue" in fleet.log("first")
    assert "SMS sender stopped" in fleet.log("first")
    assert statuses(migrated_engine) == {"sent": 3, "queued": 22}
    assert fake.bodies() == Counter(bodies[:3])
    assert len(fake.received) == 3
    queued = [row for row in outbox(migrated_engine) if row.status == "queued"]
    assert {(row.attempts, row.claimed_at) for row in queued} == {(0, None)}

    fleet.worker("second")
    fleet.wait_until(all_sent(migrated_engine), "the second worker has sent the rest")
    assert_each_sent_once(migrated_engine, fake, bodies)
    assert {row.attempts for row in outbox(migrated_engine)} == {1}
    assert "Swept" not in fleet.log("second")


def callback_form(secret: str) -> dict[str, str]:
    return {
        "phone": "07700 900982",
        "name": "Sam",
        "best_time": "any",
        "call_lang": "en",
        "text_ok": "yes",
        "say_who": "no",
        "website": "",
        # Filled in a minute ago: older than the form's minimum fill time.
        "started": form_token(secret, time.time() - 60),
    }


def is_up(base: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(f"{base}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    return check


def test_two_instances_share_the_callback_limit_and_add_up_scan_counts(
    migrated_engine: Engine, settings: Settings, fleet: Fleet
) -> None:
    """Two `serve` processes on one database: 2 + 2 callback requests for one number make the
    fourth a 429 whichever instance gets it, and 50 + 50 concurrent scans of one card count 100."""
    with Session(migrated_engine) as db:  # seeded once here, not by both instances at once
        load_shipped_listings(db)
    code = add_batch(migrated_engine).code
    instances = [fleet.serve("a"), fleet.serve("b")]
    for base in instances:
        fleet.wait_until(is_up(base), f"{base} serves")
    assert settings.secret_key is not None
    form = callback_form(settings.secret_key.get_secret_value())

    answers = [httpx.post(f"{base}/en/callback", data=form).status_code for base in instances * 2]

    assert answers == [303, 303, 303, 429]
    assert len(callback_requests(migrated_engine)) == 3

    def scan(base: str) -> int:
        return httpx.get(f"{base}/c/{code}", headers={"User-Agent": PHONE}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        scans = list(pool.map(scan, instances * 50))

    assert scans == [302] * 100
    assert sum(n for (bucket, _day), n in counts(migrated_engine).items() if bucket == code) == 100
    assert "scan was not counted" not in fleet.logs()


def test_two_workers_on_one_database_send_each_of_100_texts_exactly_once(
    migrated_engine: Engine, settings: Settings, fake: HoldingTwilio, fleet: Fleet
) -> None:
    """Both workers poll the same outbox (each sends from its own number, to tell them apart):
    five full batches of 20, claimed back to back, so their claims race each other."""
    senders = {"a": "+447700900010", "b": "+447700900011"}
    for name, number in senders.items():
        fleet.worker(name, TWILIO_FROM_NUMBER=number)
    fleet.wait_until(
        lambda: all("SMS sender running" in fleet.log(name) for name in senders), "both run"
    )

    bodies = queue_texts(migrated_engine, settings, 100)
    fleet.wait_until(all_sent(migrated_engine), "the workers have sent everything")

    assert_each_sent_once(migrated_engine, fake, bodies)
    assert {item.field("From") for item in fake.accepted} == set(senders.values())
