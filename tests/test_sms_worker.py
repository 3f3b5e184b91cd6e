"""Where the sender runs: one background thread per `serve` process, or `python -m app worker`."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, update

from app.main import create_app
from app.models import OutboundSms, utcnow
from app.settings import Settings
from app.sms.providers import ConsoleProvider
from app.sms.sender import Sender
from app.sms.worker import SenderThread, start_in_process, stop_in_process
from tests.conftest import make_settings
from tests.sms_support import DUTY_1, add_fallback_team, outbox, request_callback


def _queue_two_texts_due_now(engine: Engine, settings: Settings) -> None:
    add_fallback_team(engine, DUTY_1)
    request_callback(engine, settings)
    with Session(engine) as db:  # the shared helpers freeze time ahead; these run on the clock
        db.exec(update(OutboundSms).values(next_attempt_at=utcnow() - timedelta(minutes=1)))
        db.commit()


def _wait_until_sent(engine: Engine, seconds: float = 20) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        statuses = [row.status for row in outbox(engine)]
        if statuses and all(status == "sent" for status in statuses):
            break
        time.sleep(0.1)
    return [row.status for row in outbox(engine)]


def _sender_threads() -> int:
    return sum(
        thread.name == "sms-sender" and thread.is_alive() for thread in threading.enumerate()
    )


def test_serve_runs_one_sender_thread_per_process_and_stops_it(
    tmp_path: Path, migrated_engine: Engine
) -> None:
    settings = make_settings(tmp_path, sender_in_serve=True)
    _queue_two_texts_due_now(migrated_engine, settings)
    with TestClient(create_app(settings)):
        assert _sender_threads() == 1
        # Another app built in the same process (e.g. a second lifespan) starts no second one.
        assert start_in_process(migrated_engine, settings) is None
        assert _wait_until_sent(migrated_engine) == ["sent", "sent"]
    assert _sender_threads() == 0


class HoldsTheFirstText(ConsoleProvider):
    """Keeps the first text "with the provider" until the test lets it go."""

    def __init__(self) -> None:
        self.in_flight = threading.Event()
        self.go = threading.Event()
        self.sent = 0

    def send(self, to: str, body: str, status_callback: str | None, purpose: str = "text") -> str:
        if self.sent == 0:
            self.in_flight.set()
            self.go.wait(10)
        self.sent += 1
        return super().send(to, body, status_callback, purpose)


def test_stopping_the_sender_thread_mid_batch_finishes_one_text_and_queues_the_other(
    settings: Settings, migrated_engine: Engine
) -> None:
    """App shutdown (`stop_in_process`) while the first of two claimed texts is being sent."""
    _queue_two_texts_due_now(migrated_engine, settings)
    provider = HoldsTheFirstText()
    handle = SenderThread(Sender.from_settings(migrated_engine, settings, provider), 0.05)
    handle.start()
    assert provider.in_flight.wait(10)
    stopping = threading.Thread(target=stop_in_process, args=(handle,))
    stopping.start()
    while not handle.stop_event.is_set():
        time.sleep(0.01)
    provider.go.set()
    stopping.join(10)

    assert not handle.thread.is_alive()
    assert provider.sent == 1
    assert sorted((row.status, row.attempts) for row in outbox(migrated_engine)) == [
        ("queued", 0),
        ("sent", 1),
    ]


def test_the_worker_command_sends_and_stops_cleanly_on_sigterm(
    tmp_path: Path, settings: Settings, migrated_engine: Engine
) -> None:
    _queue_two_texts_due_now(migrated_engine, settings)
    assert settings.secret_key is not None and settings.data_key is not None
    env = {
        **os.environ,
        "APP_ENV": "test",
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "DATA_KEY": settings.data_key.get_secret_value(),
        "SMS_BACKEND": "console",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "app", "worker", "--interval", "0.2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        statuses = _wait_until_sent(migrated_engine)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    assert statuses == ["sent", "sent"]
    assert worker.returncode == 0, output
    assert "SMS sender stopped" in output
    assert "7700900123" not in output


def test_the_worker_command_refuses_a_silly_interval(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "worker", "--interval", "0"],
        env={**os.environ, "VAR_DIR": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: --interval")
