"""Team alerts first: their own hourly budget, claimed before confirmations, and escalation of a
request nobody claims (the team's next duty phone, then the fallback team's).

`NOW` is a Wednesday at 14:00 in London, inside a Monday-to-Friday 9:00-17:00 team's hours.
Texts go to a fake Twilio that checks them against Twilio's API description.
"""

import threading
from datetime import timedelta

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from app.callbacks.escalation import escalate, escalate_due, find_due
from app.callbacks.requests import Text, phone_hash, queue_texts
from app.callbacks.retention import wipe_expired
from app.database import in_transaction
from app.models import CallbackRequest, InboundSms, OutboundSms
from app.security import Keys
from app.settings import Settings
from app.sms.worker import SenderThread
from tests.sms_fake import FakeTwilio
from tests.sms_support import (
    BASE_URL,
    DUTY_1,
    DUTY_2,
    DUTY_3,
    NOW,
    add_fallback_team,
    add_team,
    callback_requests,
    decrypt_to,
    fake,
    make_sender,
    outbox,
    request_callback,
    settings,
)

__all__ = ["fake", "settings"]  # fixtures: Twilio settings pointing at the fake

AREA = "E1"
HOUR = timedelta(hours=1)


def queue_confirmations(engine: Engine, settings: Settings, count: int) -> None:
    keys = Keys.of(settings)
    with Session(engine) as db:
        for index in range(count):
            number = f"+4477009005{index:02d}"
            text = Text(keys.cipher.encrypt(number), phone_hash(keys, number), "Hi", "confirmation")
            queue_texts(db, [text], None, NOW)
        db.commit()


def sent_to(fake: FakeTwilio) -> list[str]:
    return [item.field("To") for item in fake.accepted]


