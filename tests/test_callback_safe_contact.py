"""The callback form's optional safe-contact questions, and what it says before anyone sends it."""

import re
from datetime import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import CallbackRequest, OutboundSms
from tests.helpers import PageParts
from tests.test_callback_form import Clock, add_team, clock, count, db, fill_in

__all__ = ["clock", "db"]  # fixtures shared with test_callback_form

ALL_ANSWERS = {
    "voicemail_ok": "no",
    "text_first": "yes",
    "others_may_answer": "yes",
    "age_band": "13-15",
    "about": "someone-else",
}


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def checked(html: str) -> dict[str, str]:
    return {
        field["name"]: field["value"]
        for field in PageParts(html).all("input")
        if field.get("type") == "radio" and "checked" in field
    }


def test_every_safe_contact_answer_is_stored_for_the_caseworker(
    client: TestClient, clock: Clock, db: Session
) -> None:
    response = client.post("/en/callback", data=fill_in(client, clock, **ALL_ANSWERS))

    assert response.status_code == 303
    request = db.exec(select(CallbackRequest)).one()
    assert request.voicemail_ok is False
    assert request.text_first is True
    assert request.others_may_answer is True
    assert request.age_band == "13-15"
    assert request.about == "someone-else"


def test_a_young_person_can_skip_every_safe_contact_question(
    client: TestClient, clock: Clock, db: Session
) -> None:
    response = client.post("/en/callback", data=fill_in(client, clock))

    assert response.status_code == 303
    request = db.exec(select(CallbackRequest)).one()
    skipped = (
        request.voicemail_ok,
        request.text_first,
        request.others_may_answer,
        request.age_band,
        request.about,
    )
    assert skipped == (None, None, None, None, None)


@pytest.mark.parametrize(("answer", "stored"), [("yes", True), ("not-sure", True), ("no", False)])
def test_not_sure_who_answers_is_stored_as_someone_else_might(
    client: TestClient, clock: Clock, db: Session, answer: str, stored: bool
) -> None:
    client.post("/en/callback", data=fill_in(client, clock, others_may_answer=answer))

    assert db.exec(select(CallbackRequest)).one().others_may_answer is stored


