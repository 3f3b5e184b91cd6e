"""Texts to the service number: handled once, answered in the right language, out of hours too.

Requests are signed as Twilio signs them (see tests/test_sms_webhooks.py). `NOW` is a Wednesday
at 14:00 in London, when a team working Monday to Friday 9:00 to 17:00 is at work.
"""

import threading
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from app.callbacks.requests import phone_hash
from app.models import InboundSms, OptOut
from app.security import Keys
from app.settings import Settings
from tests.app_context import context, set_clock
from tests.sms_support import (
    BASE_URL,
    DUTY_1,
    NOW,
    YOUNG_PERSON,
    add_fallback_team,
    add_team,
    callback_requests,
    fake,
    outbox,
    settings,
)
from tests.test_sms_webhooks import SMS, reply_of, signed, text_in

__all__ = ["fake", "settings"]  # fixtures: Twilio settings pointing at the fake

WEDNESDAY_EVENING = NOW + timedelta(hours=6)  # 20:00 in London (GMT in November)
FRIDAY_EVENING = WEDNESDAY_EVENING + timedelta(days=2)
# What GSM-7 cannot carry in one character: a reply with any of them costs more segments.
GSM_EXTENDED = set("^{}\\[~]|€")


@pytest.fixture
def frozen(client: TestClient) -> TestClient:
    set_clock(client, lambda: NOW)
    return client


def translate(client: TestClient, lang: str, message: str) -> str:
    return context(client).renderer.plain_gettext[lang](message)


def opted_out(settings: Settings, engine: Engine) -> bool:
    with Session(engine) as db:
        row = db.get(OptOut, phone_hash(Keys.of(settings), YOUNG_PERSON))
        return row is not None and row.opted_out


