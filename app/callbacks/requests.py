"""Creating a callback request: its limits, storing it safely and queueing the texts it causes.

`create_callback` is the one way to create a request, from the web form or from a text. The limits
are counted and the request and its texts written in one transaction (the outbox pattern): either
both exist or neither does, so a provider failure later can delay a text but never lose a request.
`queue_texts` is the one way into the outbox, and never queues a text to a number that said STOP.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, exists, insert, literal, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from app.callbacks.routing import choose_team, first_alert
from app.database import in_transaction
from app.directory.hours import LONDON
from app.metrics import CALLBACKS_CREATED
from app.models import TEAM_ALERT, CallbackRequest, OptOut, OutboundSms
from app.rate_limit import Limit, bucket_key, count_hit, prune
from app.security import Keys, keyed_hash

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
REFERENCE_LENGTH = 6
BEST_TIMES = ("today", "evening", "tomorrow", "any")
PER_NUMBER = (3, timedelta(hours=24))  # requests per number, counted in `number_limit`
Gettext = Callable[[str], str]


@dataclass(frozen=True)
class CallbackDetails:
    """What a young person asked for, already validated. `phone` is E.164."""

    phone: str
    name: str
    best_time: str
    need: str | None
    area: str | None
    lang: str
    call_lang: str
    text_ok: bool
    say_who: bool
    source: str = "web"
    # Safe contact; None when not asked (requests by text) or not answered.
    voicemail_ok: bool | None = None
    text_first: bool | None = None
    others_may_answer: bool | None = None
    age_band: str | None = None
    about: str | None = None


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def phone_hash(keys: Keys, e164: str) -> str:
    return keyed_hash(keys.hash_secret, "phone:" + e164)


def is_opted_out(db: Session, hashed: str) -> bool:
    row = db.get(OptOut, hashed)
    return row is not None and row.opted_out


def team_alert(reference: str, due_at: datetime, base_url: str, unclaimed: bool = False) -> str:
    """To a duty phone: the reference and a link, never the young person's number or words.

    `unclaimed`: an escalation, nobody has claimed the request yet.
    """
    due = due_at.astimezone(LONDON)
    note = " (not yet claimed)" if unclaimed else ""
    return (
        f"New callback request {reference}{note}, due by {due:%H:%M %a %d %b}: "
        f"{base_url}/admin/callbacks/{reference}"
    )


def confirmation(details: CallbackDetails, reference: str, base_url: str, _: Gettext) -> str:
    """Discreet: no knives, crime, police or council unless they said we may say who we are."""
    if details.say_who:
        text = _(
            "Thanks for asking the youth team to call you back. We will be in touch soon. "
            "Your reference is %(reference)s."
        ) % {"reference": reference}
        return f"{text} {base_url}/{details.lang}/"
    return _("Thanks, we got your message and will be in touch soon. Ref %(reference)s.") % {
        "reference": reference
    }


@dataclass(frozen=True)
class Sealed:
    """What is kept of a person's contact details: ciphertexts and a keyed hash of the number."""

    phone_encrypted: str
    name_encrypted: str | None
    phone_hash: str


def seal(details: CallbackDetails, keys: Keys) -> Sealed:
    return Sealed(
        phone_encrypted=keys.cipher.encrypt(details.phone),
        name_encrypted=keys.cipher.encrypt(details.name) if details.name else None,
        phone_hash=phone_hash(keys, details.phone),
    )


@dataclass(frozen=True)
class Stored:
    """A request written (not necessarily committed yet) by `store_callback`."""

    id: int
    reference: str
    team_id: int
    due_at: datetime


@dataclass(frozen=True)
class Text:
    """A text for the outbox: the number (encrypted and hashed), what it says and why."""

    to_encrypted: str
    to_hash: str
    body: str
    purpose: str


_REQUEST = CallbackRequest.__table__  # type: ignore[attr-defined]
_OUTBOX = OutboundSms.__table__  # type: ignore[attr-defined]
_OPT_OUT = OptOut.__table__  # type: ignore[attr-defined]


def _insert_request(dialect: str) -> Any:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(_REQUEST)
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(_REQUEST.c.id)
    )


_INSERT_REQUEST = {dialect: _insert_request(dialect) for dialect in ("postgresql", "sqlite")}
_TEXT_COLUMNS = ("purpose", "to_encrypted", "to_hash", "body")


@cache
def _queue_statement(count: int) -> Any:
    """INSERT ... SELECT of `count` texts, each only if its number has not opted out."""
    c = _OUTBOX.c
    shared = [
        c.callback_id,
        c.retry_of,
        c.status,
        c.attempts,
        c.next_attempt_at,
        c.created_at,
        c.updated_at,
    ]
    shared_values = [
        bindparam("callback_id", type_=c.callback_id.type),
        bindparam("retry_of", type_=c.retry_of.type),
        literal("queued", c.status.type),
        literal(0, c.attempts.type),
        *(bindparam("now", type_=c.next_attempt_at.type) for _ in range(3)),
    ]
    rows = [
        select(
            *shared_values,
            *(bindparam(f"{name}_{i}", type_=c[name].type) for name in _TEXT_COLUMNS),
        ).where(
            ~exists().where(
                _OPT_OUT.c.phone_hash == bindparam(f"to_hash_{i}", type_=c.to_hash.type),
                _OPT_OUT.c.opted_out,
            )
        )
        for i in range(count)
    ]
    columns = [*shared, *(c[name] for name in _TEXT_COLUMNS)]
    return insert(_OUTBOX).from_select(columns, rows[0] if count == 1 else union_all(*rows))


