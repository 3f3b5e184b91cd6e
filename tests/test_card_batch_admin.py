"""Card batches in the admin: who may use them, creating and retiring, QR downloads, the print
sheet and the numbers pages."""

import base64
import csv
import hashlib
import re
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import select

from app.models import CardBatch
from tests.admin_helpers import (
    NOON,
    add_team,
    audit_trail,
    database,
    other_browser,
    set_clock,
    signed_in,
)
from tests.app_context import context, no_sign_in_delay
from tests.card_helpers import (
    PHONE,
    add_batch,
    counts,
    decode,
    engine_of,
    rasterise,
    short_address,
)
from tests.helpers import CONTENT, PageParts

ADMIN_PAGES = [
    "/admin/batches",
    "/admin/batches/new",
    "/admin/batches/stats.csv",
    "/admin/batches/{id}",
    "/admin/batches/{id}/qr.svg",
    "/admin/batches/{id}/qr.png",
    "/admin/batches/{id}/print",
    "/admin/batches/{id}/stats.csv",
]


@pytest.fixture
def admin(client: TestClient) -> tuple[TestClient, str]:
    """The client signed in as an admin, and the session's CSRF token."""
    no_sign_in_delay(client)
    return client, signed_in(client, "admin@example.org")


def test_only_admins_may_see_or_change_card_batches(client: TestClient) -> None:
    no_sign_in_delay(client)
    batch = add_batch(client)
    pages = [path.format(id=batch.id) for path in ADMIN_PAGES]
    retire = f"/admin/batches/{batch.id}/retire"

    for path in pages:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/admin/login?next=")
    assert client.post(retire, data={"csrf_token": "x"}).status_code == 303
    add_team(client)
    for role, team in (("editor", None), ("caseworker", "North youth team")):
        browser = other_browser(client)
        token = signed_in(browser, f"{role}@example.org", role, team)
        for path in pages:
            assert browser.get(path).status_code == 403, (role, path)
        assert browser.post(retire, data={"csrf_token": token}).status_code == 403
        assert browser.post("/admin/batches/new", data={"csrf_token": token}).status_code == 403
    with database(client) as db:
        assert db.get(CardBatch, batch.id) == batch
        assert len(db.exec(select(CardBatch)).all()) == 1


def test_an_admin_creates_a_batch_and_mistakes_are_explained(
    admin: tuple[TestClient, str],
) -> None:
    client, token = admin
    wrong = {
        "csrf_token": token,
        "label": " ",
        "kind": "pub",
        "area": "nowhere",
        "default_lang": "xx",
    }

    refused = client.post("/admin/batches/new", data=wrong)
    unsigned = client.post("/admin/batches/new", data={**wrong, "csrf_token": ""})
    right = {**wrong, "label": "Assembly, Year 9, March", "kind": "school", "area": "lu1 2ab"}
    created = client.post("/admin/batches/new", data={**right, "default_lang": "pl"})

    assert refused.status_code == 400
    assert "There is a problem" in refused.text
    for field in ("label", "kind", "area", "default_lang"):
        assert f'href="#{field}"' in refused.text
    assert unsigned.status_code == 403
    assert created.status_code == 303
    with database(client) as db:
        batch = db.exec(select(CardBatch)).one()
    assert created.headers["location"] == f"/admin/batches/{batch.id}?created=1"
    assert (batch.label, batch.kind, batch.area, batch.default_lang) == (
        "Assembly, Year 9, March",
        "school",
        "LU1",
        "pl",
    )
    assert "card-batch-created" in [event.action for event in audit_trail(client)]
    page = client.get(created.headers["location"])
    assert short_address(client, batch.code).split("://")[1] in page.text


def test_retiring_a_batch_keeps_its_printed_code_working(admin: tuple[TestClient, str]) -> None:
    client, token = admin
    batch = add_batch(client)

    response = client.post(f"/admin/batches/{batch.id}/retire", data={"csrf_token": token})
    landing = client.get(f"/c/{batch.code}", headers={"User-Agent": PHONE})

    assert response.status_code == 303
    with database(client) as db:
        assert db.get(CardBatch, batch.id).retired  # type: ignore[union-attr]
    assert "card-batch-retired" in [event.action for event in audit_trail(client)]
    assert landing.status_code == 302
    assert sum(counts(engine_of(client)).values()) == 1
    assert "Retired" in client.get(f"/admin/batches/{batch.id}").text


