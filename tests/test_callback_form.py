"""A young person asks for a call back: validated, routed, stored encrypted, texts queued."""

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from app.models import CallbackRequest, OutboundSms, Team
from tests.app_context import context, set_clock
from tests.factories import load_needs
from tests.helpers import PageParts

LONDON = ZoneInfo("Europe/London")
WEDNESDAY_10AM = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)
PHONE = "07700 900 982"
E164 = "+447700900982"


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def db(migrated_engine: Engine) -> Iterator[Session]:
    with Session(migrated_engine) as session:
        load_needs(session)
        yield session


@pytest.fixture
def clock(client: TestClient) -> Clock:
    clock = Clock(WEDNESDAY_10AM)
    set_clock(client, clock)
    return clock


def add_team(db: Session, name: str, **values: object) -> Team:
    team = Team(name=name, **values)  # type: ignore[arg-type]
    db.add(team)
    db.commit()
    db.refresh(team)
    return team


def fill_in(client: TestClient, clock: Clock, lang: str = "en", **overrides: str) -> dict[str, str]:
    page = client.get(f"/{lang}/callback")
    started = re.search(r'name="started" value="([^"]+)"', page.text)
    assert started is not None
    clock.moment += timedelta(seconds=20)  # a person takes a while to fill it in
    form = {
        "started": started.group(1),
        "website": "",
        "phone": PHONE,
        "name": "Sam",
        "best_time": "evening",
        "need": "pressured",
        "area": "LU1",
        "call_lang": lang,
        "text_ok": "yes",
        "say_who": "no",
    }
    form.update(overrides)
    return form


def count(db: Session, model: type) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


def test_the_form_works_without_javascript_and_asks_for_a_phone_politely(
    client: TestClient, clock: Clock
) -> None:
    page = PageParts(client.get("/en/callback").text)

    phone = next(attributes for attributes in page.all("input") if attributes.get("id") == "phone")
    assert phone["type"] == "tel" and phone["autocomplete"] == "tel"
    assert page.first("form")["method"] == "post"
    assert not page.all("script")[1:]  # only the exit script


def test_a_request_is_stored_encrypted_routed_and_confirmed_with_a_reference(
    client: TestClient, clock: Clock, db: Session, migrated_engine: Engine
) -> None:
    team = add_team(
        db, "Luton North", areas="LU1,LU2", needs="pressured", duty_phones="+447700900111"
    )
    add_team(db, "Everyone else", is_fallback=True)

    response = client.post("/en/callback", data=fill_in(client, clock))

    assert response.status_code == 303
    reference = response.headers["location"].split("ref=")[1]
    assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}", reference)
    confirmation = client.get(response.headers["location"])
    assert reference in confirmation.text and "tel:999" in confirmation.text
    request = db.exec(select(CallbackRequest)).one()
    assert request.team_id == team.id
    assert (request.need, request.area, request.best_time) == ("pressured", "LU1", "evening")
    cipher = context(client).keys.cipher
    assert cipher.decrypt(request.phone_encrypted or "") == E164
    texts = {sms.purpose: sms for sms in db.exec(select(OutboundSms)).all()}
    assert set(texts) == {"team-alert", "confirmation"}
    assert reference in texts["team-alert"].body and "/admin/callbacks/" in texts["team-alert"].body
    assert "7700" not in texts["team-alert"].body and "Sam" not in texts["team-alert"].body
    for word in ("knife", "police", "council", "crime", "youth team"):
        assert word not in texts["confirmation"].body.lower()
    with migrated_engine.connect() as connection:
        dump = " ".join(
            str(value)
            for table in ("callback_request", "outbound_sms")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
            for value in row
        )
    assert "900982" not in dump and "Sam" not in dump


def test_no_text_is_queued_to_a_young_person_who_said_texting_is_not_safe(
    client: TestClient, clock: Clock, db: Session
) -> None:
    add_team(db, "Duty", is_fallback=True, duty_phones="+447700900111")

    client.post("/en/callback", data=fill_in(client, clock, text_ok="no"))

    assert [sms.purpose for sms in db.exec(select(OutboundSms)).all()] == ["team-alert"]


def test_a_request_nobody_covers_goes_to_the_fallback_team(
    client: TestClient, clock: Clock, db: Session
) -> None:
    add_team(db, "Luton South", areas="LU3")
    fallback = add_team(db, "Fallback", is_fallback=True)

    client.post("/en/callback", data=fill_in(client, clock, area="", need=""))

    assert db.exec(select(CallbackRequest)).one().team_id == fallback.id


