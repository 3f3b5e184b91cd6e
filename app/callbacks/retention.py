"""The retention job: personal data in callback requests is wiped on schedule; counts remain.

Closed requests lose their number and name `retention_closed_days` after closing; requests never
closed lose them `retention_open_days` after they were made. The texts' recipient numbers and the
caseworkers' notes go too, and so do the texts' keyed hashes of the number: a hash, kept, would
still link the request to its number for anyone who hashes every UK mobile. (The opt-out table
keeps its own hash: STOP must go on working.) Handled inbound texts' ids are kept `INBOUND_KEEP`
(long enough to ignore a replayed webhook).
"""

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, delete, select

from app.models import CallbackActivity, CallbackRequest, InboundSms, OutboundSms, RateLimitHit

RATE_LIMIT_KEEP = timedelta(days=2)
WIPED_HASH = "wiped"  # what a wiped text's to_hash becomes: the same for all, so it links nothing
INBOUND_KEEP = timedelta(days=7)


def wipe_expired(db: Session, now: datetime, closed_days: int, open_days: int) -> int:
    """Wipe personal fields that are due; returns how many requests were wiped (not committed)."""
    due = and_(
        col(CallbackRequest.wiped_at).is_(None),
        or_(
            and_(
                col(CallbackRequest.status) == "closed",
                col(CallbackRequest.closed_at) < now - timedelta(days=closed_days),
            ),
            col(CallbackRequest.created_at) < now - timedelta(days=open_days),
        ),
    )
    ids = list(db.exec(select(CallbackRequest.id).where(due)).all())
    if ids:
        db.execute(
            update(CallbackRequest)
            .where(col(CallbackRequest.id).in_(ids))
            .values(phone_encrypted=None, name_encrypted=None, phone_hash=None, wiped_at=now)
        )
        db.execute(
            update(OutboundSms)
            .where(col(OutboundSms.callback_id).in_(ids))
            .values(to_encrypted=None, to_hash=WIPED_HASH)
        )
        db.execute(
            update(CallbackActivity)
            .where(col(CallbackActivity.callback_id).in_(ids))
            .values(note_encrypted=None)
        )
    db.execute(delete(RateLimitHit).where(col(RateLimitHit.window_start) < now - RATE_LIMIT_KEEP))
    db.execute(delete(InboundSms).where(col(InboundSms.received_at) < now - INBOUND_KEEP))
    return len(ids)
