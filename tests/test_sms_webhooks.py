"""Twilio's webhooks: texts to the service number, and delivery reports.

Requests are signed the way Twilio signs them (`RequestValidator.compute_signature` over
PUBLIC_BASE_URL + path and the form fields), so a signature the app accepts is one Twilio's
own library would accept too.
"""

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, select
from sqlmodel import Session
from twilio.request_validator import RequestValidator

from app.callbacks.requests import phone_hash
from app.main import create_app
from app.models import OptOut, RateLimitHit, metadata
from app.security import Keys
from app.settings import Settings
from tests.app_context import set_clock
from tests.conftest import make_settings
from tests.sms_fake import FakeTwilio
from tests.sms_support import (
    AUTH_TOKEN,
    BASE_URL,
    DUTY_1,
    DUTY_2,
    NOW,
    YOUNG_PERSON,
    add_fallback_team,
    callback_requests,
    decrypt_to,
    fake,
    make_sender,
    outbox,
    request_callback,
    settings,
)
from tests.test_callback_transactions import Recorder, app_engine, break_the_outbox

__all__ = ["fake", "settings"]  # fixtures: Twilio settings pointing at the fake

SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"


def signed(
    client: TestClient,
    path: str,
    params: dict[str, str],
    token: str = AUTH_TOKEN,
    signed_url: str | None = None,
) -> Response:
    signature = RequestValidator(token).compute_signature(signed_url or BASE_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


_SIDS = itertools.count(1)


def text_in(
    client: TestClient, body: str, sender: str = YOUNG_PERSON, sid: str | None = None
) -> Response:
    """A text as Twilio delivers it; each a new message unless `sid` repeats an earlier one."""
    sid = sid or f"SM{next(_SIDS):032x}"
    params = {"MessageSid": sid, "From": sender, "To": "+447700900000", "Body": body}
    return signed(client, SMS, params)


def reply_of(response: Response) -> str | None:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    messages = ET.fromstring(response.text).findall("Message")
    assert len(messages) <= 1
    return messages[0].text if messages else None


def report(client: TestClient, sid: str, status: str, error: str | None = None) -> Response:
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
    if error:
        params["ErrorCode"] = error
    return signed(client, STATUS, params)


@pytest.fixture
def frozen(client: TestClient) -> TestClient:
    set_clock(client, lambda: NOW)
    return client


@pytest.mark.parametrize("path", [SMS, STATUS])
def test_unsigned_or_forged_webhooks_are_refused(
    frozen: TestClient, migrated_engine: Engine, path: str
) -> None:
    params = {"From": YOUNG_PERSON, "Body": "HELP", "MessageSid": "SM1", "MessageStatus": "sent"}
    good = RequestValidator(AUTH_TOKEN).compute_signature(BASE_URL + path, params)
    attempts = [
        frozen.post(path, data=params),
        frozen.post(path, data=params, headers={"X-Twilio-Signature": ""}),
        frozen.post(path, data=params, headers={"X-Twilio-Signature": good[:-4] + "AAA="}),
        signed(frozen, path, params, token="not-the-token"),
        signed(frozen, path, params, signed_url="http://testserver" + path),
        frozen.post(path, data={**params, "Body": "STOP"}, headers={"X-Twilio-Signature": good}),
    ]
    assert [response.status_code for response in attempts] == [403] * len(attempts)
    assert callback_requests(migrated_engine) == []


def test_without_an_auth_token_every_webhook_is_refused(
    tmp_path: Path, settings: Settings, migrated_engine: Engine
) -> None:
    console = make_settings(
        tmp_path / "console", database_url=settings.database_url, public_base_url=BASE_URL
    )
    assert console.twilio_auth_token is None
    params = {"From": YOUNG_PERSON, "Body": "HELP"}
    with TestClient(create_app(console)) as client:
        for token in ("", AUTH_TOKEN):
            assert signed(client, SMS, params, token=token).status_code == 403


def test_stop_then_start(frozen: TestClient, settings: Settings, migrated_engine: Engine) -> None:
    hashed = phone_hash(Keys.of(settings), YOUNG_PERSON)
    assert reply_of(text_in(frozen, "  stop ")) is None
    with Session(migrated_engine) as db:
        opt_out = db.get(OptOut, hashed)
        assert opt_out is not None and opt_out.opted_out
    assert reply_of(text_in(frozen, "Hello?")) is None  # nothing goes to an opted-out number
    assert reply_of(text_in(frozen, "Unsubscribe")) is None  # saying it twice is harmless

    assert reply_of(text_in(frozen, "START")) is None
    with Session(migrated_engine) as db:
        opt_out = db.get(OptOut, hashed)
        assert opt_out is not None and not opt_out.opted_out
    assert BASE_URL + "/en/" in (reply_of(text_in(frozen, "Hello?")) or "")


def test_a_keyword_asks_for_a_callback_and_gets_a_discreet_reference(
    frozen: TestClient, settings: Settings, migrated_engine: Engine, fake: FakeTwilio
) -> None:
    team_id = add_fallback_team(migrated_engine, DUTY_1)
    reply = reply_of(text_in(frozen, " help"))
    assert reply is not None
    match = re.search(r"Ref ([A-Z2-9]{6})\b", reply)
    assert match is not None
    assert reply.endswith(BASE_URL + "/en/")
    for word in ("knife", "crime", "police", "council"):
        assert word not in reply.lower()
    [request] = callback_requests(migrated_engine)
    assert (request.reference, request.source, request.team_id) == (match[1], "sms", team_id)
    assert (request.text_ok, request.say_who, request.best_time) == (True, False, "any")
    assert Keys.of(settings).cipher.decrypt(request.phone_encrypted or "") == YOUNG_PERSON
    # The TwiML reply is the confirmation: only the team's alert is queued.
    assert [row.purpose for row in outbox(migrated_engine)] == ["team-alert"]
    make_sender(migrated_engine, settings).run_once(NOW)
    assert [item.field("To") for item in fake.accepted] == [DUTY_1]
    assert match[1] in fake.accepted[0].field("Body")


def test_keywords_are_limited_per_number(frozen: TestClient, migrated_engine: Engine) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    replies = [reply_of(text_in(frozen, word)) or "" for word in ("HELP", "call", "Help.")]
    assert all("Ref " in reply for reply in replies)
    limited = reply_of(text_in(frozen, "HELP")) or ""
    assert "already have your request" in limited and "999" in limited
    assert len(callback_requests(migrated_engine)) == 3
    # Someone else is not held back by it.
    assert "Ref " in (reply_of(text_in(frozen, "HELP", sender="+447700900456")) or "")


def test_a_keyword_is_stored_with_its_team_alert_in_one_transaction(
    frozen: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)

    with Recorder(app_engine(frozen)) as recorded:
        reply = reply_of(text_in(frozen, "HELP")) or ""

    assert "Ref " in reply
    assert recorded.commits == 1  # the per-number limit, the request and its alert together
    assert len(callback_requests(migrated_engine)) == 1
    assert [row.purpose for row in outbox(migrated_engine)] == ["team-alert"]


def test_a_keyword_that_fails_half_way_stores_nothing_and_uses_up_no_limit(
    frozen: TestClient, migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    break_the_outbox(monkeypatch)

    failed = text_in(frozen, "HELP")

    assert failed.status_code == 503
    assert callback_requests(migrated_engine) == [] and outbox(migrated_engine) == []
    with Session(migrated_engine) as db:
        assert db.execute(select(RateLimitHit)).all() == []
    monkeypatch.undo()
    replies = [reply_of(text_in(frozen, "HELP")) or "" for _ in range(3)]
    assert all("Ref " in reply for reply in replies)  # the failed try did not count


def test_any_other_text_gets_the_card_and_help_now_numbers(
    frozen: TestClient, migrated_engine: Engine
) -> None:
    reply = reply_of(text_in(frozen, "what is this"))
    assert reply == f"{BASE_URL}/en/ In danger call 999. Childline 0800 1111 (free)."
    assert callback_requests(migrated_engine) == []


def _sent(engine: Engine, settings: Settings) -> dict[str, str]:
    """Send what is queued; the provider id of each text, by purpose."""
    make_sender(engine, settings).run_once(NOW)
    return {row.purpose: row.provider_sid or "" for row in outbox(engine) if row.retry_of is None}


def test_delivery_status_only_moves_forward(
    frozen: TestClient, settings: Settings, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    request_callback(migrated_engine, settings)
    sid = _sent(migrated_engine, settings)["team-alert"]

    def status() -> str:
        return next(row.status for row in outbox(migrated_engine) if row.provider_sid == sid)

    for reported, expected in [
        ("sending", "sent"),  # behind what we know: ignored
        ("delivered", "delivered"),
        ("sent", "delivered"),  # late
        ("delivered", "delivered"),  # duplicate
        ("failed", "delivered"),
    ]:
        assert report(frozen, sid, reported).status_code == 200
        assert status() == expected
    assert report(frozen, "SM" + "f" * 32, "delivered").status_code == 200  # unknown: ignored
    assert len(outbox(migrated_engine)) == 2


def test_a_failed_team_alert_goes_once_to_the_other_duty_phone(
    frozen: TestClient, settings: Settings, migrated_engine: Engine, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1, DUTY_2)
    request_callback(migrated_engine, settings, text_ok=False)
    sid = _sent(migrated_engine, settings)["team-alert"]

    assert report(frozen, sid, "undelivered", "30003").status_code == 200
    assert report(frozen, sid, "undelivered", "30003").status_code == 200  # Twilio retried
    original, retry = outbox(migrated_engine)
    assert (original.status, original.error_code) == ("undelivered", "30003")
    assert (retry.retry_of, retry.status, decrypt_to(settings, retry)) == (
        original.id,
        "queued",
        DUTY_2,
    )
    make_sender(migrated_engine, settings).run_once(NOW + timedelta(minutes=1))
    assert [item.field("To") for item in fake.accepted] == [DUTY_1, DUTY_2]
    assert fake.accepted[1].field("Body") == original.body

    retry_sid = outbox(migrated_engine)[1].provider_sid or ""
    assert report(frozen, retry_sid, "failed", "30006").status_code == 200
    assert len(outbox(migrated_engine)) == 2  # a failed retry is not retried again


def test_error_21610_in_a_report_opts_the_number_out(
    frozen: TestClient, settings: Settings, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    request_callback(migrated_engine, settings)
    sid = _sent(migrated_engine, settings)["confirmation"]
    assert report(frozen, sid, "failed", "21610").status_code == 200
    with Session(migrated_engine) as db:
        opt_out = db.get(OptOut, phone_hash(Keys.of(settings), YOUNG_PERSON))
        assert opt_out is not None and opt_out.opted_out


def test_the_database_and_logs_never_hold_the_number_in_clear(
    frozen: TestClient,
    settings: Settings,
    migrated_engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    add_fallback_team(migrated_engine, DUTY_1, DUTY_2)
    with caplog.at_level("DEBUG"):
        text_in(frozen, "HELP")
        request_callback(migrated_engine, settings)
        sids = _sent(migrated_engine, settings)
        report(frozen, sids["confirmation"], "delivered")
        report(frozen, sids["team-alert"], "undelivered", "30003")
        text_in(frozen, "STOP")
        text_in(frozen, "just saying hi")
    digits = YOUNG_PERSON.removeprefix("+44")  # 7700900123, in whatever format
    seen = 0
    with Session(migrated_engine) as db:
        for table in metadata.sorted_tables:
            for row in db.connection().execute(select(table)):
                for value in row:
                    if isinstance(value, str):
                        seen += 1
                        assert digits not in re.sub(r"\D", "", value), table.name
    assert seen > 20  # the scan did look at the rows
    assert len(callback_requests(migrated_engine)) == 2
    for line in caplog.text.splitlines():
        assert digits not in re.sub(r"\D", "", line)
    assert "just saying hi" not in caplog.text
