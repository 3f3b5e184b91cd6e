"""From the web form to a phone: form, database, sender, and a fake Twilio that checks requests."""

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import CallbackRequest
from app.settings import Settings
from tests.app_context import set_clock
from tests.sms_fake import FakeTwilio
from tests.sms_support import (
    DUTY_1,
    NOW,
    STATUS_CALLBACK,
    add_fallback_team,
    fake,
    make_sender,
    settings,
)

__all__ = ["fake", "settings"]  # fixtures: Twilio settings pointing at the fake


def test_a_request_made_in_polish_reaches_the_team_and_the_young_person_once(
    client: TestClient, migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    moment = [NOW]
    set_clock(client, lambda: moment[0])
    started = re.search(r'name="started" value="([^"]+)"', client.get("/pl/callback").text)
    assert started is not None
    moment[0] = NOW + timedelta(seconds=30)

    response = client.post(
        "/pl/callback",
        data={
            "started": started.group(1),
            "phone": "07700 900 123",
            "best_time": "today",
            "text_ok": "yes",
            "say_who": "no",
            "call_lang": "pl",
        },
    )
    sender = make_sender(migrated_engine, settings)
    first = sender.run_once(moment[0])
    second = sender.run_once(moment[0] + timedelta(minutes=10))

    assert response.status_code == 303
    with Session(migrated_engine) as db:
        reference = db.exec(select(CallbackRequest.reference)).one()
    assert (first.sent, second.claimed) == (2, 0)
    assert fake.problems == []
    texts = {item.field("To"): item.field("Body") for item in fake.accepted}
    assert set(texts) == {DUTY_1, "+447700900123"}
    assert reference in texts[DUTY_1] and "7700900123" not in texts[DUTY_1]
    assert reference in texts["+447700900123"]
    assert "Thanks, we got your message" not in texts["+447700900123"]  # written in Polish
    assert all(item.field("StatusCallback") == STATUS_CALLBACK for item in fake.accepted)
