"""The outbox sender: claim due texts, send them with no transaction open, record the result.

`Sender` runs the table-level steps of app/sms/outbox.py (sweep, hourly cap, claim, record,
release) one batch at a time, and is safe to run in several threads or processes at once. It
owns their transactions: each step is committed here, and the claims before the provider is
called, with the session closed, so a slow provider cannot hold a lock that blocks the web app.
Team alerts are claimed first and counted against their own hourly cap (`alert_hourly_cap`).
Each tick it also escalates unclaimed callback requests that are due
(app/callbacks/escalation.py), and runs the retention job at most once per `retention_every`;
a tick that ends without an error is recorded as the sender's heartbeat (app/sms/heartbeat.py).

A sender asked to stop (SIGTERM, app shutdown) stops between texts: the text in flight is
finished and recorded, and the rest of its batch goes back to the queue at once (`release`)
rather than waiting in "sending" for the stuck sweep.
"""

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from app.callbacks.escalation import escalate_due, escalation_due
from app.callbacks.retention import wipe_expired
from app.database import in_transaction
from app.models import utcnow
from app.security import Keys
from app.settings import Settings
from app.sms import heartbeat
from app.sms.outbox import (
    MAX_ATTEMPTS,
    STUCK_AFTER,
    Claimed,
    claim_due,
    hourly_room,
    pause,
    record_failure,
    record_sent,
    release,
    resume,
    sweep,
)
from app.sms.providers import (
    PermanentSendError,
    Provider,
    SendError,
    build_provider,
    status_callback_url,
)

log = logging.getLogger(__name__)


@dataclass
class BatchReport:
    swept: int = 0
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    paused: bool = False


