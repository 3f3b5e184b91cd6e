"""The impact report: small numbers hidden everywhere a figure leaves the admin (including the
differencing case), the callback funnel's times, the page for admins and viewers, its print
stylesheet, the CSV, `python -m app report`, the cards-printed field of a batch, and the public
"what we count" page in every language."""

import csv
import json
import re
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.impact import safe
from app.impact.funnel import funnel, percentile
from app.impact.safe import THRESHOLD, cell, total
from app.impact.tally import Key, add_counts
from app.models import CallbackActivity, CallbackRequest, CardBatch, ScanCount, Service, Team
from app.pages import build_site
from tests.admin_helpers import NOON, other_browser, set_clock, signed_in
from tests.app_context import context, no_sign_in_delay
from tests.card_helpers import add_batch
from tests.conftest import make_settings
from tests.factories import load_shipped_listings
from tests.helpers import CONTENT, LANGUAGES, PageParts
from tests.test_settings_and_cli import run_app

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
CREATED = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
REPORT = "/admin/report?from=2026-11-01&to=2026-11-30"


def add_usage(engine: Engine, counts: dict[tuple[str, str, str], int], day: date) -> None:
    keyed: dict[Key, int] = {(day, *key): count for key, count in counts.items()}
    with Session(engine) as db:
        add_counts(db, keyed)
        db.commit()


def add_request(
    engine: Engine,
    team_id: int,
    tries: list[tuple[float, str]],
    created: datetime = CREATED,
    outcome: str | None = None,
    claimed: bool = True,
) -> None:
    """A callback request made at `created`, with contact attempts `tries` (hours later, kind)."""
    with Session(engine) as db:
        count = len(db.exec(select(CallbackRequest)).all())
        request = CallbackRequest(
            reference=f"R{count:05d}",
            team_id=team_id,
            lang="en",
            call_lang="en",
            need="pressured",
            best_time="any",
            status="closed" if outcome else ("claimed" if claimed else "new"),
            outcome=outcome,
            claimed_at=created + timedelta(minutes=5) if claimed else None,
            closed_at=created + timedelta(days=2) if outcome else None,
            due_at=created + timedelta(hours=24),
            created_at=created,
        )
        db.add(request)
        db.flush()
        for hours, kind in tries:
            at = created + timedelta(hours=hours)
            db.add(CallbackActivity(callback_id=request.id or 0, kind=kind, created_at=at))
        db.commit()


def add_team(engine: Engine, name: str = "North youth team") -> int:
    with Session(engine) as db:
        team = Team(name=name)
        db.add(team)
        db.commit()
        return team.id or 0


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    no_sign_in_delay(client)
    set_clock(client, NOON)
    signed_in(client, "admin@example.org", "admin")
    return client


def engine_of(client: TestClient) -> Engine:
    return context(client).engine


def test_counts_from_1_to_4_are_hidden_and_0_and_5_are_shown() -> None:
    assert [cell(n).text for n in (0, 1, 4, 5, 12)] == [
        "0",
        "fewer than 5",
        "fewer than 5",
        "5",
        "12",
    ]


def test_a_total_beside_a_hidden_cell_is_rounded_so_the_cell_cannot_be_worked_out() -> None:
    assert total(21, [18, 3]).text == "about 20"
    assert total(22, [18, 4]).text == "about 20"
    assert total(23, [18, 5]).text == "23"  # nothing hidden: exact
    assert total(3, [3]).text == "fewer than 5"


def test_the_report_hides_small_numbers_and_rounds_their_totals_on_the_page_and_in_the_csv(
    admin: TestClient,
) -> None:
    add_usage(
        engine_of(admin),
        {("page", "card", "en"): 18, ("page", "card", "pl"): 3, ("page", "the-law", "en"): 0},
        date(2026, 11, 12),
    )

    page = admin.get(REPORT)
    download = admin.get(REPORT.replace("report?", "report.csv?"))

    assert page.status_code == 200
    assert ">3<" not in page.text and ">18<" not in page.text
    rows = list(csv.reader(StringIO(download.text)))
    assert ["totals", "Page views", "", "about 20"] in rows
    assert ["page views by page", "The card", "", "21"] in rows  # exact in one breakdown only
    languages = {row[1]: row[3] for row in rows if row[0] == "page views by language"}
    # With English exact, 21 - 18 would give Polish away: English is rounded like the total.
    assert languages["English (en)"] == "about 20"
    assert [value for name, value in languages.items() if "(pl)" in name] == ["fewer than 5"]
    weeks = {row[1]: row[3] for row in rows if row[0] == "views per week"}
    assert weeks["week of 2026-11-09"] == "about 20"
    assert page.text.count("about 20") >= 3


