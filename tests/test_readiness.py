"""Ready or not: every readiness problem appears when it is true and goes when it is fixed, on the
admin Readiness page, the dashboard and `python -m app check` (exit 1 on a blocking problem)."""

from collections.abc import Callable
from dataclasses import replace
from datetime import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.__main__ import main
from app.content import Content, load_content
from app.models import Team
from app.readiness import Problem, readiness_problems
from app.settings import PROJECT_ROOT, Settings, base_url_problem
from tests.admin_helpers import add_team, signed_in, team_form, web
from tests.conftest import make_settings
from tests.factories import load_needs

__all__ = ["web"]  # fixtures

PUBLIC = "https://card.example.org"
NORTH, SOUTH = "/admin/teams/{north}", "/admin/teams/{south}"  # filled in with the teams' ids
READY_TEAM = {
    "duty_phones": "+447700900123",
    "calls_from": "+442079460000",
    "is_fallback": True,
}


def ready_settings(tmp_path: Path, **changes: object) -> Settings:
    """A production install with everything set: https address, Twilio with a sending number."""
    values: dict[str, object] = {
        "app_env": "production",
        "public_base_url": PUBLIC,
        "sms_backend": "twilio",
        "twilio_account_sid": "AC" + "0" * 32,
        "twilio_auth_token": "token",
        "twilio_from_number": "+447700900001",
        **changes,
    }
    return make_settings(tmp_path, **values)


def ready_content() -> Content:
    """The shipped content as an operator would leave it: filled in and every language checked."""
    content = load_content(PROJECT_ROOT / "content")
    content.operator = replace(content.operator, demo=False)
    for page in content.pages.values():
        page.meta["reviewed"] = True
    return content


def add(engine: Engine, name: str = "North youth team", **values: object) -> Team:
    with Session(engine) as db:
        team = Team(name=name)
        for field, value in {**READY_TEAM, **values}.items():
            setattr(team, field, value)
        db.add(team)
        db.commit()
        db.refresh(team)
        return team


def problems(engine: Engine, settings: Settings, content: Content) -> list[Problem]:
    with Session(engine) as db:
        return readiness_problems(db, settings, content)


def test_a_filled_in_production_install_has_no_problems(
    tmp_path: Path, migrated_engine: Engine
) -> None:
    add(migrated_engine)

    assert problems(migrated_engine, ready_settings(tmp_path), ready_content()) == []


Breakage = Callable[[Engine, Settings, Content], Settings]


def _no_teams(engine: Engine, settings: Settings, content: Content) -> Settings:
    with Session(engine) as db:
        db.delete(_north(db))
        db.commit()
    return settings


def _north(db: Session) -> Team:
    return db.exec(select(Team).where(Team.name == "North youth team")).one()


def _team(**values: object) -> Breakage:
    def change(engine: Engine, settings: Settings, content: Content) -> Settings:
        with Session(engine) as db:
            team = _north(db)
            for name, value in values.items():
                setattr(team, name, value)
            db.commit()
        return settings

    return change


def _second_team(**values: object) -> Breakage:
    def change(engine: Engine, settings: Settings, content: Content) -> Settings:
        add(engine, "South youth team", **{"is_fallback": False, **values})
        return settings

    return change


def _settings(**values: object) -> Breakage:
    # model_copy skips validation: the check must hold even if settings were made some other way.
    return lambda engine, settings, content: settings.model_copy(update=values)


def _demo_operator(engine: Engine, settings: Settings, content: Content) -> Settings:
    content.operator = replace(content.operator, demo=True)
    return settings


def _polish_unreviewed(engine: Engine, settings: Settings, content: Content) -> Settings:
    content.pages[("pl", "the-law")].meta["reviewed"] = False
    return settings


def _in_development(breakage: Breakage) -> Breakage:
    def change(engine: Engine, settings: Settings, content: Content) -> Settings:
        return breakage(engine, settings, content).model_copy(update={"app_env": "development"})

    return change


@pytest.mark.parametrize(
    ("breakage", "blocking", "words", "link"),
    [
        (_no_teams, True, "There are no youth teams", "/admin/teams/new"),
        (_team(is_fallback=False), True, "No team is the fallback team", "/admin/teams"),
        (_team(duty_phones=""), True, "has no duty phone", NORTH),
        (
            _second_team(duty_phones=""),
            True,
            "South youth team has no duty phone",
            SOUTH,
        ),
        (_team(works_byday=""), True, "has no working hours", NORTH),
        (
            _team(works_from=time(9), works_until=time(9)),
            True,
            "no working hours",
            NORTH,
        ),
        (_team(calls_from=""), False, "'We call and text from'", NORTH),
        (_settings(sms_backend="console"), True, "SMS_BACKEND is console", ""),
        (_in_development(_settings(sms_backend="console")), False, "SMS_BACKEND is console", ""),
        (_settings(twilio_from_number=None), True, "TWILIO_FROM_NUMBER", ""),
        (_settings(twilio_auth_token=None), True, "TWILIO_AUTH_TOKEN", ""),
        (_settings(public_base_url="http://card.example.org"), True, "https://", ""),
        (_settings(public_base_url="https://127.0.0.1:8000"), True, "loopback or private", ""),
        (_settings(public_base_url="https://10.1.2.3"), True, "loopback or private", ""),
        (_settings(public_base_url="https://localhost"), True, "only works on this", ""),
        (
            _in_development(_settings(public_base_url="http://127.0.0.1:8000")),
            False,
            "PUBLIC_BASE_URL",
            "",
        ),
        (_demo_operator, True, "demo operator (Example council)", "/en/privacy"),
        (_in_development(_demo_operator), False, "demo operator", "/en/privacy"),
        (_polish_unreviewed, False, "Polski (pl): 1 of", "/pl/"),
    ],
)
def test_each_problem_appears_alone_at_its_level_with_what_to_do_and_where(
    tmp_path: Path,
    migrated_engine: Engine,
    breakage: Breakage,
    blocking: bool,
    words: str,
    link: str,
) -> None:
    north = add(migrated_engine)
    content = ready_content()
    settings = breakage(migrated_engine, ready_settings(tmp_path), content)

    found = problems(migrated_engine, settings, content)

    assert len(found) == 1, found
    assert found[0].blocking is blocking
    assert words in found[0].message
    assert found[0].link == link.format(north=north.id, south=(north.id or 0) + 1)
    assert not link or found[0].link_text  # a link always says where it goes


