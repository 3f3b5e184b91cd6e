"""The outbox table: claim due texts, record what the provider said, sweep, release, the hourly cap.

A text moves queued → sending → sent (then delivered or undelivered by the status webhook). A
transient error puts it back to queued with an exponential, jittered backoff, until it has been
tried `MAX_ATTEMPTS` times; a permanent error fails it at once. Several senders can run at once:
PostgreSQL hands each a different row (`FOR UPDATE SKIP LOCKED`), and on both databases the claim
is a conditional UPDATE that only one sender can win.

A sender asked to stop hands the texts of its batch it never started back at once (`release`)
rather than leaving them in "sending" for the stuck sweep.

Two hourly caps stop sending (texts stay queued) when too many went out in the last hour: one
for team alerts, one for every other text (confirmations), so a flood of fake requests can never
use up the alerts' budget. Alerts are also claimed first. A cap reached sets the
`sms_paused_until` app setting for the admin dashboard (`pause`, `resume`).

The sender that runs these steps, one batch at a time, is `Sender` in app/sms/sender.py. Nothing
here commits: the sender commits each step, and always commits its claims before calling the
provider.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select, update

from app.models import TEAM_ALERT, AppSetting, OptOut, OutboundSms
from app.security import Keys
from app.sms.delivery import OPTED_OUT_CODE, fail_over_team_alert, set_opt_out
from app.sms.providers import SendError, TransientSendError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
STUCK_AFTER = timedelta(minutes=5)  # far longer than a provider call can take (see timeouts)
CAP_WINDOW = timedelta(hours=1)
PAUSED_KEY = "sms_paused_until"  # ISO 8601 UTC time; the admin dashboard shows it while future


@dataclass(frozen=True)
class Claimed:
    """A text this sender won; `attempts` (after the claim) identifies the claim when recording."""

    id: int
    attempts: int
    purpose: str
    to_encrypted: str | None
    body: str


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """30 s after the first failed try, doubling each time, at most an hour, ±20 % jitter."""
    delay = min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return timedelta(seconds=delay.total_seconds() * rng.uniform(0.8, 1.2))


def sweep(
    db: Session,
    now: datetime,
    stuck_after: timedelta = STUCK_AFTER,
    max_attempts: int = MAX_ATTEMPTS,
) -> int:
    """Put back texts left in "sending" by a sender that died; fail those tried too often."""
    stuck = (
        col(OutboundSms.status) == "sending",
        col(OutboundSms.claimed_at) < now - stuck_after,
    )
    # Look before writing: an idle sender should not take SQLite's write lock every few seconds.
    if db.exec(select(OutboundSms.id).where(*stuck).limit(1)).first() is None:
        return 0
    given_up = db.exec(
        update(OutboundSms)
        .where(*stuck, col(OutboundSms.attempts) >= max_attempts)
        .values(status="failed", error_code="stuck", updated_at=now)
    ).rowcount
    requeued = db.exec(
        update(OutboundSms)
        .where(*stuck)
        .values(status="queued", next_attempt_at=now, updated_at=now)
    ).rowcount
    if given_up or requeued:
        log.warning(
            "Swept %d stuck text(s): %d re-queued, %d failed",
            given_up + requeued,
            requeued,
            given_up,
        )
    return int(given_up + requeued)


def _of_kind(alerts: bool | None) -> tuple[ColumnElement[bool], ...]:
    """Team alerts (True), every other text (False) or all texts (None)."""
    if alerts is None:
        return ()
    is_alert = col(OutboundSms.purpose) == TEAM_ALERT
    return (is_alert if alerts else ~is_alert,)


def _counted_in_cap(now: datetime, alerts: bool) -> tuple[ColumnElement[bool], ...]:
    """Texts of a kind handed to the provider (or being handed now) in the last hour."""
    return (
        col(OutboundSms.claimed_at) > now - CAP_WINDOW,
        or_(col(OutboundSms.provider_sid).is_not(None), col(OutboundSms.status) == "sending"),
        *_of_kind(alerts),
    )


def hourly_room(db: Session, now: datetime, cap: int, alerts: bool = False) -> int:
    """How many more texts of a kind (team alerts, or the rest) may go out this hour."""
    sent = db.exec(
        select(func.count()).select_from(OutboundSms).where(*_counted_in_cap(now, alerts))
    ).one()
    return cap - int(sent)


def paused_until(db: Session, now: datetime) -> datetime | None:
    """For the admin dashboard: when sending resumes, if the hourly cap has paused it."""
    setting = db.get(AppSetting, PAUSED_KEY)
    if setting is None or not setting.value:
        return None
    until = datetime.fromisoformat(setting.value)  # written by `pause`, with its offset
    return until if until > now else None


def pause(db: Session, now: datetime, alerts: bool = False) -> None:
    """Tell the admins a cap is reached (`alerts`: the team alerts' cap), until when."""
    oldest = db.exec(
        select(func.min(OutboundSms.claimed_at)).where(*_counted_in_cap(now, alerts))
    ).one()
    until = oldest + CAP_WINDOW if oldest else now + CAP_WINDOW
    if paused_until(db, now) is None:  # warn once per pause, not once per batch
        kind = "team alerts" if alerts else "texts other than team alerts"
        log.warning("Hourly SMS cap reached: %s paused until %s", kind, until.isoformat())
    # An upsert: another sender may pause sending at the same moment, with the same time.
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.exec(
        insert(AppSetting)
        .values(key=PAUSED_KEY, value=until.isoformat())
        .on_conflict_do_update(index_elements=["key"], set_={"value": until.isoformat()})
    )


def resume(db: Session) -> None:
    if db.get(AppSetting, PAUSED_KEY) is None:
        return
    # A plain DELETE: another sender may have resumed already, and that is fine.
    resumed = db.exec(delete(AppSetting).where(col(AppSetting.key) == PAUSED_KEY)).rowcount
    if resumed:
        log.warning("Hourly SMS cap no longer reached: sending resumed")


def claim_due(db: Session, now: datetime, limit: int, alerts: bool | None = None) -> list[Claimed]:
    """Claim up to `limit` due texts for this sender; texts to opted-out numbers are cancelled.

    `alerts`: only team alerts (True), only other texts (False), or any (None, alerts first).
    """
    if limit <= 0:
        return []
    due = (
        select(OutboundSms)
        .where(
            col(OutboundSms.status) == "queued",
            col(OutboundSms.next_attempt_at) <= now,
            *_of_kind(alerts),
        )
        .order_by(
            col(OutboundSms.purpose) != TEAM_ALERT,
            col(OutboundSms.next_attempt_at),
            col(OutboundSms.id),
        )
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    rows = list(db.exec(due).all())
    hashes = {row.to_hash for row in rows}
    opted_out = set(
        db.exec(
            select(OptOut.phone_hash).where(
                col(OptOut.phone_hash).in_(hashes), col(OptOut.opted_out)
            )
        ).all()
    )
    claimed: list[Claimed] = []
    for row in rows:
        assert row.id is not None
        values: dict[str, object] = (
            {"status": "cancelled", "error_code": "opted-out", "updated_at": now}
            if row.to_hash in opted_out
            else {
                "status": "sending",
                "claimed_at": now,
                "attempts": row.attempts + 1,
                "updated_at": now,
            }
        )
        # The WHERE repeats what was read: without a row lock (SQLite), a sender that got there
        # first has changed status or attempts, and this UPDATE then changes nothing.
        won = db.exec(
            update(OutboundSms)
            .where(
                col(OutboundSms.id) == row.id,
                col(OutboundSms.status) == "queued",
                col(OutboundSms.attempts) == row.attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won and values["status"] == "sending":
            claimed.append(
                Claimed(row.id, row.attempts + 1, row.purpose, row.to_encrypted, row.body)
            )
    return claimed


def _same_claim(claimed: Claimed, *statuses: str) -> tuple[ColumnElement[bool], ...]:
    return (
        col(OutboundSms.id) == claimed.id,
        col(OutboundSms.attempts) == claimed.attempts,
        col(OutboundSms.status).in_(statuses),
    )


def record_sent(db: Session, claimed: Claimed, provider_sid: str, now: datetime) -> None:
    # "queued" too: if a sweep put the row back meanwhile, it was still sent, so do not resend.
    db.exec(
        update(OutboundSms)
        .where(*_same_claim(claimed, "sending", "queued"))
        .values(status="sent", provider_sid=provider_sid, error_code=None, updated_at=now)
    )


def record_failure(
    db: Session,
    keys: Keys,
    claimed: Claimed,
    error: SendError,
    now: datetime,
    rng: random.Random,
    max_attempts: int = MAX_ATTEMPTS,
) -> str:
    """Re-queue with a backoff, or fail; returns the new status."""
    retry = isinstance(error, TransientSendError) and claimed.attempts < max_attempts
    status = "queued" if retry else "failed"
    values: dict[str, object] = {"status": status, "error_code": error.code[:16], "updated_at": now}
    if retry:
        values["next_attempt_at"] = now + backoff(claimed.attempts, rng)
    won = db.exec(
        update(OutboundSms).where(*_same_claim(claimed, "sending")).values(**values)
    ).rowcount
    if won and status == "failed":
        row = db.get(OutboundSms, claimed.id)
        if error.code == OPTED_OUT_CODE and row is not None:
            set_opt_out(db, row.to_hash, True, now)
        if row is not None:
            fail_over_team_alert(db, keys, row, now)
    return status


def release(db: Session, batch: list[Claimed], now: datetime) -> int:
    """Hand back claimed texts this sender never started: queued again, as if never claimed.

    Only rows still "sending" under these very claims change: one the sweep re-queued, or another
    sender then claimed, is left alone. The claim's attempt is taken back (it was not a failure).
    Returns how many were released.
    """
    if not batch:
        return 0
    released = db.exec(
        update(OutboundSms)
        .where(
            col(OutboundSms.status) == "sending",
            or_(
                *(
                    and_(
                        col(OutboundSms.id) == claimed.id,
                        col(OutboundSms.attempts) == claimed.attempts,
                    )
                    for claimed in batch
                )
            ),
        )
        .values(
            status="queued",
            claimed_at=None,
            attempts=col(OutboundSms.attempts) - 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return int(released)
