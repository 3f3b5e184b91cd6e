"""Callback posts under load: one short transaction each, limits that hold under concurrency, and
nothing half-stored when something fails. Runs on SQLite and (TEST_DATABASE_URL) PostgreSQL."""

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.callbacks.requests import (
    CallbackDetails,
    Stored,
    create_callback,
)
from app.database import make_engine
from app.models import CallbackRequest, OutboundSms, RateLimitHit
from app.rate_limit import Limit, bucket_key
from app.security import Keys
from tests.app_context import context
from tests.helpers import made_by_the_request
from tests.test_callback_form import WEDNESDAY_10AM, Clock, add_team, clock, count, db, fill_in

__all__ = ["clock", "db"]  # fixtures shared with test_callback_form

# Statements for one accepted post: BEGIN IMMEDIATE (SQLite only), the three limit counts (the
# form's single-use token, the client, the number), pruning an old window (only when a count
# opened a new window), the teams, the request, its texts.
STATEMENTS_PER_POST = 8


def app_engine(client: TestClient) -> Engine:
    engine: Engine = context(client).engine
    return engine


class Recorder:
    """SQL statements and commits on an engine while in use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        self.commits = 0

    def _statement(self, *args: Any) -> None:
        if made_by_the_request(str(args[2]), args[3]):
            self.statements.append(str(args[2]))

    def _commit(self, *_args: Any) -> None:
        self.commits += 1

    def __enter__(self) -> "Recorder":
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)


def test_an_accepted_post_is_one_transaction_of_a_few_statements(
    client: TestClient, clock: Clock, db: Session
) -> None:
    add_team(db, "Luton North", areas="LU1", needs="pressured", duty_phones="+447700900111")
    add_team(db, "Everyone else", is_fallback=True, duty_phones="+447700900112")
    form = fill_in(client, clock)
    assert client.post("/en/callback", data=form).status_code == 303  # warm: windows exist
    new_number, same_again = fill_in(client, clock, phone="07700 900 123"), fill_in(client, clock)

    with Recorder(app_engine(client)) as first:
        first_post = client.post("/en/callback", data=new_number)
    with Recorder(app_engine(client)) as again:
        same_number = client.post("/en/callback", data=same_again)

    assert first_post.status_code == 303 and same_number.status_code == 303
    # A new number opens a window (its older windows are pruned in the same transaction).
    assert len(first.statements) <= STATEMENTS_PER_POST, first.statements
    assert len(again.statements) <= STATEMENTS_PER_POST - 1, again.statements
    assert first.commits == 1 and again.commits == 1
    assert count(db, CallbackRequest) == 3 and count(db, OutboundSms) == 6


def test_a_refused_post_still_counts_against_the_limits_in_one_transaction(
    client: TestClient, clock: Clock, db: Session
) -> None:
    forms = [fill_in(client, clock) for _ in range(4)]  # each form's token is good once
    for form in forms[:3]:
        assert client.post("/en/callback", data=form).status_code == 303

    with Recorder(app_engine(client)) as refused:
        response = client.post("/en/callback", data=forms[3])

    assert response.status_code == 429
    assert refused.commits == 1
    assert not [s for s in refused.statements if "callback_request" in s or "outbound" in s]
    assert count(db, CallbackRequest) == 3


def test_the_same_number_posted_at_once_is_accepted_exactly_three_times(
    client: TestClient, clock: Clock, db: Session
) -> None:
    add_team(db, "Everyone", is_fallback=True, duty_phones="+447700900111")
    forms = [fill_in(client, clock) for _ in range(9)]  # the same number, each its own form
    start = threading.Barrier(9)

    def post(n: int) -> int:
        start.wait()
        return client.post("/en/callback", data=forms[n]).status_code

    with ThreadPoolExecutor(9) as pool:
        statuses = Counter(pool.map(post, range(9)))

    assert statuses == {303: 3, 429: 6}
    assert count(db, CallbackRequest) == 3
    assert count(db, OutboundSms) == 6  # each accepted request has its team alert and its text


@pytest.fixture
def second_instance(client: TestClient) -> Iterator[Engine]:
    """Another app instance's engine on the same database (its own pool, its own write lock)."""
    engine = make_engine(app_engine(client).url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


def test_two_instances_share_the_limits_through_the_database(
    client: TestClient, second_instance: Engine
) -> None:
    keys = context(client).keys
    secret = keys.hash_secret
    details = CallbackDetails(
        phone="+447700900555",
        name="",
        best_time="any",
        need=None,
        area=None,
        lang="en",
        call_lang="en",
        text_ok=True,
        say_who=False,
    )
    engines = [app_engine(client), second_instance]
    start = threading.Barrier(12)

    def submit(i: int) -> Stored | Limit:
        limits = [
            Limit(bucket_key(secret, "callback-client", f"client-{i}"), 10, timedelta(hours=1)),
            Limit(bucket_key(secret, "callback-number", "the-number"), 3, timedelta(hours=24)),
        ]
        start.wait()
        return create_callback(
            engines[i % 2],
            limits,
            details,
            keys,
            WEDNESDAY_10AM,
            timedelta(hours=24),
            "https://card.example",
            lambda s: s,
        )

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(submit, range(12)))

    assert len([outcome for outcome in outcomes if isinstance(outcome, Stored)]) == 3
    with Session(second_instance) as db:
        assert count(db, CallbackRequest) == 3
    with second_instance.connect() as connection:
        hits = connection.execute(text("SELECT hits FROM rate_limit_hit WHERE hits > 1")).all()
    assert [row[0] for row in hits] == [12]  # every post counted on the number, none lost


