"""Rate limits shared by every app instance, counted in the database.

Buckets are keyed by an HMAC of who is asking (e.g. the client address) with SECRET_KEY, so no
address or phone number is ever stored; the counter is an atomic upsert, safe under concurrency
(concurrent hits on one bucket queue on its row, so no update is ever lost).

Nothing here commits: the caller owns the transaction. A handler that refuses a hit commits before
answering, so the refused hit still counts; a form can count its limits and store what was sent in
one commit (`count_hit` and `prune`).
"""

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.models import RateLimitHit

_TABLE = RateLimitHit.__table__  # type: ignore[attr-defined]


def client_key(host: str | None) -> str:
    """Who a per-client limit counts: the peer's address, or for IPv6 its /64 network.

    One IPv6 connection is usually given a whole /64, so counting single addresses would give
    each client billions of buckets. The peer address is the proxy's unless FORWARDED_ALLOW_IPS
    names it (then it is the address the proxy saw).
    """
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def bucket_key(secret: str, purpose: str, who: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{who}".encode(), hashlib.sha256).hexdigest()
    return f"{purpose}:{digest[:40]}"


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits on `bucket` per `window`; older windows are kept for `keep`."""

    bucket: str
    limit: int
    window: timedelta
    keep: timedelta | None = None
    start: datetime | None = None  # one fixed window from here (e.g. a form token's issue time)

    def window_start(self, now: datetime) -> datetime:
        if self.start is not None:
            return self.start
        seconds = int(self.window.total_seconds())
        return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)


def _upsert(dialect: str) -> Any:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(_TABLE)
        .on_conflict_do_update(
            index_elements=["bucket", "window_start"], set_={"hits": _TABLE.c.hits + 1}
        )
        .returning(_TABLE.c.hits)
    )


_UPSERTS = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


def count_hit(db: Session | Connection, rule: Limit, now: datetime) -> int:
    """Count one hit in the current window and return the window's hits (not committed).

    The upsert locks the bucket's row until the caller's transaction ends.
    """
    dialect = (db.get_bind() if isinstance(db, Session) else db).dialect.name
    statement = _UPSERTS["postgresql" if dialect == "postgresql" else "sqlite"]
    values = {"bucket": rule.bucket, "window_start": rule.window_start(now), "hits": 1}
    return int(db.execute(statement, values).scalar_one())


@cache
def _prune_statement(count: int) -> Any:
    """DELETE the expired windows of `count` buckets (built once: statements cost to build)."""
    window_start = _TABLE.c.window_start
    expired = [
        (_TABLE.c.bucket == bindparam(f"bucket_{i}", type_=_TABLE.c.bucket.type))
        & (window_start < bindparam(f"before_{i}", type_=window_start.type))
        for i in range(count)
    ]
    return delete(_TABLE).where(or_(*expired))


def prune(db: Session | Connection, rules: list[Limit], now: datetime) -> None:
    """Delete the windows of these buckets that are older than `keep` (default: one window).

    Only needed when a hit opened a new window (hits == 1): the cut-off only moves then. A limit
    with a fixed window (`start`) has no older windows: its row goes with the retention job's.
    """
    rules = [rule for rule in rules if rule.start is None]
    if not rules:
        return
    params: dict[str, Any] = {}
    for i, rule in enumerate(rules):
        params[f"bucket_{i}"] = rule.bucket
        params[f"before_{i}"] = rule.window_start(now) - (rule.keep or rule.window)
    db.execute(_prune_statement(len(rules)), params)


def allow(
    session: Session,
    bucket: str,
    limit: int,
    window: timedelta,
    now: datetime,
    keep: timedelta | None = None,
) -> bool:
    """Count one hit for `bucket` in the current window; False once over the limit.

    Older windows of the same bucket are deleted once they are `keep` old (default: one window).
    Not committed: the caller commits, also when it then refuses, or the hit is not counted.
    """
    rule = Limit(bucket, limit, window, keep)
    hits = count_hit(session, rule, now)
    if hits == 1:
        prune(session, [rule], now)
    return hits <= limit