def test_the_funnel_gives_median_and_90th_percentile_time_to_first_attempt_and_share_in_time(
    migrated_engine: Engine,
) -> None:
    team = add_team(migrated_engine)
    add_request(migrated_engine, team, [(1, "spoke")], outcome="helped")
    add_request(migrated_engine, team, [(2, "texted")], outcome="referred")
    add_request(migrated_engine, team, [(3, "no-answer"), (30, "spoke")])  # reached, but late
    add_request(migrated_engine, team, [(4, "spoke")])
    add_request(migrated_engine, team, [(10, "no-answer")])
    add_request(migrated_engine, team, [], claimed=False)  # nobody has tried yet

    with Session(migrated_engine) as db:
        [row] = funnel(db, *NOVEMBER)

    assert (row.requests, row.claimed, row.attempted, row.spoke, row.closed) == (6, 5, 5, 3, 2)
    assert row.median_hours == 3.0
    assert row.p90_hours == 10.0
    assert row.reached_in_time == 3
    assert percentile([5.0, 1.0, 2.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0], 90) == 9.0


def test_the_report_shows_funnel_times_only_with_5_requests_behind_them_and_hides_outcomes(
    admin: TestClient,
) -> None:
    engine = engine_of(admin)
    north, south = add_team(engine, "North youth team"), add_team(engine, "South youth team")
    for hours in (1, 2, 3, 4, 10):
        kind = "spoke" if hours < 10 else "no-answer"
        add_request(engine, north, [(hours, kind)], outcome="helped" if hours < 4 else None)
    add_request(engine, south, [(1, "spoke")])

    html = admin.get(REPORT).text

    north_row = html.split("North youth team, November 2026</th>", 1)[1].split("</tr>", 1)[0]
    south_row = html.split("South youth team, November 2026</th>", 1)[1].split("</tr>", 1)[0]
    assert "3.0 hours" in north_row and "10.0 hours" in north_row and "80%" in north_row
    assert "hours" not in south_row and "not shown (fewer than 5)" in south_row
    results = html.split("Results: North youth team, November 2026", 1)[1].split("</table>")[0]
    assert "Spoke and helped" in results and "fewer than 5" in results


def test_a_viewer_reads_the_report_and_nothing_else(client: TestClient) -> None:
    no_sign_in_delay(client)
    viewer = other_browser(client)
    signed_in(viewer, "partner@example.org", "viewer")

    assert viewer.get("/admin/").headers["location"] == "/admin/report"
    assert viewer.get("/admin/report").status_code == 200
    for path in ("/admin/batches", "/admin/callbacks", "/admin/listings", "/admin/users"):
        assert viewer.get(path).status_code == 403, path
    assert 'href="/admin/report"' in viewer.get("/admin/report").text


def test_the_report_prints_with_its_own_stylesheet_the_operator_period_and_date(
    admin: TestClient,
) -> None:
    page = admin.get(REPORT)

    policy = page.headers["content-security-policy"]
    assert policy.count("'sha256-") == 2  # the admin's stylesheet and the report's print one
    assert "@media print{@page{size:A4" in page.text
    assert context(admin).content.operator.name in page.text
    assert "1 November 2026 to 30 November 2026" in page.text
    assert "Made on 25 November 2026" in page.text
    assert page.text.count('role="img"') == 2 and page.text.count("the numbers</caption>") == 2
    assert "What is counted, and what is not" in page.text