def test_a_replayed_keyword_gets_an_empty_answer_and_creates_nothing(
    frozen: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    first = reply_of(text_in(frozen, "HELP", sid="SM" + "a" * 32))
    assert first is not None and "Ref " in first

    replayed = reply_of(text_in(frozen, "HELP", sid="SM" + "a" * 32))

    assert replayed is None
    assert len(callback_requests(migrated_engine)) == 1
    assert [row.purpose for row in outbox(migrated_engine)] == ["team-alert"]
    # A new text from the same number is a new message: it is answered.
    assert "Ref " in (reply_of(text_in(frozen, "HELP")) or "")


def test_a_replayed_start_cannot_undo_a_later_stop(
    frozen: TestClient, settings: Settings, migrated_engine: Engine
) -> None:
    text_in(frozen, "START", sid="SM" + "1" * 32)
    text_in(frozen, "STOP", sid="SM" + "2" * 32)
    assert opted_out(settings, migrated_engine)

    assert reply_of(text_in(frozen, "START", sid="SM" + "1" * 32)) is None

    assert opted_out(settings, migrated_engine)
    assert reply_of(text_in(frozen, "Hello?")) is None  # still nothing goes to them


def test_a_replayed_other_text_is_answered_once(frozen: TestClient) -> None:
    assert reply_of(text_in(frozen, "what is this", sid="SM" + "3" * 32)) is not None
    assert reply_of(text_in(frozen, "what is this", sid="SM" + "3" * 32)) is None


def test_each_handled_text_is_noted_once_by_its_id(
    frozen: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    for body in ("HELP", "STOP", "START", "hi", "HELP"):
        text_in(frozen, body, sid=f"SM{body}")
    with Session(migrated_engine) as db:
        noted = db.execute(select(InboundSms.message_sid).order_by(InboundSms.message_sid))
        assert list(noted.scalars()) == ["SMHELP", "SMSTART", "SMSTOP", "SMhi"]


def test_a_text_without_a_message_id_does_nothing(
    frozen: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    response = signed(frozen, SMS, {"From": YOUNG_PERSON, "Body": "HELP"})
    assert reply_of(response) is None
    assert callback_requests(migrated_engine) == []


@pytest.mark.parametrize(
    ("body", "lang"),
    [
        (" help!", "en"),
        ("Pomoc.", "pl"),
        ("ajutor", "ro"),
        ("AJUDA", "pt"),
        ("مدد", "ur"),
        ("madad", "ur"),
        ("সাহায্য", "bn"),
        ("ਮਦਦ", "pa"),
        ("مساعدة!", "ar"),
    ],
)
def test_a_keyword_is_answered_in_its_own_language(
    frozen: TestClient, migrated_engine: Engine, body: str, lang: str
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)

    reply = reply_of(text_in(frozen, body)) or ""

    [request] = callback_requests(migrated_engine)
    assert (request.lang, request.call_lang) == (lang, lang)
    thanks = "Thanks, we got your message and will be in touch soon. Ref %(reference)s."
    assert reply == (
        f"{translate(frozen, lang, thanks) % {'reference': request.reference}} {BASE_URL}/{lang}/"
    )
    if lang != "en":
        assert "Thanks" not in reply


def test_other_texts_are_answered_in_the_language_of_the_numbers_last_request(
    frozen: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    text_in(frozen, "HELP")
    set_clock(frozen, lambda: NOW + timedelta(minutes=5))
    text_in(frozen, "POMOC")  # the latest request is in Polish

    reply = reply_of(text_in(frozen, "hej?")) or ""

    help_now = translate(frozen, "pl", "In danger call 999. Childline 0800 1111 (free).")
    assert help_now != "In danger call 999. Childline 0800 1111 (free)."
    assert reply == f"{BASE_URL}/pl/ {help_now}"
    # Someone who never asked is answered in English.
    stranger = reply_of(text_in(frozen, "hej?", sender="+447700900456"))
    assert stranger == f"{BASE_URL}/en/ In danger call 999. Childline 0800 1111 (free)."


def test_a_keyword_over_the_limit_is_answered_in_its_language(
    frozen: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    for _ in range(3):
        text_in(frozen, "AJUDA")

    reply = reply_of(text_in(frozen, "ajuda")) or ""

    limited = translate(frozen, "pt", "We already have your request and will be in touch soon.")
    assert reply.startswith(limited) and "999" in reply
    assert len(callback_requests(migrated_engine)) == 3


def fits_two_segments(text: str) -> bool:
    """Plain GSM-7 text of at most 306 characters: two concatenated SMS segments."""
    return text.isascii() and not GSM_EXTENDED & set(text) and len(text) <= 2 * 153


@pytest.mark.parametrize(
    ("when", "answer"),
    [(WEDNESDAY_EVENING, "Thursday at 9:00 am"), (FRIDAY_EVENING, "Monday at 9:00 am")],
)
def test_out_of_hours_a_keyword_is_told_when_someone_will_answer_and_where_help_is_now(
    client: TestClient, migrated_engine: Engine, when: datetime, answer: str
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    set_clock(client, lambda: when)

    reply = reply_of(text_in(client, "HELP")) or ""

    [request] = callback_requests(migrated_engine)
    assert reply == (
        f"Thanks, we got your message. Ref {request.reference}. We are not at work now. "
        f"Someone will answer from {answer}. This number is not a crisis line. "
        "In danger call 999. Childline 0800 1111 (free). Or text SHOUT to 85258. "
        f"{BASE_URL}/en/"
    )
    assert fits_two_segments(reply)
    for word in ("knife", "crime", "police", "council", "youth"):
        assert word not in reply.lower()


def test_out_of_hours_the_reply_gives_the_day_and_time_in_the_keywords_language(
    client: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    set_clock(client, lambda: FRIDAY_EVENING)

    reply = reply_of(text_in(client, "pomoc")) or ""

    assert "poniedziałek, od 09:00" in reply  # Monday, from 09:00: Babel's Polish day and clock
    assert translate(client, "pl", "This number is not a crisis line.") in reply
    for number in ("999", "0800 1111", "85258"):
        assert number in reply
    assert reply.endswith(f"{BASE_URL}/pl/")


def test_out_of_hours_a_repeated_keyword_also_says_when_someone_will_answer(
    client: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    set_clock(client, lambda: WEDNESDAY_EVENING)
    for _ in range(3):
        text_in(client, "HELP")

    reply = reply_of(text_in(client, "HELP")) or ""

    assert reply.startswith("We already have your request and will be in touch soon. ")
    assert "Someone will answer from Thursday at 9:00 am." in reply
    assert "SHOUT to 85258" in reply and fits_two_segments(reply)


def test_in_working_hours_the_reply_has_no_out_of_hours_notice(
    frozen: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    reply = reply_of(text_in(frozen, "HELP")) or ""
    assert "in touch soon" in reply
    assert "not at work" not in reply and "crisis" not in reply


def test_a_team_without_working_hours_is_answered_as_soon_as_they_can(
    client: TestClient, migrated_engine: Engine
) -> None:
    add_team(migrated_engine, "Duty team", DUTY_1, is_fallback=True, works_byday="")
    set_clock(client, lambda: NOW)

    reply = reply_of(text_in(client, "HELP")) or ""

    assert "Someone will answer as soon as they can." in reply
    assert "not a crisis line" in reply


def test_only_one_of_two_deliveries_of_a_text_at_once_is_handled(
    frozen: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    replies: list[str | None] = []
    barrier = threading.Barrier(2)

    def deliver() -> None:
        barrier.wait()
        replies.append(reply_of(text_in(frozen, "HELP", sid="SM" + "c" * 32)))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(reply is None for reply in replies) == [False, True]
    assert len(callback_requests(migrated_engine)) == 1
    with Session(migrated_engine) as db:
        assert db.execute(select(func.count()).select_from(InboundSms)).scalar() == 1


def test_control_characters_in_a_text_are_dropped_before_anything_is_stored(
    frozen: TestClient, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)

    reply = reply_of(text_in(frozen, "HELP\x00\x1b", sid="SM\x00nul"))
    report = signed(
        frozen, "/webhooks/twilio/status", {"MessageSid": "SM\x00x", "MessageStatus": "sent\x00"}
    )

    assert reply is not None and "Ref" in reply  # still read as the keyword
    assert report.status_code == 200
    assert len(callback_requests(migrated_engine)) == 1
    with Session(migrated_engine) as db:
        assert list(db.execute(select(InboundSms.message_sid)).scalars()) == ["SMnul"]
