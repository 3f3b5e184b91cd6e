"""What the SMS tests share: Twilio-shaped settings pointing at the fake, and small helpers.

Import the fixtures into a test module (`from tests.sms_support import fake, settings`) to
replace conftest's `settings` there; `engine`, `migrated_engine` and `client` then use them.
"""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.callbacks.requests import CallbackDetails, Stored, create_callback
from app.models import CallbackRequest, OutboundSms, Team
from app.security import Keys
from app.settings import Settings
from app.sms.providers import TwilioProvider
from app.sms.sender import Sender
from tests.conftest import make_settings
from tests.sms_fake import FakeTwilio, running

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-twilio-auth-token-0123456789"
FROM_NUMBER = "+447700900000"
YOUNG_PERSON = "+447700900123"  # Ofcom's drama range: never a real phone
DUTY_1 = "+447700900001"
DUTY_2 = "+447700900002"
DUTY_3 = "+447700900003"
BASE_URL = "https://card.example.org"
STATUS_CALLBACK = BASE_URL + "/webhooks/twilio/status"
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # a Wednesday afternoon
CLIENT_TIMEOUT = 0.4  # seconds: the fake stalls for longer than this


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    yield from running(ACCOUNT_SID, AUTH_TOKEN)


def twilio_settings(tmp_path: Path, api_base: str, **overrides: object) -> Settings:
    """Settings that send through Twilio's API at `api_base` (a fake, or Prism)."""
    return make_settings(
        tmp_path,
        sms_backend="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_base=api_base,
        public_base_url=BASE_URL,
        **overrides,
    )


@pytest.fixture
def settings(tmp_path: Path, fake: FakeTwilio) -> Settings:
    return twilio_settings(tmp_path, fake.base_url, sender_in_serve=False)


def make_sender(engine: Engine, settings: Settings, **changes: object) -> Sender:
    sender = Sender.from_settings(engine, settings, TwilioProvider(settings, CLIENT_TIMEOUT))
    sender.rng = random.Random(6)
    for name, value in changes.items():
        setattr(sender, name, value)
    return sender


def add_fallback_team(engine: Engine, *duty_phones: str) -> int:
    return add_team(engine, "Duty team", *duty_phones, is_fallback=True)


def add_team(
    engine: Engine,
    name: str,
    *duty_phones: str,
    areas: str = "",
    is_fallback: bool = False,
    works_byday: str = "MO,TU,WE,TH,FR",
) -> int:
    """A team (working 9:00 to 17:00 London time on `works_byday`); returns its id."""
    with Session(engine) as db:
        team = Team(
            name=name,
            areas=areas,
            is_fallback=is_fallback,
            duty_phones=",".join(duty_phones),
            works_byday=works_byday,
        )
        db.add(team)
        db.commit()
        assert team.id is not None
        return team.id


def request_callback(
    engine: Engine,
    settings: Settings,
    text_ok: bool = True,
    phone: str = YOUNG_PERSON,
    area: str | None = None,
    now: datetime = NOW,
) -> str:
    """A callback request as the web form makes it; returns its reference."""
    details = CallbackDetails(
        phone=phone,
        name="Sam",
        best_time="any",
        need=None,
        area=area,
        lang="en",
        call_lang="en",
        text_ok=text_ok,
        say_who=False,
    )
    stored = create_callback(
        engine, [], details, Keys.of(settings), now, timedelta(hours=24), BASE_URL, lambda s: s
    )
    assert isinstance(stored, Stored)
    return stored.reference


def outbox(engine: Engine) -> list[OutboundSms]:
    with Session(engine) as db:
        return list(db.exec(select(OutboundSms).order_by(col(OutboundSms.id))).all())


def callback_requests(engine: Engine) -> list[CallbackRequest]:
    with Session(engine) as db:
        return list(db.exec(select(CallbackRequest).order_by(col(CallbackRequest.id))).all())


def decrypt_to(settings: Settings, row: OutboundSms) -> str:
    assert row.to_encrypted is not None
    return Keys.of(settings).cipher.decrypt(row.to_encrypted)