def break_the_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """The texts' insert fails with a database error, after the request row was written."""
    import app.callbacks.requests as requests

    def failing(db: Any, *_args: object) -> None:
        db.execute(text("INSERT INTO no_such_table VALUES (1)"))

    monkeypatch.setattr(requests, "queue_texts", failing)


def test_a_post_that_fails_half_way_stores_nothing_and_says_what_to_do(
    client: TestClient, clock: Clock, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = fill_in(client, clock)
    break_the_outbox(monkeypatch)

    response = client.post("/en/callback", data=form)

    assert response.status_code == 503
    assert "try again" in response.text.lower()
    assert count(db, CallbackRequest) == 0 and count(db, OutboundSms) == 0
    assert count(db, RateLimitHit) == 0  # a post that was not stored does not use up a limit
    monkeypatch.undo()
    assert client.post("/en/callback", data=form).status_code == 303


def test_a_request_from_a_text_that_fails_half_way_stores_nothing(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = Keys(context(client).keys.cipher, "secret")
    details = CallbackDetails("+447700900555", "", "any", None, None, "en", "en", True, False)
    break_the_outbox(monkeypatch)

    with pytest.raises(DBAPIError, match="no_such_table"):
        create_callback(
            app_engine(client),
            [],
            details,
            keys,
            WEDNESDAY_10AM,
            timedelta(hours=1),
            "https://x",
            str,
        )

    assert count(db, CallbackRequest) == 0 and count(db, OutboundSms) == 0


def test_a_post_on_a_connection_the_server_dropped_is_stored_once(
    client: TestClient, clock: Clock
) -> None:
    engine = app_engine(client)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop connections")
    form, second_form = fill_in(client, clock), fill_in(client, clock)  # each token is good once
    assert client.post("/en/callback", data=form).status_code == 303  # a connection is pooled
    admin = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with admin.connect() as connection:  # as if the server restarted: pooled links are dead
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        assert killed >= 1

        response = client.post("/en/callback", data=second_form)

        assert response.status_code == 303
        with Session(admin) as db:
            assert count(db, CallbackRequest) == 2
    finally:
        admin.dispose()