def queue_texts(
    db: Session | Connection,
    texts: list[Text],
    callback_id: int | None,
    now: datetime,
    retry_of: int | None = None,
) -> int:
    """Add texts to the outbox in one statement, leaving out any number that opted out.

    The one place of the rule "nothing is ever queued to a number that said STOP" (the sender
    checks again before sending). Returns how many were queued; the caller commits.
    """
    if not texts:
        return 0
    params: dict[str, Any] = {"callback_id": callback_id, "retry_of": retry_of, "now": now}
    for i, text in enumerate(texts):
        params.update({f"{name}_{i}": getattr(text, name) for name in _TEXT_COLUMNS})
    connection = db.connection() if isinstance(db, Session) else db
    return connection.execute(_queue_statement(len(texts)), params).rowcount


def store_callback(
    db: Connection,
    details: CallbackDetails,
    keys: Keys,
    now: datetime,
    overdue_after: timedelta,
    base_url: str,
    translate: Gettext,
    confirm_by_text: bool = True,
    sealed: Sealed | None = None,
) -> Stored:
    """Route the request, write it and queue its texts, in the caller's transaction.

    Does not commit: the caller commits once, so the request and its texts are stored together
    or not at all. Three statements: the teams, the request, the texts.
    """
    sealed = sealed or seal(details, keys)
    route = choose_team(db, details.area, details.need)
    told = first_alert(route, now)  # who is alerted now, and when escalation is due
    due_at = now + overdue_after
    values = {
        "team_id": route.team_id,
        "source": details.source,
        "lang": details.lang,
        "call_lang": details.call_lang,
        "need": details.need,
        "area": details.area,
        "best_time": details.best_time,
        "text_ok": details.text_ok,
        "say_who": details.say_who,
        "voicemail_ok": details.voicemail_ok,
        "text_first": details.text_first,
        "others_may_answer": details.others_may_answer,
        "age_band": details.age_band,
        "about": details.about,
        "phone_encrypted": sealed.phone_encrypted,
        "name_encrypted": sealed.name_encrypted,
        "phone_hash": sealed.phone_hash,
        "status": "new",
        "due_at": due_at,
        "created_at": now,
        "escalations": told.escalations,
        "escalate_at": told.escalate_at,
    }
    statement = _INSERT_REQUEST["postgresql" if db.dialect.name == "postgresql" else "sqlite"]
    for _attempt in range(10):
        reference = new_reference()
        request_id = db.execute(statement, {**values, "reference": reference}).scalar()
        if request_id is not None:
            break  # otherwise the reference was taken: draw another
    else:
        raise RuntimeError("could not find a free reference")
    texts = []
    for number in told.numbers:
        alert = team_alert(reference, due_at, base_url)
        encrypted = keys.cipher.encrypt(number)
        texts.append(Text(encrypted, phone_hash(keys, number), alert, TEAM_ALERT))
    if details.text_ok and confirm_by_text:
        body = confirmation(details, reference, base_url, translate)
        texts.append(Text(sealed.phone_encrypted, sealed.phone_hash, body, "confirmation"))
    queue_texts(db, texts, request_id, now)
    return Stored(request_id, reference, route.team_id, due_at)


def number_limit(keys: Keys, hashed_phone: str) -> Limit:
    """Requests per number, whichever way someone asks: the web form or a text."""
    return Limit(bucket_key(keys.hash_secret, "callback-number", hashed_phone), *PER_NUMBER)


def create_callback(
    engine: Engine,
    limits: list[Limit],
    details: CallbackDetails,
    keys: Keys,
    now: datetime,
    overdue_after: timedelta,
    base_url: str,
    translate: Gettext,
    confirm_by_text: bool = True,
    sealed: Sealed | None = None,
    before: Callable[[Connection], None] | None = None,
) -> Stored | Limit:
    """Count the limits in order and, if none is passed, store the request: one transaction.

    The one way to create a callback request, from the web form or from a text. Returns the
    first limit passed (its hit, and those before it, are still counted, and later limits are
    not), or the stored request with its texts. The limits are counted in the database, so they
    hold across app instances; each count locks its row until the commit, so concurrent posts
    for one number queue and a fourth can never slip through. Nothing is stored, and no limit
    used up, if any step fails. `confirm_by_text=False` when the confirmation goes another way
    (the reply to an inbound text). `before` runs first in the same transaction (an inbound text
    notes its id, so a replay creates nothing); if it raises, nothing at all is stored.
    """
    sealed = sealed or seal(details, keys)

    def work(db: Connection) -> Stored | Limit:
        if before is not None:
            before(db)
        opened: list[Limit] = []  # hits that started a new window: older windows can go
        for rule in limits:
            hits = count_hit(db, rule, now)
            if hits == 1:
                opened.append(rule)
            if hits > rule.limit:
                prune(db, opened, now)
                return rule
        prune(db, opened, now)
        return store_callback(
            db, details, keys, now, overdue_after, base_url, translate, confirm_by_text, sealed
        )

    outcome = in_transaction(engine, work)
    if isinstance(outcome, Stored):  # committed: counted once, whichever way it came
        CALLBACKS_CREATED.labels(details.source).inc()
    return outcome


def find_by_reference(db: Session, reference: str) -> CallbackRequest | None:
    return db.exec(
        select(CallbackRequest).where(CallbackRequest.reference == reference.upper())
    ).first()
