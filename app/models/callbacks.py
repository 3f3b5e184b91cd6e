"""Callback requests from young people, the SMS outbox, and numbers that opted out of texts."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import optional_timestamp, timestamp

# An outbox text's purpose: the alert to a team's duty phones about a new request (failed ones are
# retried on another duty phone and flagged in the admin), or the confirmation to the young person.
TEAM_ALERT = "team-alert"


class CallbackRequest(SQLModel, table=True):
    """A young person asked to be called or texted back. Personal fields are encrypted and wiped."""

    __tablename__ = "callback_request"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=8, unique=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    source: str = Field(default="web", max_length=8)  # web or sms
    lang: str = Field(max_length=16)
    call_lang: str = Field(max_length=16)
    need: str | None = Field(default=None, max_length=64)
    area: str | None = Field(default=None, max_length=16)
    best_time: str = Field(max_length=16)
    text_ok: bool = False
    say_who: bool = False
    # Safe contact (None on requests made before the form asked, and on requests by text).
    voicemail_ok: bool | None = None
    text_first: bool | None = None
    others_may_answer: bool | None = None
    age_band: str | None = Field(default=None, max_length=16)
    about: str | None = Field(default=None, max_length=16)  # me or someone-else
    phone_encrypted: str | None = Field(default=None, max_length=500)
    name_encrypted: str | None = Field(default=None, max_length=500)
    phone_hash: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default="new", max_length=16, index=True)  # new, claimed, closed
    outcome: str | None = Field(default=None, max_length=32)
    referred_to: str | None = Field(default=None, max_length=200)  # a service, not a person
    claimed_by: int | None = Field(default=None, foreign_key="staff_user.id")
    claimed_at: datetime | None = optional_timestamp()
    closed_at: datetime | None = optional_timestamp(index=True)
    due_at: datetime = timestamp()
    created_at: datetime = timestamp(index=True)
    wiped_at: datetime | None = optional_timestamp()
    # Escalation while nobody has claimed it: 0 = the team's first duty phone was alerted, 1 = its
    # next duty phone, 2 = the fallback team. `escalate_at` is when the next step is due.
    escalations: int = 0
    escalate_at: datetime | None = optional_timestamp(index=True)


class CallbackActivity(SQLModel, table=True):
    """A line of a request's log: a contact attempt or a note (encrypted, wiped with the number)."""

    __tablename__ = "callback_activity"

    id: int | None = Field(default=None, primary_key=True)
    callback_id: int = Field(foreign_key="callback_request.id", index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff_user.id")
    kind: str = Field(max_length=16)  # no-answer, no-message, texted, spoke, note
    note_encrypted: str | None = Field(default=None, max_length=8000)
    created_at: datetime = timestamp()


class InboundSms(SQLModel, table=True):
    """An inbound text already handled (by its provider id), so a replayed webhook does nothing."""

    __tablename__ = "inbound_sms"

    message_sid: str = Field(primary_key=True, max_length=64)
    received_at: datetime = timestamp(index=True)


class OutboundSms(SQLModel, table=True):
    """The outbox: one row per text to send, written with the change that causes it."""

    __tablename__ = "outbound_sms"

    id: int | None = Field(default=None, primary_key=True)
    callback_id: int | None = Field(default=None, foreign_key="callback_request.id", index=True)
    purpose: str = Field(max_length=24)  # TEAM_ALERT or "confirmation"
    to_encrypted: str | None = Field(default=None, max_length=500)
    to_hash: str = Field(max_length=64, index=True)
    body: str = Field(max_length=1600)
    status: str = Field(default="queued", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = timestamp(index=True)
    claimed_at: datetime | None = optional_timestamp()
    provider_sid: str | None = Field(default=None, max_length=64, unique=True)
    error_code: str | None = Field(default=None, max_length=16)
    retry_of: int | None = Field(default=None, foreign_key="outbound_sms.id")
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class OptOut(SQLModel, table=True):
    """A number (as a keyed hash) that said STOP: nothing is ever sent to it until START."""

    __tablename__ = "opt_out"

    phone_hash: str = Field(primary_key=True, max_length=64)
    opted_out: bool = True
    updated_at: datetime = timestamp()
