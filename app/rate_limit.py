"""Rate limits shared by every app instance, counted in the database.

Buckets are keyed by an HMAC of who is asking (e.g. the client address) with SECRET_KEY, so no
address or phone number is ever stored; the counter is an atomic upsert, safe under concurrency.
"""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from app.models import RateLimitHit


def bucket_key(secret: str, purpose: str, who: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{who}".encode(), hashlib.sha256).hexdigest()
    return f"{purpose}:{digest[:40]}"


def allow(
    session: Session,
    bucket: str,
    limit: int,
    window: timedelta,
    now: datetime,
    keep: timedelta | None = None,
) -> bool:
    """Count one hit for `bucket` in the current window; False once the limit is passed.

    Older windows of the same bucket are deleted once they are `keep` old (default: one window).
    """
    seconds = int(window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(RateLimitHit)
        .values(bucket=bucket, window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=["bucket", "window_start"],
            set_={"hits": RateLimitHit.__table__.c.hits + 1},  # type: ignore[attr-defined]
        )
        .returning(RateLimitHit.__table__.c.hits)  # type: ignore[attr-defined]
    )
    hits = session.execute(statement).scalar_one()
    expired = col(RateLimitHit.window_start) < start - (keep or window)
    session.execute(delete(RateLimitHit).where(col(RateLimitHit.bucket) == bucket, expired))
    session.commit()
    return int(hits) <= limit