@dataclass
class Sender:
    """One outbox sender. Safe to run in several threads or processes at once."""

    engine: Engine
    provider: Provider
    keys: Keys
    status_callback: str | None
    hourly_cap: int  # texts other than team alerts
    alert_hourly_cap: int = 100
    base_url: str = ""  # for the link in escalated team alerts
    batch_size: int = 20
    max_attempts: int = MAX_ATTEMPTS
    stuck_after: timedelta = STUCK_AFTER
    clock: Callable[[], datetime] = utcnow
    rng: random.Random = field(default_factory=random.Random)
    # Days after closing / after asking when personal data is wiped; None: no retention here.
    retention_days: tuple[int, int] | None = None
    retention_every: timedelta = timedelta(hours=1)
    next_retention: datetime | None = None
    next_beat: datetime | None = None

    @classmethod
    def from_settings(
        cls, engine: Engine, settings: Settings, provider: Provider | None = None
    ) -> "Sender":
        return cls(
            engine=engine,
            provider=provider or build_provider(settings),
            keys=Keys.of(settings),
            status_callback=status_callback_url(settings),
            hourly_cap=settings.sms_hourly_cap,
            alert_hourly_cap=settings.sms_alert_hourly_cap,
            base_url=settings.public_base_url,
            retention_days=(settings.retention_closed_days, settings.retention_open_days),
        )

    def retain_if_due(self, now: datetime | None = None) -> int:
        """Run the retention job at most once per `retention_every`; returns requests wiped."""
        now = now or self.clock()
        if self.retention_days is None or (self.next_retention and now < self.next_retention):
            return 0
        with Session(self.engine) as db:
            wiped = wipe_expired(db, now, *self.retention_days)
            db.commit()
        self.next_retention = now + self.retention_every
        if wiped:
            log.info("Retention: wiped the personal data of %d callback requests", wiped)
        return wiped

    def beat_if_due(self, now: datetime | None = None) -> bool:
        """Record this tick as the heartbeat, at most once per `heartbeat.EVERY`."""
        now = now or self.clock()
        if self.next_beat is not None and now < self.next_beat:
            return False
        with Session(self.engine) as db:
            heartbeat.beat(db, now)
            db.commit()
        self.next_beat = now + heartbeat.EVERY
        return True

    def escalate_if_due(self, now: datetime | None = None) -> int:
        """Escalate unclaimed requests that are due, in one transaction; returns how many."""
        now = now or self.clock()
        with Session(self.engine) as db:  # a read first: an idle tick takes no write lock
            if not escalation_due(db, now):
                return 0
        escalated = in_transaction(
            self.engine, lambda db: escalate_due(db, self.keys, now, self.base_url)
        )
        if escalated:
            log.info("Escalated %d unclaimed callback request(s)", escalated)
        return escalated

    def run_once(
        self, now: datetime | None = None, stopping: Callable[[], bool] | None = None
    ) -> BatchReport:
        """Sweep, then claim and send one batch.

        `stopping` is asked before each text: once it says yes, the texts not yet started are
        released back to the queue and the batch ends (the text in flight is always finished).
        """
        now = now or self.clock()
        report = BatchReport()
        with Session(self.engine) as db:
            report.swept = sweep(db, now, self.stuck_after, self.max_attempts)
            db.commit()
            alert_room = hourly_room(db, now, self.alert_hourly_cap, alerts=True)
            other_room = hourly_room(db, now, self.hourly_cap, alerts=False)
            report.paused = alert_room <= 0 or other_room <= 0
            if report.paused:
                pause(db, now, alerts=alert_room <= 0)
            else:
                resume(db)
            db.commit()
            # Alerts first, so confirmations can never hold one back.
            batch = claim_due(db, now, min(self.batch_size, alert_room), alerts=True)
            room = min(self.batch_size - len(batch), other_room)
            batch += claim_due(db, now, room, alerts=False)
            db.commit()  # the claims stick before any text goes to the provider
        report.claimed = len(batch)
        # The session is closed: no transaction or lock is held while the provider is called.
        for index, claimed in enumerate(batch):
            if stopping is not None and stopping():
                self._release(batch[index:], now, report)
                break
            self._send(claimed, now, report)
        return report

    def _release(self, rest: list[Claimed], now: datetime, report: BatchReport) -> None:
        with Session(self.engine) as db:
            report.released = release(db, rest, now)
            db.commit()
        log.info(
            "Stopping: %d of %d unsent text(s) put back in the queue", report.released, len(rest)
        )

    def _send(self, claimed: Claimed, now: datetime, report: BatchReport) -> None:
        try:
            if claimed.to_encrypted is None:  # wiped by retention before it could be sent
                raise PermanentSendError("no-number")
            try:
                to = self.keys.cipher.decrypt(claimed.to_encrypted)
            except ValueError:
                raise PermanentSendError("undecryptable") from None
            sid = self.provider.send(to, claimed.body, self.status_callback, claimed.purpose)
        except SendError as error:
            with Session(self.engine) as db:
                status = record_failure(
                    db, self.keys, claimed, error, now, self.rng, self.max_attempts
                )
                db.commit()
            report.retrying += status == "queued"
            report.failed += status == "failed"
            log.info(
                "Text %d (%s) not sent: %s, now %s", claimed.id, claimed.purpose, error.code, status
            )
            return
        with Session(self.engine) as db:
            record_sent(db, claimed, sid, now)
            db.commit()
        report.sent += 1

    def run_forever(self, stop: threading.Event, interval: float = 2.0) -> None:
        """Send until `stop` is set; a full batch goes straight on to the next one.

        `stop` also ends a batch between texts (see `run_once`), so stopping waits for one text.
        """
        while not stop.is_set():
            busy = False
            try:
                self.retain_if_due()
                self.escalate_if_due()
                report = self.run_once(stopping=stop.is_set)
                busy = report.claimed >= self.batch_size
                self.beat_if_due()
            except Exception as error:
                # Only the type: database errors can quote row values in their message.
                log.error("SMS sender batch failed (%s); trying again", type(error).__name__)
            if not busy:
                stop.wait(interval)