def test_the_batch_comparison_gives_scans_per_card_printed_once_the_number_is_saved(
    admin: TestClient,
) -> None:
    engine = engine_of(admin)
    batch = add_batch(admin, label="Year 9 assembly")
    with Session(engine) as db:
        db.add(ScanCount(bucket=batch.code, day=date(2026, 11, 3), scans=30))
        db.commit()
    token = admin.get(f"/admin/batches/{batch.id}").text.split('name="csrf_token" value="')[1]
    token = token.split('"', 1)[0]

    saved = admin.post(
        f"/admin/batches/{batch.id}/printed", data={"printed": "120", "csrf_token": token}
    )
    refused = admin.post(
        f"/admin/batches/{batch.id}/printed", data={"printed": "lots", "csrf_token": token}
    )

    assert saved.status_code == 303 and refused.status_code == 400
    with Session(engine) as db:
        assert db.get(CardBatch, batch.id).cards_printed == 120  # type: ignore[union-attr]
    row = admin.get(REPORT).text.split("Year 9 assembly", 2)[2].split("</tr>", 1)[0]
    assert ">30<" in row and ">120<" in row and ">0.25<" in row


def test_the_report_command_prints_safe_figures_as_json_and_csv(
    tmp_path: Path, migrated_engine: Engine, settings: object
) -> None:
    add_usage(migrated_engine, {("page", "card", "en"): 7, ("page", "card", "ar"): 2}, NOVEMBER[0])
    env = {"DATABASE_URL": str(migrated_engine.url.render_as_string(hide_password=False))}

    as_json = run_app(
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "json",
        env=env,
        cwd=tmp_path,
    )
    as_csv = run_app("report", "--from", "2026-11-01", "--to", "2026-11-30", env=env, cwd=tmp_path)
    wrong = run_app("report", "--from", "2026-11-30", "--to", "2026-11-01", env=env, cwd=tmp_path)

    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert {"item": "Page views", "value": "about 10"} in document["totals"]
    assert document["pages"] == [{"item": "The card", "value": "9"}]
    assert [item["value"] for item in document["languages"]] == ["about 5", "fewer than 5"]
    assert as_csv.stdout.startswith("section,item,detail,value")
    assert "totals,Page views,,about 10" in as_csv.stdout
    assert wrong.returncode != 0 and "--to must be on or after --from" in wrong.stderr


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_privacy_notice_links_to_what_we_count_in_its_own_language(
    public_client: TestClient, lang: str
) -> None:
    notice = public_client.get(f"/{lang}/privacy").text
    link = re.search(r'href="([^"]*what-we-count)"', notice)

    assert link is not None
    target = urljoin(f"http://testserver/{lang}/privacy", link.group(1))
    page = public_client.get(target)
    assert page.status_code == 200
    parts = PageParts(page.text)
    assert parts.first("html")["lang"] == lang
    assert CONTENT.required_page(lang, "what-we-count").title in parts.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_its_own_what_we_count_page_naming_the_operator_and_the_threshold(
    public_client: TestClient, lang: str
) -> None:
    english = CONTENT.pages[("en", "what-we-count")]
    page = CONTENT.pages.get((lang, "what-we-count"))

    assert page is not None and page.lang == lang  # a file of its own, not the English fallback
    assert lang == "en" or page.markdown != english.markdown
    text = " ".join(PageParts(public_client.get(f"/{lang}/what-we-count").text).text)
    assert "This page is not translated yet" not in text
    assert "Example council" in text  # from content/site.yaml
    assert re.search(rf"(?<!\d){THRESHOLD}(?!\d)", text)
    assert "{threshold}" not in text and "{operator_name}" not in text


def test_the_what_we_count_page_states_the_threshold_the_report_keeps_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safe, "THRESHOLD", 7)

    site = build_site(CONTENT, make_settings(tmp_path))

    text = " ".join(PageParts(site.responses["/en/what-we-count"].identity.decode()).text)
    assert '"fewer than 7"' in text.replace("\u201c", '"').replace("\u201d", '"')
    assert "fewer than 5" not in text


def test_listings_opened_are_shown_by_the_service_name(admin: TestClient) -> None:
    engine = engine_of(admin)
    with Session(engine) as db:
        load_shipped_listings(db)
        service = db.exec(select(Service).order_by(Service.name)).first()
        assert service is not None
    add_usage(engine, {("listing", str(service.id), "en"): 6}, date(2026, 11, 20))

    rows = list(csv.reader(StringIO(admin.get(REPORT.replace("report?", "report.csv?")).text)))

    assert ["listings opened", service.name, "", "6"] in rows