def test_a_request_is_kept_even_before_any_team_exists(
    client: TestClient, clock: Clock, db: Session
) -> None:
    response = client.post("/en/callback", data=fill_in(client, clock))

    assert response.status_code == 303
    team = db.exec(select(Team)).one()
    assert team.is_fallback
    assert count(db, CallbackRequest) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": ""}, "phone", "Enter your mobile number"),
        ({"phone": "not a number"}, "phone", "Enter a mobile number, like 07700 900 982"),
        ({"phone": "020 7946 0000"}, "phone", "Enter a mobile number, like 07700 900 982"),
        ({"phone": "+48 512 345 678"}, "phone", "Enter a UK mobile number"),
        ({"best_time": ""}, "best_time-today", "Choose when is best to contact you"),
        ({"text_ok": ""}, "text_ok-yes", "Choose if it is safe for us to text you"),
        ({"say_who": "maybe"}, "say_who-yes", "Choose if we can say who we are"),
        ({"area": "Luton"}, "area", "Enter the first part of a postcode"),
        ({"name": "x" * 41}, "name", "Enter a name of 40 characters or fewer"),
    ],
)
def test_mistakes_are_explained_and_nothing_is_stored(
    client: TestClient,
    clock: Clock,
    db: Session,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client.post("/en/callback", data=fill_in(client, clock, **overrides))

    assert response.status_code == 400
    assert "<title>Error:" in response.text
    assert f'href="#{field}"' in response.text
    assert message in re.sub(r"<[^>]+>", "", response.text)
    assert count(db, CallbackRequest) == 0 and count(db, OutboundSms) == 0


def test_a_field_with_a_mistake_tells_screen_readers_it_is_invalid_and_why(
    client: TestClient, clock: Clock, db: Session
) -> None:
    response = client.post("/en/callback", data=fill_in(client, clock, phone="12", area="LU"))

    inputs = {field.get("id"): field for field in PageParts(response.text).all("input")}
    assert inputs["phone"].get("aria-invalid") == "true"
    assert inputs["phone"]["aria-describedby"].split() == ["phone-hint", "phone-error"]
    assert inputs["area"].get("aria-invalid") == "true"
    assert inputs["area"]["aria-describedby"].split() == ["area-hint", "area-error"]
    assert "aria-invalid" not in inputs["name"]
    assert "aria-describedby" not in inputs["name"]


def test_mistakes_are_explained_in_the_reader_language(
    client: TestClient, clock: Clock, db: Session
) -> None:
    response = client.post("/pl/callback", data=fill_in(client, clock, lang="pl", phone=""))

    assert response.status_code == 400
    assert "Enter your mobile number" not in response.text


def test_any_phone_format_is_accepted(client: TestClient, clock: Clock, db: Session) -> None:
    for typed in ("+44 7700 900982", "(07700) 900-982", "447700900982"):
        assert (
            client.post("/en/callback", data=fill_in(client, clock, phone=typed)).status_code == 303
        )


@pytest.mark.parametrize(
    ("overrides", "seconds"),
    [({"website": "http://spam.example"}, 20), ({}, 1)],
)
def test_bots_get_a_polite_refusal_and_nothing_is_stored(
    client: TestClient, clock: Clock, db: Session, overrides: dict[str, str], seconds: int
) -> None:
    form = fill_in(client, clock, **overrides)
    clock.moment -= timedelta(seconds=20 - seconds)

    response = client.post("/en/callback", data=form)

    assert response.status_code == 400
    assert count(db, CallbackRequest) == 0


def test_one_number_can_ask_three_times_a_day(
    client: TestClient, clock: Clock, db: Session
) -> None:
    statuses = [
        client.post("/en/callback", data=fill_in(client, clock)).status_code for _ in range(4)
    ]

    assert statuses == [303, 303, 303, 429]
    assert count(db, CallbackRequest) == 3


def test_one_client_can_send_ten_requests_an_hour(
    client: TestClient, clock: Clock, db: Session
) -> None:
    statuses = [
        client.post(
            "/en/callback", data=fill_in(client, clock, phone=f"07700 900 {100 + i}")
        ).status_code
        for i in range(11)
    ]

    assert statuses == [303] * 10 + [429]


def test_out_of_hours_the_confirmation_says_when_the_team_is_back(
    client: TestClient, clock: Clock, db: Session
) -> None:
    add_team(
        db,
        "Day team",
        is_fallback=True,
        works_byday="MO,TU,WE,TH,FR",
        works_from=time(9),
        works_until=time(17),
    )
    clock.moment = datetime(2026, 11, 27, 20, 0, tzinfo=LONDON)  # Friday evening

    response = client.post("/en/callback", data=fill_in(client, clock), follow_redirects=True)

    page = re.sub(r"<[^>]+>", "", response.text)
    assert "The youth team is not at work now. They start again on Monday at 9:00 am." in page
    assert response.text.count("not at work") == 1


def test_an_unknown_reference_is_not_found(client: TestClient) -> None:
    assert client.get("/en/callback/sent?ref=ZZZZZZ").status_code == 404


def test_two_first_requests_at_once_share_one_fallback_team(migrated_engine: Engine) -> None:
    from app.callbacks.routing import _create_fallback_team

    with migrated_engine.connect() as first, migrated_engine.connect() as second:
        created = _create_fallback_team(first)
        first.commit()
        again = _create_fallback_team(second)  # the second request did not see the first's team
        second.commit()

    assert again.team_id == created.team_id
    with Session(migrated_engine) as db:
        assert count(db, Team) == 1
