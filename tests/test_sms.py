"""The SMS outbox sender, end to end against a fake Twilio that checks Twilio's API description.

Time is frozen (`NOW` and steps from it) rather than slept through; only the provider timeouts
take real time, a fraction of a second each.
"""

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, update

from app.callbacks.requests import phone_hash, team_alert
from app.models import AppSetting, OptOut, OutboundSms
from app.security import Keys
from app.settings import Settings
from app.sms.delivery import set_opt_out
from app.sms.outbox import PAUSED_KEY, claim_due, paused_until, release, sweep
from app.sms.providers import ConsoleProvider, PermanentSendError, TransientSendError, classify
from app.sms.worker import SenderThread
from tests.sms_fake import FakeTwilio
from tests.sms_support import (
    BASE_URL,
    DUTY_1,
    DUTY_2,
    FROM_NUMBER,
    NOW,
    STATUS_CALLBACK,
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

__all__ = ["fake", "settings"]  # fixtures: Twilio settings pointing at the fake


def test_the_team_alert_and_the_confirmation_each_go_out_once(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1, DUTY_2)
    reference = request_callback(migrated_engine, settings)
    sender = make_sender(migrated_engine, settings)

    report = sender.run_once(NOW)
    again = sender.run_once(NOW + timedelta(minutes=5))

    assert (report.claimed, report.sent, again.claimed) == (2, 2, 0)
    assert fake.problems == []
    by_number = {item.field("To"): item for item in fake.accepted}
    assert sorted(by_number) == sorted([DUTY_1, YOUNG_PERSON])  # one each, the first duty phone
    due_at = callback_requests(migrated_engine)[0].due_at
    assert by_number[DUTY_1].field("Body") == team_alert(reference, due_at, BASE_URL)
    assert f"{BASE_URL}/admin/callbacks/{reference}" in by_number[DUTY_1].field("Body")
    confirmation = by_number[YOUNG_PERSON].field("Body")
    assert reference in confirmation
    for word in ("knife", "crime", "police", "council"):
        assert word not in confirmation.lower()
    for item in fake.accepted:
        assert item.field("From") == FROM_NUMBER
        assert item.field("StatusCallback") == STATUS_CALLBACK
    rows = outbox(migrated_engine)
    assert [(row.status, row.attempts) for row in rows] == [("sent", 1), ("sent", 1)]
    assert {row.provider_sid for row in rows} == {item.sid for item in fake.accepted}


def test_a_failing_provider_delays_texts_but_each_arrives_exactly_once(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    request_callback(migrated_engine, settings)
    sender = make_sender(migrated_engine, settings)

    fake.fail_next(2, status=500)
    first = sender.run_once(NOW)
    rows = outbox(migrated_engine)
    assert (first.retrying, [row.status for row in rows]) == (2, ["queued", "queued"])
    assert {row.error_code for row in rows} == {"http-500"}
    for row in rows:  # 30 s ± 20 % after the first failure
        assert timedelta(seconds=24) <= row.next_attempt_at - NOW <= timedelta(seconds=36)
    assert sender.run_once(NOW + timedelta(seconds=10)).claimed == 0  # not due yet

    fake.stall_next(2, seconds=1.0)  # longer than the client waits
    step = NOW + timedelta(minutes=1)
    assert sender.run_once(step).retrying == 2
    rows = outbox(migrated_engine)
    assert {(row.attempts, row.error_code) for row in rows} == {(2, "timeout")}
    for row in rows:  # then 60 s ± 20 %
        assert timedelta(seconds=48) <= row.next_attempt_at - step <= timedelta(seconds=72)

    fake.stop()  # connection refused
    assert sender.run_once(NOW + timedelta(minutes=3)).retrying == 2
    assert {row.error_code for row in outbox(migrated_engine)} == {"connection"}

    fake.start()  # back, on the same port
    recovered = sender.run_once(NOW + timedelta(minutes=10))
    assert recovered.sent == 2
    assert sender.run_once(NOW + timedelta(hours=2)).claimed == 0
    assert fake.problems == []
    assert sorted(item.field("To") for item in fake.accepted) == sorted([DUTY_1, YOUNG_PERSON])
    assert [(row.status, row.attempts) for row in outbox(migrated_engine)] == [("sent", 4)] * 2
    assert [item.outcome for item in fake.received].count("stalled") == 2


def test_a_text_that_keeps_failing_gives_up_after_the_last_attempt(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    request_callback(migrated_engine, settings, text_ok=False)
    sender = make_sender(migrated_engine, settings, max_attempts=3)
    fake.fail_next(3, status=503)
    for minutes in (0, 10, 30):
        sender.run_once(NOW + timedelta(minutes=minutes))
    [row] = outbox(migrated_engine)
    assert (row.status, row.attempts, row.error_code) == ("failed", 3, "http-503")
    assert fake.accepted == []


def test_permanent_errors_are_not_retried_and_21610_opts_the_number_out(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1, DUTY_2)
    request_callback(migrated_engine, settings)
    sender = make_sender(migrated_engine, settings)
    fake.fail_next(1, status=400, code=21211)  # the team alert: invalid number
    fake.fail_next(1, status=400, code=21610)  # the confirmation: they replied STOP before

    sender.run_once(NOW)
    alert, confirmation, retry = outbox(migrated_engine)
    assert (alert.status, alert.error_code, alert.attempts) == ("failed", "21211", 1)
    assert (confirmation.status, confirmation.error_code) == ("failed", "21610")
    # The failed alert goes once more, to the team's other duty phone.
    assert (retry.purpose, retry.retry_of, retry.status) == ("team-alert", alert.id, "queued")
    assert decrypt_to(settings, retry) == DUTY_2
    with Session(migrated_engine) as db:
        opt_out = db.get(OptOut, phone_hash(Keys.of(settings), YOUNG_PERSON))
        assert opt_out is not None and opt_out.opted_out

    sender.run_once(NOW + timedelta(hours=3))
    assert [item.field("To") for item in fake.accepted] == [DUTY_2]
    assert fake.accepted[0].field("Body") == alert.body
    assert len(fake.received) == 3  # nothing retried


@pytest.mark.parametrize(
    ("status", "code", "kind", "reason"),
    [
        (400, 21211, PermanentSendError, "21211"),
        (400, 21610, PermanentSendError, "21610"),
        (400, 21614, PermanentSendError, "21614"),
        (400, 30003, PermanentSendError, "30003"),
        (400, 30006, PermanentSendError, "30006"),
        (401, 20003, PermanentSendError, "20003"),
        (404, None, PermanentSendError, "http-404"),
        (429, 20429, TransientSendError, "http-429"),
        (500, 20500, TransientSendError, "http-500"),
        (503, None, TransientSendError, "http-503"),
    ],
)
def test_errors_are_classified_as_twilio_documents_them(
    status: int, code: int | None, kind: type, reason: str
) -> None:
    error = classify(status, code)
    assert isinstance(error, kind)
    assert error.code == reason


def test_texts_stuck_in_sending_are_swept_back_and_sent_once(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    request_callback(migrated_engine, settings, text_ok=False)
    with Session(migrated_engine) as db:  # a sender claims the text, then dies
        assert len(claim_due(db, NOW, 10)) == 1
        db.commit()
    sender = make_sender(migrated_engine, settings)

    early = sender.run_once(NOW + timedelta(minutes=2))
    assert (early.swept, early.claimed) == (0, 0)  # it may still be sending
    late = sender.run_once(NOW + timedelta(minutes=6))
    assert (late.swept, late.sent) == (1, 1)
    [row] = outbox(migrated_engine)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(fake.accepted) == 1


def test_a_stop_during_a_send_finishes_that_text_and_puts_the_rest_back(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    request_callback(migrated_engine, settings)
    sender = make_sender(migrated_engine, settings)
    stop = threading.Event()
    twilio = sender.provider

    class StopArrivesMidSend:
        def send(
            self, to: str, body: str, status_callback: str | None, purpose: str = "text"
        ) -> str:
            stop.set()  # SIGTERM, or the app shutting down, while this text is with the provider
            return twilio.send(to, body, status_callback, purpose)

    sender.provider = StopArrivesMidSend()
    report = sender.run_once(NOW, stopping=stop.is_set)

    assert (report.claimed, report.sent, report.released) == (2, 1, 1)
    assert len(fake.received) == 1
    sent, rest = sorted(outbox(migrated_engine), key=lambda row: row.status != "sent")
    assert (sent.status, sent.attempts, sent.provider_sid) == ("sent", 1, fake.accepted[0].sid)
    # Back in the queue as if never claimed: due at once, and the attempt not counted.
    assert (rest.status, rest.attempts, rest.claimed_at, rest.error_code) == (
        "queued",
        0,
        None,
        None,
    )

    sender.provider = twilio
    assert sender.run_once(NOW).sent == 1
    assert [(row.status, row.attempts) for row in outbox(migrated_engine)] == [("sent", 1)] * 2
    assert sorted(item.field("To") for item in fake.accepted) == sorted([DUTY_1, YOUNG_PERSON])


def test_a_stopping_sender_releases_only_texts_it_still_holds(
    migrated_engine: Engine, settings: Settings
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    for phone in ("+447700900201", "+447700900202", "+447700900203"):
        request_callback(migrated_engine, settings, text_ok=False, phone=phone)
    with Session(migrated_engine) as db:  # this sender claims three team alerts...
        batch = claim_due(db, NOW, 10)
        db.commit()
    ours, taken_over, swept = (claimed.id for claimed in batch)
    with Session(migrated_engine) as db:  # ...and is so slow that two of its claims look stuck:
        db.exec(
            update(OutboundSms)
            .where(col(OutboundSms.id).in_([taken_over, swept]))
            .values(claimed_at=NOW - timedelta(minutes=10))
        )
        db.commit()
        assert sweep(db, NOW) == 2  # another sender's sweep puts them back in the queue
        [again] = claim_due(db, NOW, 1)  # and claims one of them again
        assert again.id == taken_over

        assert release(db, batch, NOW) == 1
        assert release(db, [], NOW) == 0
        db.commit()
    rows = {row.id: row for row in outbox(migrated_engine)}
    assert (rows[ours].status, rows[ours].attempts, rows[ours].claimed_at) == ("queued", 0, None)
    # The other sender's claim stands, and the swept text keeps the attempt the sweep left it.
    assert (rows[taken_over].status, rows[taken_over].attempts) == ("sending", 2)
    assert rows[taken_over].claimed_at == NOW
    assert (rows[swept].status, rows[swept].attempts) == ("queued", 1)


def test_two_senders_never_claim_the_same_text(migrated_engine: Engine, settings: Settings) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    for _ in range(10):
        request_callback(migrated_engine, settings)
    claimed: list[int] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        barrier.wait()
        for _round in range(5):
            with Session(migrated_engine) as db:
                claimed.extend(item.id for item in claim_due(db, NOW, 3))
                db.commit()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == len(set(claimed))  # nobody claimed a text another sender had
    with Session(migrated_engine) as db:  # and none was lost: what is left can still be claimed
        claimed.extend(item.id for item in claim_due(db, NOW, 100))
    assert sorted(claimed) == sorted(row.id or 0 for row in outbox(migrated_engine))


def test_the_hourly_cap_pauses_sending_and_tells_the_admins(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    request_callback(migrated_engine, settings)
    request_callback(migrated_engine, settings)
    # Two alerts (their own budget) and two confirmations, of which one fits in this hour.
    sender = make_sender(migrated_engine, settings, hourly_cap=1)

    assert sender.run_once(NOW).sent == 3
    with caplog.at_level(logging.WARNING):
        for minutes in (1, 2, 30):
            report = sender.run_once(NOW + timedelta(minutes=minutes))
            assert (report.paused, report.claimed) == (True, 0)
    assert caplog.text.count("Hourly SMS cap reached") == 1  # once, not once per batch
    assert [row.status for row in outbox(migrated_engine)].count("queued") == 1
    with Session(migrated_engine) as db:
        setting = db.get(AppSetting, PAUSED_KEY)
        assert setting is not None
        assert paused_until(db, NOW + timedelta(minutes=2)) == NOW + timedelta(hours=1)

    resumed = sender.run_once(NOW + timedelta(minutes=61))
    assert (resumed.paused, resumed.sent) == (False, 1)
    assert len(fake.accepted) == 4
    with Session(migrated_engine) as db:
        assert db.get(AppSetting, PAUSED_KEY) is None


def test_nothing_is_ever_sent_to_a_number_that_opted_out(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    request_callback(migrated_engine, settings)  # queued before they said STOP
    with Session(migrated_engine) as db:
        set_opt_out(db, phone_hash(Keys.of(settings), YOUNG_PERSON), True, NOW)
        db.commit()
    request_callback(migrated_engine, settings)  # after: not even queued

    make_sender(migrated_engine, settings).run_once(NOW)
    assert [item.field("To") for item in fake.accepted] == [DUTY_1, DUTY_1]
    statuses = [(row.purpose, row.status) for row in outbox(migrated_engine)]
    assert statuses == [
        ("team-alert", "sent"),
        ("confirmation", "cancelled"),
        ("team-alert", "sent"),
    ]


def test_the_sender_thread_sends_with_the_console_backend_and_stops(
    migrated_engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    request_callback(migrated_engine, settings)
    sender = make_sender(migrated_engine, settings, provider=ConsoleProvider(), clock=lambda: NOW)
    handle = SenderThread(sender, interval=0.05)
    with caplog.at_level(logging.INFO):
        handle.start()
        for _ in range(100):
            if all(row.status == "sent" for row in outbox(migrated_engine)):
                break
            handle.stop_event.wait(0.05)
        handle.stop()
    assert not handle.thread.is_alive()
    assert [row.status for row in outbox(migrated_engine)] == ["sent", "sent"]
    assert "team-alert" in caplog.text
    assert "7700900123" not in caplog.text  # purpose and length only
    assert "Thanks" not in caplog.text
