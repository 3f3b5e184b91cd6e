"""After sending: what happens next and by when, the reference, and help if it cannot wait."""

import re
from datetime import datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Team
from tests.helpers import PageParts
from tests.test_callback_form import LONDON, WEDNESDAY_10AM, Clock, add_team, clock, db, fill_in

__all__ = ["clock", "db"]  # fixtures shared with test_callback_form

FRIDAY_8PM = datetime(2026, 11, 27, 20, 0, tzinfo=LONDON)


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def main(html: str) -> str:
    return html.split('<main id="main">')[1].split("</main>")[0]


def day_team(db: Session, **values: object) -> Team:
    """The fallback team, at work Monday to Friday, 9:00 to 17:00."""
    return add_team(db, "Day team", is_fallback=True, **values)


def send(client: TestClient, clock: Clock, lang: str = "en", **answers: str) -> str:
    response = client.post(f"/{lang}/callback", data=fill_in(client, clock, lang, **answers))
    assert response.status_code == 303
    return str(response.headers["location"])


def test_the_confirmation_says_by_when_a_youth_worker_will_call(
    client: TestClient, clock: Clock, db: Session
) -> None:
    day_team(db)

    page = words(main(client.get(send(client, clock)).text))

    # Sent on Wednesday at 10:00: due within 24 hours, while the team is at work.
    assert "A youth worker will call you tomorrow by 10:00 am." in page
    assert "not at work" not in page


def test_out_of_hours_it_says_once_when_the_team_is_back_and_promises_a_working_time(
    client: TestClient, clock: Clock, db: Session
) -> None:
    day_team(db)
    clock.moment = FRIDAY_8PM

    page = words(main(client.get(send(client, clock)).text))

    assert "The youth team is not at work now. They start again on Monday at 9:00 am." in page
    # Due Saturday evening, when nobody is at work: the promise is the end of Monday instead.
    assert "A youth worker will call you by Monday at 5:00 pm." in page
    assert page.count("not at work") == 1 and "Closed now" not in page


def test_polish_readers_get_their_own_words_and_a_24_hour_clock(
    client: TestClient, clock: Clock, db: Session
) -> None:
    day_team(db)
    clock.moment = FRIDAY_8PM

    page = words(main(client.get(send(client, clock, "pl")).text))

    assert "Wraca do pracy w dniu: poniedziałek, o 09:00." in page
    assert "zadzwoni do ciebie najpóźniej w dniu: poniedziałek, do 17:00." in page
    assert not re.search(r"\b(am|pm|AM|PM)\b", page)


def test_urdu_readers_get_urdu_sentences_with_urdu_full_stops(
    client: TestClient, clock: Clock, db: Session
) -> None:
    day_team(db)

    html = main(client.get(send(client, clock, "ur")).text)

    assert "ایک یوتھ ورکر کل 10:00 AM تک آپ کو کال کرے گا۔" in words(html)
    assert "A youth worker" not in html


def test_the_reference_is_shown_with_what_it_is_for(
    client: TestClient, clock: Clock, db: Session
) -> None:
    location = send(client, clock)
    reference = location.split("ref=")[1]

    page = main(client.get(location).text)

    assert f'<strong dir="ltr">{reference}</strong>' in page
    assert f"Your reference is {reference}." in words(page)
    assert "If you text us, give this reference." in words(page)


def test_999_childline_and_shout_can_be_tapped(
    client: TestClient, clock: Clock, db: Session
) -> None:
    page = PageParts(main(client.get(send(client, clock)).text))

    links = {link["href"] for link in page.all("a")}
    assert {"tel:999", "tel:08001111", "sms:85258?&body=SHOUT"} <= links
    text = words(main(client.get(send(client, clock)).text))
    assert "If it cannot wait" in text
    assert "If you are in danger now, call 999." in text
    assert "Childline: call 0800 1111. It is free and does not show on your bill." in text
    assert "Shout: text SHOUT to 85258, day or night." in text


@pytest.mark.parametrize(
    ("text_ok", "sentence"),
    [
        ("yes", "We will call or text you from 01582 000444, so you will know it is us."),
        ("no", "We will call you from 01582 000444, so you will know it is us."),
    ],
)
def test_the_number_we_will_call_from_is_the_routed_team_number(
    client: TestClient, clock: Clock, db: Session, text_ok: str, sentence: str
) -> None:
    add_team(db, "Luton North", areas="LU1", calls_from="+441582000444")
    day_team(db, calls_from="01582 000999")

    page = words(main(client.get(send(client, clock, text_ok=text_ok)).text))

    assert sentence in page and "000999" not in page


def test_without_a_number_the_confirmation_leaves_the_number_sentence_out(
    client: TestClient, clock: Clock, db: Session
) -> None:
    day_team(db)

    page = words(main(client.get(send(client, clock)).text))

    assert "so you will know it is us" not in page and "A youth worker will call you" in page


def test_someone_who_asked_for_a_text_first_is_told_to_expect_one(
    client: TestClient, clock: Clock, db: Session
) -> None:
    day_team(db)

    asked = words(main(client.get(send(client, clock, text_first="yes")).text))
    not_asked = words(main(client.get(send(client, clock, text_first="no")).text))

    expected = "You asked us to text first, so you will get a text before we call."
    assert expected in asked and expected not in not_asked


def test_the_page_shows_nothing_personal_and_only_for_a_day(
    client: TestClient, clock: Clock, db: Session
) -> None:
    location = send(client, clock, name="Robin")

    page = client.get(location)
    clock.moment += timedelta(days=1, minutes=1)
    later = client.get(location)

    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for personal in ("Robin", "900 982", "900982", "LU1", "Someone is pressuring me"):
        assert personal not in main(page.text)
    assert later.status_code == 404
    assert client.get("/en/callback/sent?ref=ZZZZZZ").status_code == 404


def test_switching_language_keeps_the_reader_on_the_confirmation(
    client: TestClient, clock: Clock, db: Session
) -> None:
    location = send(client, clock)

    page = client.get(location).text

    assert f'href="/pl/callback/sent?ref={location.split("ref=")[1]}"' in page


def test_a_team_at_work_every_day_round_the_clock_promises_the_due_time(
    client: TestClient, clock: Clock, db: Session
) -> None:
    day_team(db, works_byday="MO,TU,WE,TH,FR,SA,SU", works_from=time(0), works_until=time(0))
    clock.moment = WEDNESDAY_10AM

    page = words(main(client.get(send(client, clock)).text))

    assert "A youth worker will call you tomorrow by 10:00 am." in page
    assert "not at work" not in page