def test_a_fallback_team_without_a_duty_phone_says_the_fallback_reaches_nobody(
    tmp_path: Path, migrated_engine: Engine
) -> None:
    add(migrated_engine, duty_phones="")

    [problem] = problems(migrated_engine, ready_settings(tmp_path), ready_content())

    assert "reaches the fallback team" in problem.message and problem.blocking


def test_blocking_problems_come_before_warnings(tmp_path: Path, migrated_engine: Engine) -> None:
    add(migrated_engine, calls_from="", duty_phones="")

    found = problems(migrated_engine, ready_settings(tmp_path), ready_content())

    assert [problem.blocking for problem in found] == [True, False]


@pytest.mark.parametrize(
    ("url", "usable"),
    [
        ("https://card.example.org", True),
        ("https://8.8.8.8", True),
        ("http://card.example.org", False),
        ("https://192.168.1.20:8000", False),
        ("https://[::1]:8000", False),
        ("https://card.local", False),
        ("https://printer.internal", False),
    ],
)
def test_a_public_address_must_be_https_and_reachable_from_a_phone(url: str, usable: bool) -> None:
    assert (base_url_problem(url) is None) is usable


# --- the admin page and the dashboard ---


def test_the_readiness_page_shows_a_newcomer_what_to_fix_and_the_twilio_addresses(
    web: TestClient,
) -> None:
    signed_in(web, "ana@example.org")

    page = web.get("/admin/readiness")

    assert page.status_code == 200
    assert "Not ready: 1 thing to fix first" in page.text
    assert "There are no youth teams" in page.text
    assert '<a href="/admin/teams/new">Add a team</a>' in page.text
    assert "<code>http://127.0.0.1:8000/webhooks/twilio/sms</code>" in page.text
    assert "<code>http://127.0.0.1:8000/webhooks/twilio/status</code>" in page.text
    assert 'href="/admin/readiness" aria-current="page">Readiness</a>' in page.text


def test_adding_a_fallback_team_with_a_duty_phone_makes_the_page_say_ready(
    web: TestClient,
) -> None:
    with Session(_engine(web)) as db:
        load_needs(db)
    csrf = signed_in(web, "ana@example.org")

    web.post("/admin/teams/new", data={**team_form(is_fallback="yes"), "csrf_token": csrf})
    page = web.get("/admin/readiness").text

    assert "Ready: nothing stops the service taking real requests." in page
    assert "There are no youth teams" not in page
    # The test install keeps its warnings (texts in the log, demo operator, unchecked languages).
    assert "SMS_BACKEND is console" in page and "Polski (pl)" in page


def test_the_admin_dashboard_lists_blocking_problems_and_links_to_the_page(
    web: TestClient,
) -> None:
    team_id = add_team(web, "North youth team", is_fallback=True)
    signed_in(web, "ana@example.org")

    dashboard = web.get("/admin/").text

    assert "Not ready for real requests" in dashboard
    assert "North youth team has no duty phone" in dashboard
    assert f'<a href="/admin/teams/{team_id}">Edit North youth team</a>' in dashboard
    assert '<a href="/admin/readiness">See all' in dashboard


def test_only_admins_see_readiness(web: TestClient) -> None:
    add_team(web, "North youth team")
    signed_in(web, "cas@example.org", "caseworker", team="North youth team")

    assert web.get("/admin/readiness").status_code == 403
    dashboard = web.get("/admin/").text
    assert "Readiness" not in dashboard and "Not ready" not in dashboard


def _engine(client: TestClient) -> Engine:
    from tests.app_context import context

    return context(client).engine


# --- python -m app check ---


def run_check(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    try:
        main(["check"])
        code = 0
    except SystemExit as exit_info:
        code = int(exit_info.code or 0)
    return code, capsys.readouterr().out


def test_check_exits_1_on_a_blocking_problem_and_0_once_it_is_fixed(
    settings: Settings,
    migrated_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, output = run_check(settings, monkeypatch, capsys)

    assert code == 1
    assert "blocking: There are no youth teams" in output
    assert "(admin page: /admin/teams/new)" in output
    assert f"{PUBLIC}/webhooks/twilio/sms" in output
    assert f"{PUBLIC}/webhooks/twilio/status" in output

    add(migrated_engine)
    code, output = run_check(settings, monkeypatch, capsys)

    assert code == 0, output
    assert "blocking:" not in output
    assert "warning: Texts are only written to the server's log" in output  # development
    assert "Ready for real requests" in output


def test_check_prints_one_line_a_problem(
    settings: Settings,
    migrated_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add(migrated_engine, calls_from="")

    _code, output = run_check(settings, monkeypatch, capsys)

    lines = output.splitlines()
    assert sum(line.startswith(("blocking: ", "warning: ")) for line in lines) == len(lines) - 3
    assert any("'We call and text from'" in line for line in lines)
