"""Creating a callback request: storing it safely and queueing the texts it causes.

The request and its texts are written in one transaction (the outbox pattern): either both exist or
neither does, so a provider failure later can delay a text but never lose a request.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.callbacks.routing import choose_team
from app.directory.hours import LONDON
from app.models import CallbackRequest, OptOut, OutboundSms, Team
from app.security import DataCipher, keyed_hash

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
REFERENCE_LENGTH = 6
BEST_TIMES = ("today", "evening", "tomorrow", "any")
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


@dataclass(frozen=True)
class Keys:
    cipher: DataCipher
    hash_secret: str


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def phone_hash(keys: Keys, e164: str) -> str:
    return keyed_hash(keys.hash_secret, "phone:" + e164)


def is_opted_out(db: Session, hashed: str) -> bool:
    row = db.get(OptOut, hashed)
    return row is not None and row.opted_out


def team_alert(reference: str, due_at: datetime, base_url: str) -> str:
    due = due_at.astimezone(LONDON)
    return (
        f"New callback request {reference}, due by {due:%H:%M %a %d %b}: "
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


def queue_text(
    db: Session,
    keys: Keys,
    to: str,
    body: str,
    purpose: str,
    callback_id: int | None,
    now: datetime,
) -> OutboundSms | None:
    """Add a text to the outbox, unless the number opted out (then nothing is ever sent)."""
    hashed = phone_hash(keys, to)
    if is_opted_out(db, hashed):
        return None
    sms = OutboundSms(
        callback_id=callback_id,
        purpose=purpose,
        to_encrypted=keys.cipher.encrypt(to),
        to_hash=hashed,
        body=body,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    db.add(sms)
    return sms


def create_callback(
    db: Session,
    details: CallbackDetails,
    keys: Keys,
    now: datetime,
    overdue_after: timedelta,
    base_url: str,
    translate: Gettext,
    confirm_by_text: bool = True,
) -> tuple[CallbackRequest, Team]:
    """Store the request, route it, and queue the team alert and (if safe) a confirmation.

    `confirm_by_text=False` when the confirmation goes another way (the reply to an inbound text).
    """
    team = choose_team(db, details.area, details.need)
    for _attempt in range(10):
        request = CallbackRequest(
            reference=new_reference(),
            team_id=team.id,  # type: ignore[arg-type]
            source=details.source,
            lang=details.lang,
            call_lang=details.call_lang,
            need=details.need,
            area=details.area,
            best_time=details.best_time,
            text_ok=details.text_ok,
            say_who=details.say_who,
            phone_encrypted=keys.cipher.encrypt(details.phone),
            name_encrypted=keys.cipher.encrypt(details.name) if details.name else None,
            phone_hash=phone_hash(keys, details.phone),
            due_at=now + overdue_after,
            created_at=now,
        )
        savepoint = db.begin_nested()
        try:
            db.add(request)
            db.flush()
        except IntegrityError:  # the reference was taken: draw another
            savepoint.rollback()
            continue
        savepoint.commit()
        break
    else:
        raise RuntimeError("could not find a free reference")
    for number in [phone for phone in team.duty_phones.split(",") if phone.strip()][:1]:
        alert = team_alert(request.reference, request.due_at, base_url)
        queue_text(db, keys, number.strip(), alert, "team-alert", request.id, now)
    if details.text_ok and confirm_by_text:
        body = confirmation(details, request.reference, base_url, translate)
        queue_text(db, keys, details.phone, body, "confirmation", request.id, now)
    db.commit()
    return request, team


def find_by_reference(db: Session, reference: str) -> CallbackRequest | None:
    return db.exec(
        select(CallbackRequest).where(CallbackRequest.reference == reference.upper())
    ).first()
