"""What happens to a text after it leaves: delivery reports, opt-outs and failed team alerts.

Shared by the outbox sender (errors when sending) and the status webhook (reports from Twilio).
"""

import logging
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select, update

from app.callbacks.phones import duty_numbers
from app.callbacks.requests import Text, phone_hash, queue_texts
from app.models import TEAM_ALERT, CallbackRequest, OptOut, OutboundSms, Team
from app.security import Keys

log = logging.getLogger(__name__)

OPTED_OUT_CODE = "21610"
# Statuses only ever move up this ladder, so reports arriving late or twice change nothing.
STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}
# Twilio's message statuses in our words; the rest (receiving, canceled...) do not apply to us.
TWILIO_STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
}
UNDELIVERED = ("undelivered", "failed")


def set_opt_out(db: Session, hashed: str, opted_out: bool, now: datetime) -> None:
    """Record STOP (or START) for a number's hash; an upsert, so replays and races are harmless."""
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.exec(
        insert(OptOut)
        .values(phone_hash=hashed, opted_out=opted_out, updated_at=now)
        .on_conflict_do_update(
            index_elements=["phone_hash"], set_={"opted_out": opted_out, "updated_at": now}
        )
    )


def fail_over_team_alert(db: Session, keys: Keys, failed: OutboundSms, now: datetime) -> bool:
    """Queue a failed team alert once more, to the team's next duty number (if it has one).

    Only an original alert is retried, and only once: a retry that fails too is left for the
    admin dashboard, rather than texting round the duty list for ever. True if it was queued.
    """
    if failed.purpose != TEAM_ALERT or failed.retry_of is not None or failed.callback_id is None:
        return False
    already = select(OutboundSms.id).where(col(OutboundSms.retry_of) == failed.id)
    if db.exec(already).first() is not None:
        return False
    request = db.get(CallbackRequest, failed.callback_id)
    team = db.get(Team, request.team_id) if request else None
    numbers = duty_numbers(team.duty_phones) if team else []
    hashes = [phone_hash(keys, number) for number in numbers]
    start = hashes.index(failed.to_hash) + 1 if failed.to_hash in hashes else 0
    pairs = list(zip(numbers, hashes, strict=True))
    for number, hashed in pairs[start:] + pairs[:start]:  # the next number first, then round
        if hashed == failed.to_hash:
            continue
        retry = Text(keys.cipher.encrypt(number), hashed, failed.body, TEAM_ALERT)
        if queue_texts(db, [retry], failed.callback_id, now, retry_of=failed.id):
            log.warning("Team alert %s failed; queued again to the next duty number", failed.id)
            return True
    log.warning("Team alert %s failed and the team has no other duty number", failed.id)
    return False


def apply_status(
    db: Session, keys: Keys, sid: str, twilio_status: str, error_code: str | None, now: datetime
) -> bool:
    """Apply one delivery report; True if it moved the text forward. The caller commits."""
    status = TWILIO_STATUSES.get(twilio_status.strip().lower())
    row = db.exec(select(OutboundSms).where(col(OutboundSms.provider_sid) == sid)).first()
    if status is None or row is None:
        return False
    lower = [name for name, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    values: dict[str, object] = {"status": status, "updated_at": now}
    if status in UNDELIVERED and error_code:
        values["error_code"] = error_code[:16]
    # The condition is in the UPDATE itself, so two reports racing cannot both move the row.
    moved = db.exec(
        update(OutboundSms)
        .where(col(OutboundSms.id) == row.id, col(OutboundSms.status).in_(lower))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if error_code == OPTED_OUT_CODE:
        set_opt_out(db, row.to_hash, True, now)
    if moved and status in UNDELIVERED:
        fail_over_team_alert(db, keys, row, now)
    return bool(moved)