@pytest.mark.parametrize("band", ["under-13", "13-15", "16-17", "18-24", "not-said"])
def test_each_age_band_is_stored_as_its_code(
    client: TestClient, clock: Clock, db: Session, band: str
) -> None:
    client.post("/en/callback", data=fill_in(client, clock, age_band=band))

    assert db.exec(select(CallbackRequest)).one().age_band == band


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"voicemail_ok": "maybe"}, "voicemail_ok-yes", "Choose yes or no for a voicemail"),
        ({"text_first": "later"}, "text_first-yes", "Choose yes or no for a text before we call"),
        ({"others_may_answer": "x"}, "others_may_answer-yes", "Choose yes, no or not sure"),
        ({"age_band": "25-30"}, "age_band-under-13", "Choose your age from the list"),
        ({"about": "them"}, "about-me", "Choose if this is about you or someone else"),
    ],
)
def test_an_answer_that_is_not_a_choice_is_explained_and_nothing_is_lost(
    client: TestClient,
    clock: Clock,
    db: Session,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    answers = {**ALL_ANSWERS, **overrides}
    response = client.post("/en/callback", data=fill_in(client, clock, **answers))

    assert response.status_code == 400
    assert f'href="#{field}"' in response.text
    assert message in words(response.text)
    invalid = {
        radio["id"]: radio
        for radio in PageParts(response.text).all("input")
        if "aria-invalid" in radio
    }
    assert field in invalid and invalid[field]["aria-describedby"] == f"{field}-error"
    name = field.rsplit("-", 1)[0] if field != "age_band-under-13" else "age_band"
    kept = {key: value for key, value in answers.items() if key != name}
    assert checked(response.text) == {
        "best_time": "evening",
        "text_ok": "yes",
        "say_who": "no",
        **kept,
    }
    inputs = {field.get("id"): field for field in PageParts(response.text).all("input")}
    assert inputs["phone"]["value"] == "07700 900 982" and inputs["name"]["value"] == "Sam"
    assert count(db, CallbackRequest) == 0 and count(db, OutboundSms) == 0


def test_we_will_not_text_first_when_they_said_texting_is_not_safe(
    client: TestClient, clock: Clock, db: Session
) -> None:
    form = fill_in(client, clock, text_ok="no", text_first="yes", voicemail_ok="no")

    response = client.post("/en/callback", data=form)

    assert response.status_code == 400
    assert 'href="#text_first-yes"' in response.text
    assert "You said it is not safe to text you, so we cannot text before we call." in words(
        response.text
    )
    assert checked(response.text) == {
        "best_time": "evening",
        "text_ok": "no",
        "say_who": "no",
        "text_first": "yes",
        "voicemail_ok": "no",
    }
    assert count(db, CallbackRequest) == 0


@pytest.mark.parametrize(("text_ok", "text_first"), [("no", "no"), ("yes", "yes"), ("no", "")])
def test_text_first_is_accepted_when_it_fits_the_answer_about_texting(
    client: TestClient, clock: Clock, db: Session, text_ok: str, text_first: str
) -> None:
    form = fill_in(client, clock, text_ok=text_ok, text_first=text_first)

    assert client.post("/en/callback", data=form).status_code == 303
    stored = db.exec(select(CallbackRequest)).one().text_first
    assert stored == {"yes": True, "no": False, "": None}[text_first]


def test_the_safe_contact_questions_sit_under_one_heading_as_labelled_groups(
    client: TestClient, clock: Clock
) -> None:
    html = client.get("/en/callback").text

    after_heading = html.split("<h2>Keeping contact safe</h2>")[1].split("<h2>")[0]
    legends = re.findall(r"<legend>(.*?)</legend>", after_heading)
    assert legends == [
        "Is it safe for us to text you?",
        "Can we say who we are when we call?",
        "Should we text before we call? (optional)",
        "Can we leave a voicemail? (optional)",
        "Might someone else answer this phone? (optional)",
        "How old are you? (optional)",
        "Is this about you or someone else? (optional)",
    ]


def test_before_sending_the_form_shows_the_fallback_team_hours_and_number(
    client: TestClient, clock: Clock, db: Session
) -> None:
    add_team(db, "Luton North", areas="LU1", works_from=time(10), calls_from="01582 000111")
    add_team(
        db,
        "Duty",
        is_fallback=True,
        works_byday="MO,TU,WE,TH,FR,SA",
        works_until=time(18),
        calls_from="+441582000222",
    )

    english = words(client.get("/en/callback").text)
    polish = words(client.get("/pl/callback").text)

    assert "The youth team works Monday to Saturday, 9:00 am to 6:00 pm." in english
    assert "We will call or text you from 01582 000222, so you will know it is us." in english
    assert "01582 000111" not in english and "10:00 am" not in english
    assert "poniedziałek – sobota, od 09:00 do 18:00." in polish
    assert "pm" not in polish.split("Kiedy się odezwiemy")[1].split("Co zapisujemy")[0]


def test_when_every_team_shares_hours_and_number_the_form_shows_those(
    client: TestClient, clock: Clock, db: Session
) -> None:
    for name, fallback in (("North", False), ("South", False), ("Duty", True)):
        add_team(
            db,
            name,
            is_fallback=fallback,
            works_byday="SA,SU",
            works_from=time(8, 30),
            calls_from="01582 000333",
        )

    english = words(client.get("/en/callback").text)

    assert "The youth team works on Saturday, Sunday, 8:30 am to 5:00 pm." in english
    assert "We will call or text you from 01582 000333, so you will know it is us." in english


def test_without_a_number_the_form_leaves_the_number_sentence_out(
    client: TestClient, clock: Clock, db: Session
) -> None:
    add_team(db, "Duty", is_fallback=True)

    english = words(client.get("/en/callback").text)

    assert "The youth team works Monday to Friday, 9:00 am to 5:00 pm." in english
    assert "We will call or text you from" not in english


def test_the_form_says_exactly_who_can_see_the_number_and_links_the_privacy_notice(
    client: TestClient, clock: Clock
) -> None:
    html = client.get("/en/callback").text
    keep = html.split("<h2>What we keep</h2>")[1].split("</form>")[0]

    assert "Only the youth team your request goes to can see your number." in words(keep)
    assert "An admin can see it only in an emergency check, and every check is recorded." in words(
        keep
    )
    assert "for your area can see them" not in html
    assert '<a href="/en/privacy">' in keep
    urdu = client.get("/ur/callback").text
    assert '<a href="/ur/privacy">ہمارا پرائیویسی نوٹس پڑھیں</a>' in urdu
