"""Admin pages for teams: districts, need codes and E.164 duty phones saved, every field checked,
and only one fallback team."""

from datetime import time

from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.models import CallbackRequest, Team
from tests.admin_helpers import (
    TEAM,
    add_team,
    audit_trail,
    database,
    error_links,
    signed_in,
    team_form,
    team_row,
    web,
)
from tests.factories import load_needs
from tests.test_callback_form import E164, PHONE, Clock, clock, fill_in

__all__ = ["clock", "web"]  # fixtures


def test_a_team_is_saved_with_districts_need_codes_and_e164_phones(web: TestClient) -> None:
    with database(web) as db:
        load_needs(db)
    csrf = signed_in(web, "ana@example.org")

    response = web.post("/admin/teams/new", data={**team_form(), "csrf_token": csrf})

    team = team_row(web, "South youth team")
    assert response.headers["location"] == f"/admin/teams/{team.id}?saved=created"
    assert team.areas == "LU4,LU5,LU6"
    assert team.needs == "pressured,hurt-or-robbed"
    assert team.duty_phones == "+447911123456,+447400123456"
    assert (team.works_byday, team.works_from, team.works_until) == (
        "MO,WE,FR",
        time(10),
        time(18, 30),
    )
    assert "+447911" not in "".join(event.detail for event in audit_trail(web))
    page = web.get(f"/admin/teams/{team.id}").text
    assert 'value="LU4, LU5, LU6"' in page
    assert 'value="pressured" checked' in page


def test_the_team_form_checks_every_field_and_shows_an_error_summary(web: TestClient) -> None:
    with database(web) as db:
        load_needs(db)
    add_team(web, TEAM)
    csrf = signed_in(web, "ana@example.org")
    form = team_form(
        name="north YOUTH team",
        areas="LU1, Luton",
        needs=["not-a-need"],
        duty_phones="01582 123456",  # a landline cannot get the duty texts
        days=["XX"],
        works_from="9am",
        works_until="",
    )

    response = web.post("/admin/teams/new", data={**form, "csrf_token": csrf})

    assert response.status_code == 400
    assert error_links(response.text) == [
        "name",
        "areas",
        "needs",
        "duty_phones",
        "days",
        "works_from",
        "works_until",
    ]
    assert "Luton is not a postcode district" in response.text
    assert 'value="LU1, Luton"' in response.text  # what was typed is kept
    with database(web) as db:
        assert len(db.exec(select(Team)).all()) == 1


def test_only_one_team_is_the_fallback_and_it_cannot_just_be_switched_off(
    web: TestClient,
) -> None:
    with database(web) as db:
        load_needs(db)
    first = add_team(web, TEAM, is_fallback=True)
    csrf = signed_in(web, "ana@example.org")

    web.post("/admin/teams/new", data={**team_form(is_fallback="yes"), "csrf_token": csrf})
    second = team_row(web, "South youth team")
    switch_off = web.post(f"/admin/teams/{second.id}", data={**team_form(), "csrf_token": csrf})

    with database(web) as db:
        fallbacks = db.exec(select(Team.id).where(col(Team.is_fallback).is_(True))).all()
    assert fallbacks == [second.id]
    assert first != second.id
    assert switch_off.status_code == 400
    assert error_links(switch_off.text) == ["is_fallback"]


def test_a_drama_number_is_a_duty_phone_just_as_it_is_a_callback_number(
    web: TestClient, clock: Clock
) -> None:
    # Ofcom's drama range (07700 900xxx) is never a real person: demos and tests use it for both.
    with database(web) as db:
        load_needs(db)
    csrf = signed_in(web, "ana@example.org")

    team = web.post(
        "/admin/teams/new", data={**team_form(duty_phones=PHONE, areas="LU1"), "csrf_token": csrf}
    )
    callback = web.post("/en/callback", data=fill_in(web, clock, phone=PHONE))

    assert team.status_code == 303 and callback.status_code == 303
    assert team_row(web, "South youth team").duty_phones == E164
    with database(web) as db:
        assert (
            db.exec(select(CallbackRequest.team_id)).one() == team_row(web, "South youth team").id
        )


def test_the_number_a_team_calls_from_is_saved_in_e164_and_may_be_a_landline(
    web: TestClient,
) -> None:
    with database(web) as db:
        load_needs(db)
    csrf = signed_in(web, "ana@example.org")

    web.post(
        "/admin/teams/new",
        data={**team_form(calls_from="020 7946 0123"), "csrf_token": csrf},
    )

    team = team_row(web, "South youth team")
    assert team.calls_from == "+442079460123"
    assert 'value="+442079460123"' in web.get(f"/admin/teams/{team.id}").text
    assert "+44207946" not in "".join(event.detail for event in audit_trail(web))
    assert "Calls and texts from: +442079460123" in web.get("/admin/teams").text


def test_a_calls_from_number_that_is_not_a_phone_number_is_refused_with_a_clear_error(
    web: TestClient,
) -> None:
    with database(web) as db:
        load_needs(db)
    csrf = signed_in(web, "ana@example.org")

    response = web.post(
        "/admin/teams/new", data={**team_form(calls_from="call us"), "csrf_token": csrf}
    )

    assert response.status_code == 400
    assert error_links(response.text) == ["calls_from"]
    assert "call us is not a phone number, like 020 7946 0123" in response.text
    assert 'value="call us"' in response.text


def test_the_calls_from_number_can_be_left_empty_and_cleared(web: TestClient) -> None:
    with database(web) as db:
        load_needs(db)
    team_id = add_team(web, "South youth team", calls_from="+442079460123", is_fallback=True)
    csrf = signed_in(web, "ana@example.org")

    response = web.post(
        f"/admin/teams/{team_id}",
        data={**team_form(calls_from="", is_fallback="yes"), "csrf_token": csrf},
    )

    assert response.status_code == 303
    assert team_row(web, "South youth team").calls_from == ""
    assert any("calls_from" in event.detail for event in audit_trail(web))