def test_a_full_hourly_cap_of_confirmations_never_holds_back_a_team_alert(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    queue_confirmations(migrated_engine, settings, 5)
    sender = make_sender(migrated_engine, settings, hourly_cap=3)
    assert sender.run_once(NOW).sent == 3  # the cap for texts other than alerts is full
    request_callback(migrated_engine, settings, text_ok=False)  # a real request: its alert

    report = sender.run_once(NOW + timedelta(minutes=1))

    assert (report.sent, report.paused) == (1, True)
    assert sent_to(fake)[-1] == DUTY_1
    assert [row.status for row in outbox(migrated_engine)].count("queued") == 2


def test_alerts_are_claimed_before_confirmations_queued_earlier(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    queue_confirmations(migrated_engine, settings, 30)  # more than one batch
    request_callback(migrated_engine, settings, text_ok=False, now=NOW + timedelta(seconds=1))
    sender = make_sender(migrated_engine, settings, batch_size=5)

    assert sender.run_once(NOW + timedelta(minutes=1)).sent == 5

    assert sent_to(fake)[0] == DUTY_1


def test_team_alerts_have_their_own_hourly_cap(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_1)
    for _ in range(3):
        request_callback(migrated_engine, settings)
    sender = make_sender(migrated_engine, settings, alert_hourly_cap=2, hourly_cap=10)

    report = sender.run_once(NOW)

    assert report.sent == 5  # two alerts, three confirmations
    assert sent_to(fake).count(DUTY_1) == 2
    held = sender.run_once(NOW + timedelta(minutes=1))
    assert (held.sent, held.paused) == (0, True)
    later = sender.run_once(NOW + HOUR + timedelta(minutes=1))
    assert (later.sent, later.paused) == (1, False)


def escalations(engine: Engine) -> list[tuple[int, object]]:
    return [(row.escalations, row.escalate_at) for row in callback_requests(engine)]


def alerts(engine: Engine, settings: Settings) -> list[tuple[str, str]]:
    """(number, body) of every team alert queued, oldest first."""
    return [
        (decrypt_to(settings, row), row.body)
        for row in outbox(engine)
        if row.purpose == "team-alert"
    ]


def test_an_unclaimed_request_alerts_the_next_duty_phone_then_the_fallback_team(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_3)
    add_team(migrated_engine, "East", DUTY_1, DUTY_2, areas=AREA)
    reference = request_callback(migrated_engine, settings, area=AREA)
    sender = make_sender(migrated_engine, settings)
    assert escalations(migrated_engine) == [(0, NOW + HOUR)]  # the team is at work

    assert sender.escalate_if_due(NOW + HOUR - timedelta(minutes=1)) == 0
    assert sender.escalate_if_due(NOW + HOUR) == 1
    assert escalations(migrated_engine) == [(1, NOW + 2 * HOUR)]
    assert sender.escalate_if_due(NOW + 2 * HOUR) == 1
    assert escalations(migrated_engine) == [(2, None)]
    assert sender.escalate_if_due(NOW + 5 * HOUR) == 0  # no step left

    sent = alerts(migrated_engine, settings)
    assert [number for number, _body in sent] == [DUTY_1, DUTY_2, DUTY_3]
    for _number, body in sent[1:]:
        assert f"{reference} (not yet claimed)" in body
        assert body.endswith(f"{BASE_URL}/admin/callbacks/{reference}")
        assert "7700900123" not in body  # never the young person's number
    sender.run_once(NOW + 2 * HOUR)
    assert sorted(sent_to(fake)) == sorted([DUTY_1, DUTY_2, DUTY_3, "+447700900123"])


def test_a_request_made_out_of_hours_escalates_an_hour_after_the_team_starts(
    migrated_engine: Engine, settings: Settings
) -> None:
    add_team(migrated_engine, "East", DUTY_1, DUTY_2, areas=AREA)
    friday_evening = NOW + timedelta(days=2, hours=6)  # 20:00
    request_callback(migrated_engine, settings, area=AREA, now=friday_evening)

    monday_ten = NOW + timedelta(days=5, hours=-4)  # 10:00 London, Monday
    assert escalations(migrated_engine) == [(0, monday_ten)]
    sender = make_sender(migrated_engine, settings)
    assert sender.escalate_if_due(monday_ten - timedelta(minutes=1)) == 0
    assert sender.escalate_if_due(monday_ten) == 1


def test_a_step_with_no_phone_to_alert_is_skipped(
    migrated_engine: Engine, settings: Settings
) -> None:
    add_fallback_team(migrated_engine, DUTY_3)
    add_team(migrated_engine, "East", DUTY_1, areas=AREA)  # no second duty phone
    request_callback(migrated_engine, settings, area=AREA)

    assert make_sender(migrated_engine, settings).escalate_if_due(NOW + HOUR) == 1

    assert escalations(migrated_engine) == [(2, None)]
    assert [number for number, _ in alerts(migrated_engine, settings)] == [DUTY_1, DUTY_3]


def test_a_claimed_or_closed_request_never_escalates(
    migrated_engine: Engine, settings: Settings
) -> None:
    add_fallback_team(migrated_engine, DUTY_3)
    add_team(migrated_engine, "East", DUTY_1, DUTY_2, areas=AREA)
    request_callback(migrated_engine, settings, area=AREA)
    request_callback(migrated_engine, settings, area=AREA)
    with Session(migrated_engine) as db:
        first, second = (row.id for row in callback_requests(migrated_engine))
        db.execute(
            update(CallbackRequest).where(CallbackRequest.id == first).values(status="claimed")
        )
        db.execute(
            update(CallbackRequest).where(CallbackRequest.id == second).values(status="closed")
        )
        db.commit()

    assert make_sender(migrated_engine, settings).escalate_if_due(NOW + 3 * HOUR) == 0
    assert [number for number, _ in alerts(migrated_engine, settings)] == [DUTY_1, DUTY_1]


def test_two_senders_escalating_at_once_alert_only_once(
    migrated_engine: Engine, settings: Settings
) -> None:
    add_fallback_team(migrated_engine, DUTY_3)
    add_team(migrated_engine, "East", DUTY_1, DUTY_2, areas=AREA)
    for _ in range(5):
        request_callback(migrated_engine, settings, area=AREA)
    senders = [make_sender(migrated_engine, settings) for _ in range(4)]
    barrier = threading.Barrier(len(senders))
    moved: list[int] = []

    def run(sender_index: int) -> None:
        barrier.wait()
        moved.append(senders[sender_index].escalate_if_due(NOW + HOUR))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(senders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(moved) == 5
    assert escalations(migrated_engine) == [(1, NOW + 2 * HOUR)] * 5
    numbers = [number for number, _ in alerts(migrated_engine, settings)]
    assert (numbers.count(DUTY_1), numbers.count(DUTY_2)) == (5, 5)


def test_a_sender_that_read_a_request_late_does_not_escalate_it_again(
    migrated_engine: Engine, settings: Settings
) -> None:
    add_fallback_team(migrated_engine, DUTY_3)
    add_team(migrated_engine, "East", DUTY_1, DUTY_2, areas=AREA)
    request_callback(migrated_engine, settings, area=AREA)
    keys = Keys.of(settings)
    later = NOW + HOUR
    stale = in_transaction(migrated_engine, lambda db: find_due(db, later))  # read...
    moved = in_transaction(migrated_engine, lambda db: escalate_due(db, keys, later, BASE_URL))
    assert moved == 1  # ...meanwhile another sender escalated it

    again = in_transaction(
        migrated_engine, lambda db: escalate(db, stale[0], DUTY_3, keys, later, BASE_URL)
    )

    assert again is False
    assert escalations(migrated_engine) == [(1, NOW + 2 * HOUR)]
    assert len(alerts(migrated_engine, settings)) == 2


def test_a_team_without_a_duty_phone_has_the_fallback_team_alerted_at_once(
    migrated_engine: Engine, settings: Settings
) -> None:
    add_fallback_team(migrated_engine, DUTY_3)
    add_team(migrated_engine, "East", areas=AREA)  # no duty phone
    reference = request_callback(migrated_engine, settings, area=AREA)

    [(number, body)] = alerts(migrated_engine, settings)
    assert number == DUTY_3 and reference in body
    assert "not yet claimed" not in body
    assert escalations(migrated_engine) == [(2, None)]  # escalation starts at the fallback step
    assert make_sender(migrated_engine, settings).escalate_if_due(NOW + 5 * HOUR) == 0


def test_with_no_duty_phone_anywhere_the_request_is_kept_and_no_alert_queued(
    migrated_engine: Engine, settings: Settings
) -> None:
    add_fallback_team(migrated_engine)
    add_team(migrated_engine, "East", areas=AREA)
    request_callback(migrated_engine, settings, area=AREA, text_ok=False)

    assert len(callback_requests(migrated_engine)) == 1
    assert outbox(migrated_engine) == []


def test_the_sender_thread_escalates_and_sends_the_alert(
    migrated_engine: Engine, settings: Settings, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, DUTY_3)
    add_team(migrated_engine, "East", DUTY_1, DUTY_2, areas=AREA)
    request_callback(migrated_engine, settings, area=AREA, text_ok=False)
    sender = make_sender(migrated_engine, settings, clock=lambda: NOW + HOUR)
    handle = SenderThread(sender, interval=0.05)
    handle.start()
    for _ in range(100):
        if DUTY_2 in sent_to(fake):
            break
        handle.stop_event.wait(0.05)
    handle.stop()
    assert sent_to(fake) == [DUTY_1, DUTY_2]


def test_retention_forgets_handled_inbound_texts_after_a_week(
    migrated_engine: Engine,
) -> None:
    with Session(migrated_engine) as db:
        db.add(InboundSms(message_sid="SMold", received_at=NOW - timedelta(days=7, minutes=1)))
        db.add(InboundSms(message_sid="SMnew", received_at=NOW - timedelta(days=6)))
        db.commit()
        wipe_expired(db, NOW, 30, 90)
        db.commit()
        kept = db.execute(select(InboundSms.message_sid)).scalars().all()
        assert kept == ["SMnew"]
        assert db.execute(select(func.count()).select_from(OutboundSms)).scalar() == 0
