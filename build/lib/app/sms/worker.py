"""Running the outbox sender: in a background thread of `serve`, or as `python -m app worker`.

`serve` starts at most one sender thread per process, however many apps the process builds.
With `--workers N` each process has its own; that is safe, because claiming a text is atomic.
Either way, stopping ends the batch between texts: the text in flight is finished and recorded,
the ones not started go back to the queue, so a stop takes one provider call at most.
"""

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType

from fastapi import FastAPI
from sqlalchemy import Engine

from app.settings import Settings
from app.sms.sender import Sender

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 2.0
STOP_WAIT_SECONDS = 20.0  # longer than one provider call can take, so a text is not cut off

_lock = threading.Lock()
_running: "SenderThread | None" = None


class SenderThread:
    """A sender running in a daemon thread until `stop()`."""

    def __init__(self, sender: Sender, interval: float = INTERVAL_SECONDS) -> None:
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=sender.run_forever,
            args=(self.stop_event, interval),
            name="sms-sender",
            daemon=True,  # never keeps a dying process alive; the sweep re-queues its claims
        )

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = STOP_WAIT_SECONDS) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def start_in_process(engine: Engine, settings: Settings) -> SenderThread | None:
    """Start this process's sender thread; None if one is already running here."""
    global _running
    with _lock:
        if _running is not None and _running.thread.is_alive():
            return None
        _running = SenderThread(Sender.from_settings(engine, settings))
        _running.start()
        log.info("SMS sender started in the web process (%s backend)", settings.sms_backend)
        return _running


def stop_in_process(handle: SenderThread) -> None:
    global _running
    handle.stop()
    with _lock:
        if _running is handle:
            _running = None


@asynccontextmanager
async def sender_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """FastAPI lifespan: run the sender beside the web app when SENDER_IN_SERVE is on."""
    settings: Settings = app.state.settings
    handle = start_in_process(app.state.engine, settings) if settings.sender_in_serve else None
    # Deployment checks and the benchmark wait for this line from every web worker.
    log.info("Web worker ready")
    try:
        yield
    finally:
        if handle is not None:
            # Joining can take a provider call's length: not on the event loop.
            await asyncio.to_thread(stop_in_process, handle)


def run_worker(settings: Settings, interval: float = INTERVAL_SECONDS) -> None:
    """`python -m app worker`: send in the foreground until SIGTERM or SIGINT.

    A signal mid-batch lets the text in flight finish, puts the rest of the batch back in the
    queue, and exits: well within a 10 to 30 s grace period before SIGKILL.
    """
    from app.database import make_engine

    engine = make_engine(settings.database_url)
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("Stopping the SMS sender (%s)", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log.info("SMS sender running (%s backend)", settings.sms_backend)
    try:
        Sender.from_settings(engine, settings).run_forever(stop, interval)
    finally:
        engine.dispose()
    log.info("SMS sender stopped")
