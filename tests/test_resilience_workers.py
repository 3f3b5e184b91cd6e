"""Resilience of the SMS worker, against real `python -m app worker` processes and a fake Twilio
on a real port (see tests/resilience_helpers.py).

What it proves:
- a worker killed (SIGKILL) in the middle of a provider call loses no text, and the worker that
  replaces it sends each text once, as long as the provider never took on the killed request;
- when the provider did take it on and the worker died before recording that, the text goes out
  twice: the known, rare duplicate of an at-least-once sender (shown here, not hidden);
- a worker stopped with SIGTERM mid-batch finishes only the text in flight, puts the rest of its
  batch back in the queue, and exits cleanly at once; the next worker sends the rest: nothing
  lost, nothing sent twice, nothing left waiting in "sending" for the sweep;
- two workers on one database send each of 100 texts exactly once between them.

The "database unavailable" case is in test_routes.py.
"""

import signal
from collections import Counter

from sqlalchemy import Engine

from app.settings import Settings
from tests.resilience_helpers import (
    Fleet,
    HoldingTwilio,
    age_claims,
    all_sent,
    assert_each_sent_once,
    fake,
    fleet,
    queue_texts,
    settings,
    statuses,
)
from tests.sms_support import outbox

__all__ = ["fake", "fleet", "settings"]  # fixtures


def test_a_worker_killed_mid_send_loses_no_text_and_its_replacement_sends_each_once(
    migrated_engine: Engine, settings: Settings, fake: HoldingTwilio, fleet: Fleet
) -> None:
    """SIGKILL while the provider is still working on the 3rd of 6 claimed texts.

    The provider never answers that request (it did not take the text on), so the text is still
    "sending" in the outbox, like the three after it. The next worker's sweep puts claims older than
    STUCK_AFTER back in the queue (the test ages them rather than wait 5 minutes) and sends them:
    every text reaches the provider exactly once. See the next test for the other case.
    """
    bodies = queue_texts(migrated_engine, settings, 6)
    fake.hold(3)
    first = fleet.worker("first")
    fleet.wait_until(fake.holding.is_set, "the worker is mid-send")
    assert statuses(migrated_engine) == {"sent": 2, "sending": 4}

    first.kill()
    first.wait(10)
    fake.let_go(accept=False)
    age_claims(migrated_engine)
    fleet.worker("second")
    fleet.wait_until(all_sent(migrated_engine), "the second worker has sent everything")

    assert_each_sent_once(migrated_engine, fake, bodies)
    assert fake.bodies("abandoned") == Counter([bodies[2]])
    assert "Swept 4 stuck text(s): 4 re-queued, 0 failed" in fleet.log("second")


def test_a_worker_killed_after_the_provider_accepted_sends_that_text_again(
    migrated_engine: Engine, settings: Settings, fake: HoldingTwilio, fleet: Fleet
) -> None:
    """The known, rare duplicate: the provider took the text on, the worker died before recording.

    Twilio's "Send a message" has no idempotency key, so a sender that dies between the provider's
    answer and committing "sent" (a few milliseconds) cannot know the text went: the sweep
    re-queues it and it goes out again. The outbox is at-least-once by design: a young person
    may, rarely, get the same confirmation twice, but a text is never lost. The outbox keeps the
    id of the copy it saw sent; the other text the worker had claimed goes out once.
    """
    bodies = queue_texts(migrated_engine, settings, 2)
    fake.hold(1, after_accepting=True)
    first = fleet.worker("first")
    fleet.wait_until(fake.holding.is_set, "the provider has accepted the first text")
    first.kill()
    first.wait(10)
    fake.let_go(accept=True)
    age_claims(migrated_engine)
    fleet.worker("second")
    fleet.wait_until(all_sent(migrated_engine), "the second worker has sent everything")

    assert fake.bodies() == Counter([bodies[0], bodies[0], bodies[1]])
    copies = [item.sid for item in fake.accepted if item.field("Body") == bodies[0]]
    sent_again = next(row for row in outbox(migrated_engine) if row.body == bodies[0])
    assert sent_again.provider_sid == copies[1]
    assert sent_again.attempts == 2


def test_a_worker_stopped_with_sigterm_mid_batch_finishes_the_text_in_flight_and_requeues_the_rest(
    migrated_engine: Engine, settings: Settings, fake: HoldingTwilio, fleet: Fleet
) -> None:
    """SIGTERM while the provider holds the 3rd text of a full batch (20 of 25 queued texts).

    The worker finishes and records the 3rd text, sends no other, puts the 17 claimed texts it
    never started back in the queue (attempts not counted) and exits 0 at once, not after the
    whole batch. Nothing is left in "sending" for the sweep: the next worker sends the rest.
    """
    bodies = queue_texts(migrated_engine, settings, 25)
    fake.hold(3)
    first = fleet.worker("first")
    fleet.wait_until(fake.holding.is_set, "the worker is mid-send")
    first.send_signal(signal.SIGTERM)
    fleet.wait_until(lambda: "Stopping the SMS sender (SIGTERM)" in fleet.log("first"), "stopping")
    assert first.poll() is None  # still waiting for the text in flight
    fake.let_go(accept=True)

    assert first.wait(10) == 0, fleet.logs()  # promptly: one provider call, not 17 more
    assert "Stopping: 17 of 17 unsent text(s) put back in the queue" in fleet.log("first")
    assert "SMS sender stopped" in fleet.log("first")
    assert statuses(migrated_engine) == {"sent": 3, "queued": 22}
    assert fake.bodies() == Counter(bodies[:3])
    assert len(fake.received) == 3
    queued = [row for row in outbox(migrated_engine) if row.status == "queued"]
    assert {(row.attempts, row.claimed_at) for row in queued} == {(0, None)}

    fleet.worker("second")
    fleet.wait_until(all_sent(migrated_engine), "the second worker has sent the rest")
    assert_each_sent_once(migrated_engine, fake, bodies)
    assert {row.attempts for row in outbox(migrated_engine)} == {1}
    assert "Swept" not in fleet.log("second")


def test_two_workers_on_one_database_send_each_of_100_texts_exactly_once(
    migrated_engine: Engine, settings: Settings, fake: HoldingTwilio, fleet: Fleet
) -> None:
    """Both workers poll the same outbox (each sends from its own number, to tell them apart):
    five full batches of 20, claimed back to back, so their claims race each other."""
    senders = {"a": "+447700900010", "b": "+447700900011"}
    for name, number in senders.items():
        fleet.worker(name, TWILIO_FROM_NUMBER=number)
    fleet.wait_until(
        lambda: all("SMS sender running" in fleet.log(name) for name in senders), "both run"
    )

    bodies = queue_texts(migrated_engine, settings, 100)
    fleet.wait_until(all_sent(migrated_engine), "the workers have sent everything")

    assert_each_sent_once(migrated_engine, fake, bodies)
    assert {item.field("From") for item in fake.accepted} == set(senders.values())