def test_the_qr_downloads_encode_the_batch_short_address(admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    batch = add_batch(client)
    address = short_address(client, batch.code)

    png = client.get(f"/admin/batches/{batch.id}/qr.png")
    svg = client.get(f"/admin/batches/{batch.id}/qr.svg")

    assert png.headers["content-type"] == "image/png"
    assert decode(Image.open(BytesIO(png.content))) == [address]
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert decode(rasterise(svg.content)) == [address]
    assert client.get("/admin/batches/999/qr.png").status_code == 404


def test_the_print_sheet_has_the_qr_code_and_help_numbers_on_every_card(
    admin: tuple[TestClient, str],
) -> None:
    client, _ = admin
    batch = add_batch(client)
    address = short_address(client, batch.code)

    response = client.get(f"/admin/batches/{batch.id}/print")

    page = PageParts(response.text)
    fronts = [tag for tag in page.all("li") if "front" in tag.get("class", "")]
    backs = [tag for tag in page.all("li") if "back" in tag.get("class", "")]
    symbols = [tag for tag in page.all("svg") if tag.get("class") == "qr"]
    assert len(fronts) == len(backs) == len(symbols) == 10
    back_cards = re.findall(
        r'<li class="card back".*?</li>\n(?=<li class="card|</ul>\n</section>)',
        response.text,
        re.S,
    )
    assert len(back_cards) == 10
    lines = CONTENT.page("en", "help-now").help_lines  # type: ignore[union-attr]
    for card in back_cards:
        card_text = "".join(PageParts(card).text)
        for line in lines:
            assert f"{line.label} {line.action}" in card_text, line
    text = "".join(page.text)
    assert text.count(address.split("://")[1]) >= 10
    first = re.search(r'<svg class="qr".*?</svg>', response.text, re.S)
    assert first is not None
    assert decode(rasterise(first.group(0).encode())) == [address]
    # Its own stylesheet, allowed by hash; no script and no style attributes.
    style = re.search(r"<style>(.*?)</style>", response.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    policy = response.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "@page" in style.group(1) and "85.0mm" in style.group(1)
    assert "<script" not in response.text and " style=" not in response.text


def test_the_a6_sheet_has_two_cards_with_the_key_messages_behind(
    admin: tuple[TestClient, str],
) -> None:
    client, _ = admin
    batch = add_batch(client)

    response = client.get(f"/admin/batches/{batch.id}/print?size=a6")

    page = PageParts(response.text)
    assert len([tag for tag in page.all("svg") if tag.get("class") == "qr"]) == 2
    assert "".join(page.text).count("Carrying one without a good reason") == 2
    assert "148.0mm" in response.text


def test_production_refuses_to_print_cards_that_would_lead_nowhere(
    admin: tuple[TestClient, str],
) -> None:
    client, _ = admin
    batch = add_batch(client)
    # Production refuses to start with such an address (Settings); a sheet must refuse as well
    # if it ever meets one, since a card printed with it can never be recalled.
    settings = context(client).settings
    settings.app_env = "production"
    settings.public_base_url = "http://127.0.0.1:8000"

    sheet = client.get(f"/admin/batches/{batch.id}/print")
    page = client.get(f"/admin/batches/{batch.id}")

    assert sheet.status_code == 409
    assert "PUBLIC_BASE_URL http://127.0.0.1:8000 does not start with https://" in sheet.text
    assert "Cards cannot be printed yet" in page.text
    assert "does not start with https://" in page.text
    assert f'/admin/batches/{batch.id}/print"' not in page.text  # no link to the sheet


def test_a_batch_in_an_unchecked_language_says_so_on_its_page_and_sheet(
    admin: tuple[TestClient, str],
) -> None:
    client, _ = admin
    polish = add_batch(client)
    with database(client) as db:
        row = db.get(CardBatch, polish.id)
        assert row is not None
        row.default_lang = "pl"
        db.commit()

    page = client.get(f"/admin/batches/{polish.id}").text
    sheet = client.get(f"/admin/batches/{polish.id}/print?lang=pl").text
    english = client.get(f"/admin/batches/{polish.id}/print").text

    assert "The Polski translation has not yet been checked" in page
    assert '<p class="unchecked">Translation not yet checked</p>' in sheet
    assert "Translation not yet checked" not in english


def test_the_print_sheet_in_a_right_to_left_language_is_marked_so(
    admin: tuple[TestClient, str],
) -> None:
    client, _ = admin
    batch = add_batch(client)

    page = PageParts(client.get(f"/admin/batches/{batch.id}/print?lang=ur").text)

    cards = [tag for tag in page.all("li") if "card" in tag.get("class", "")]
    assert {(tag["lang"], tag["dir"]) for tag in cards} == {("ur", "rtl")}


def test_the_numbers_show_scans_per_day_week_kind_and_area_and_export_as_csv(
    admin: tuple[TestClient, str],
) -> None:
    client, _ = admin
    school = add_batch(client, "Year 9", "school", "LU1")
    event = add_batch(client, '=HYPERLINK("http://x")', "event", None)
    for moment, code in [
        (NOON, school.code),
        (NOON, school.code),
        (NOON.replace(day=20), school.code),
        (NOON, event.code),
        (NOON, "NOTACODE"),
    ]:
        set_clock(client, moment)
        client.get(f"/c/{code}", headers={"User-Agent": PHONE})

    overview = client.get("/admin/batches")
    detail = client.get(f"/admin/batches/{school.id}")
    everything = list(csv.reader(client.get("/admin/batches/stats.csv").text.splitlines()))
    one = list(csv.reader(client.get(f"/admin/batches/{school.id}/stats.csv").text.splitlines()))

    assert "<td>School</td><td>1</td><td>3</td>" in overview.text
    assert "<td>LU1</td><td>1</td><td>3</td>" in overview.text
    assert "<td>No area given</td><td>1</td><td>1</td>" in overview.text
    assert "1 from codes that are not ours" in overview.text
    assert "Wed 25 Nov 2026</td><td>2</td>" in detail.text
    assert "Week from Mon 16 Nov 2026</td><td>1</td>" in detail.text
    assert "Week from Mon 23 Nov 2026</td><td>2</td>" in detail.text
    for page in (overview, detail):
        parts = PageParts(page.text)
        assert [tag for tag in parts.all("rect") if tag.get("fill")]
        assert not [attributes for _, attributes in parts.tags if "style" in attributes]
        assert parts.inline_scripts == 0
    assert everything[0] == ["day", "code", "label", "kind", "area", "scans"]
    assert ["2026-11-25", "unknown", "", "", "", "1"] in everything
    assert ["2026-11-25", event.code, '\'=HYPERLINK("http://x")', "event", "", "1"] in everything
    assert one[1:] == [
        ["2026-11-20", school.code, "Year 9", "school", "LU1", "1"],
        ["2026-11-25", school.code, "Year 9", "school", "LU1", "2"],
    ]
