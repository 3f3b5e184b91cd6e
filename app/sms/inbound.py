"""Texts to the service number: which were handled already, and what we know of the sender.

Twilio may deliver a webhook again (its retries, or a replay of a captured signed request). Each
handled text's `MessageSid` is written to `inbound_sms` in the same transaction as what the text
causes, so a second delivery finds it there and does nothing: no second request, and a replayed
START can never undo a later STOP. The retention job drops these ids after a week.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.models import CallbackRequest, InboundSms

_INBOUND = InboundSms.__table__  # type: ignore[attr-defined]


class AlreadyHandledError(Exception):
    """This text was handled before: the transaction it was raised in must be rolled back."""


def record_inbound(db: Session | Connection, sid: str, now: datetime) -> None:
    """Note a text as handled, in the caller's transaction; AlreadyHandledError if it was.

    An insert that does nothing on a conflict: a concurrent delivery of the same text waits for
    this transaction and then finds the row, so only one of them goes on.
    """
    connection = db.connection() if isinstance(db, Session) else db
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    # RETURNING, not rowcount: psycopg reports no row count for an insert that did nothing.
    recorded = connection.execute(
        insert(_INBOUND)
        .values(message_sid=sid[:64], received_at=now)
        .on_conflict_do_nothing(index_elements=["message_sid"])
        .returning(_INBOUND.c.message_sid)
    ).first()
    if recorded is None:
        raise AlreadyHandledError(sid)


@dataclass(frozen=True)
class LastRequest:
    lang: str
    team_id: int


def last_request(db: Session, hashed_phone: str) -> LastRequest | None:
    """The language and team of the number's most recent callback request, if any."""
    row = db.exec(
        select(CallbackRequest.lang, CallbackRequest.team_id)
        .where(col(CallbackRequest.phone_hash) == hashed_phone)
        .order_by(col(CallbackRequest.created_at).desc(), col(CallbackRequest.id).desc())
        .limit(1)
    ).first()
    return LastRequest(row[0], row[1]) if row else None
