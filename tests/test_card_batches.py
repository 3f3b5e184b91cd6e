"""Printed card batches: codes, QR symbols, counting scans without tracking anyone, landing."""

import threading
import urllib.parse
from datetime import UTC, date, datetime
from io import BytesIO

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, inspect
from sqlmodel import Session, select

from app.cards.batches import BatchForm, create_batch
from app.cards.charts import bar_chart, nice_ceiling
from app.cards.codes import ALPHABET, CODE_LENGTH, new_code, normalise
from app.cards.qr import modules, qr_inline_svg, qr_png, qr_svg
from app.cards.scans import count_scan, find_target, is_not_a_person, london_day
from app.cards.stats import per_week
from app.database import make_engine
from app.models import UNKNOWN_BUCKET, CardBatch, ScanCount
from tests.admin_helpers import NOON, database, set_clock
from tests.app_context import fastapi_app, use_engine
from tests.card_helpers import PHONE, URL, add_batch, counts, decode, engine_of, rasterise

# Codes


def test_codes_are_short_url_safe_and_free_of_look_alike_characters() -> None:
    codes = [new_code() for _ in range(2000)]

    for code in codes:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(ALPHABET)
        assert urllib.parse.quote(code, safe="") == code
    assert not set("0O1Il") & set("".join(codes))


def test_codes_do_not_repeat() -> None:
    codes = [new_code() for _ in range(20000)]

    assert len(set(codes)) == len(codes)


def test_a_code_typed_in_lower_case_or_with_spaces_is_still_the_code() -> None:
    assert normalise(" abcd2345 ") == "ABCD2345"
    assert normalise("school-42") is None
    assert normalise("ABCD0123") is None  # 0 and 1 are never in a code
    assert normalise("x" * 200) is None


def test_a_batch_gets_another_code_when_its_first_one_is_taken(migrated_engine: Engine) -> None:
    taken = add_batch(migrated_engine).code
    offered = iter([taken, "NEWCQDE2"])
    form = BatchForm("Club night", "youth-club", None, None, [])

    with Session(migrated_engine) as db:
        batch = create_batch(db, form, None, make_code=lambda: next(offered))
        db.commit()

        assert batch.code == "NEWCQDE2"
        assert len(db.exec(select(CardBatch)).all()) == 2


# QR symbols


def test_the_qr_png_decodes_to_the_short_address_at_print_size() -> None:
    image = Image.open(BytesIO(qr_png(URL)))
    result = zxingcpp.read_barcodes(image)

    assert [barcode.text for barcode in result] == [URL]
    assert result[0].ec_level in ("Q", "H")
    assert 600 <= image.width < 660 and image.width == image.height
    # The 4-module quiet zone: the outer band of the image is white all round.
    module = image.width // modules(URL)
    band = image.convert("L").crop((0, 0, image.width, 4 * module))
    assert band.getextrema() == (255, 255)


def test_the_qr_svg_file_renders_to_a_symbol_with_the_same_address() -> None:
    assert decode(rasterise(qr_svg(URL))) == [URL]


def test_the_inline_qr_for_the_print_sheet_renders_to_the_same_address() -> None:
    svg = str(qr_inline_svg(URL, "QR code"))

    assert decode(rasterise(svg.encode())) == [URL]
    assert "id=" not in svg  # repeated ten times on a sheet: ids would clash


# Counting


def test_fifty_scans_at_the_same_moment_are_all_counted(migrated_engine: Engine) -> None:
    batch = add_batch(migrated_engine)
    day = date(2026, 3, 2)
    start = threading.Barrier(50)
    failures: list[BaseException] = []

    def scan(code: str) -> None:
        try:
            with Session(migrated_engine) as db:
                start.wait()
                bucket = find_target(db, code).bucket
                db.commit()  # as the scan route does: the read ends before the count's write
                count_scan(db, bucket, day)
                db.commit()
        except BaseException as error:  # reported below, with the counts
            failures.append(error)

    threads = [
        threading.Thread(target=scan, args=(batch.code if n % 5 else "nope",)) for n in range(50)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert counts(migrated_engine) == {(batch.code, day): 40, (UNKNOWN_BUCKET, day): 10}


def test_a_scan_counts_once_for_its_batch_and_lands_on_the_card(client: TestClient) -> None:
    batch = add_batch(client)
    set_clock(client, NOON)

    response = client.get(f"/c/{batch.code}", headers={"User-Agent": PHONE})
    client.get(f"/c/{batch.code.lower()}", headers={"User-Agent": PHONE})

    assert response.status_code == 302
    assert response.headers["location"] == "/en/"
    assert counts(engine_of(client)) == {(batch.code, NOON.date()): 2}


def test_retired_and_unknown_codes_land_on_the_card_and_count_apart(client: TestClient) -> None:
    retired = add_batch(client, retired=True)
    set_clock(client, NOON)

    landings = [
        client.get(path, headers={"User-Agent": PHONE})
        for path in (f"/c/{retired.code}", "/c/NOTACODE", "/c/school-42", "/c/%E2%9C%93")
    ]

    for response in landings:
        assert response.status_code == 302
        assert client.get(response.headers["location"]).status_code == 200
    assert counts(engine_of(client)) == {
        (retired.code, NOON.date()): 1,
        (UNKNOWN_BUCKET, NOON.date()): 3,
    }


def test_the_scan_table_can_hold_no_personal_data(client: TestClient) -> None:
    batch = add_batch(client)
    headers = {"User-Agent": PHONE, "X-Forwarded-For": "203.0.113.9", "Cookie": "id=abc"}
    client.get(f"/c/{batch.code}", headers=headers)

    columns = inspect(engine_of(client)).get_columns("scan_count")
    assert {column["name"] for column in columns} == {"bucket", "day", "scans"}
    assert str(columns[[c["name"] for c in columns].index("day")]["type"]).upper() == "DATE"
    with database(client) as db:
        stored = [tuple(row) for row in db.exec(select(ScanCount.bucket, ScanCount.scans)).all()]
    assert stored == [(batch.code, 1)]


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("HEAD", {"User-Agent": PHONE}),
        ("GET", {"User-Agent": PHONE, "Purpose": "prefetch"}),
        ("GET", {"User-Agent": PHONE, "Sec-Purpose": "prefetch;prerender"}),
        ("GET", {"User-Agent": PHONE, "X-Moz": "prefetch"}),
        ("GET", {"User-Agent": "WhatsApp/2.23.20.0 A"}),
        ("GET", {"User-Agent": "facebookexternalhit/1.1 Facebot Twitterbot/1.0"}),
        ("GET", {"User-Agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"}),
        ("GET", {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}),
        ("GET", {"User-Agent": "TelegramBot (like TwitterBot)"}),
        ("GET", {"User-Agent": "curl/8.5.0"}),
        ("GET", {"User-Agent": ""}),
    ],
)
def test_link_previews_prefetches_and_robots_land_but_are_not_counted(
    client: TestClient, method: str, headers: dict[str, str]
) -> None:
    batch = add_batch(client)

    response = client.request(method, f"/c/{batch.code}", headers=headers)

    assert response.status_code == 302
    assert counts(engine_of(client)) == {}


@pytest.mark.parametrize(
    "agent",
    [
        PHONE,
        "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 Chrome/120 Mobile Safari",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 Instagram 300.0",
        "Mozilla/5.0 (Linux; Android 9; SAMSUNG SM-A105F) SamsungBrowser/23.0 Mobile Safari",
        "Opera/9.80 (J2ME/MIDP; Opera Mini/4.2) Presto/2.8 Version/11.10",
    ],
)
def test_phone_browsers_count(agent: str) -> None:
    assert not is_not_a_person("GET", {"user-agent": agent})


def test_a_scan_belongs_to_the_day_in_london() -> None:
    assert london_day(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == date(2026, 7, 2)
    assert london_day(datetime(2026, 1, 1, 23, 30, tzinfo=UTC)) == date(2026, 1, 1)


def test_a_failure_to_count_still_lands_on_the_card(client: TestClient) -> None:
    batch = add_batch(client)
    use_engine(fastapi_app(client), make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))

    response = client.get(f"/c/{batch.code}", headers={"Accept-Language": "pl"})

    assert response.status_code == 302
    assert response.headers["location"] == "/pl/"


# Language


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("ur-PK,ur;q=0.9", "/ur/"),  # the phone's own language always wins
        ("en-GB,en;q=0.9", "/en/"),
        ("zh-CN,zh;q=0.9", "/pl/"),  # none of ours: the batch's language
        (None, "/pl/"),
    ],
)
def test_the_batch_language_is_used_only_when_the_phone_matches_none_of_ours(
    client: TestClient, accept_language: str | None, expected: str
) -> None:
    with database(client) as db:
        form = BatchForm("Polish club", "youth-club", None, "pl", [])
        code = create_batch(db, form, None).code
        db.commit()
    headers = {"Accept-Language": accept_language} if accept_language else {}

    response = client.get(f"/c/{code}", headers=headers)

    assert response.headers["location"] == expected
    assert "Accept-Language" in response.headers["vary"]


def test_a_code_without_a_batch_language_falls_back_to_english(client: TestClient) -> None:
    batch = add_batch(client)

    response = client.get(f"/c/{batch.code}", headers={"Accept-Language": "zh-CN"})

    assert response.headers["location"] == "/en/"


# Numbers


def test_days_are_grouped_into_iso_weeks_from_monday() -> None:
    daily = [(date(2026, 3, 1), 1), (date(2026, 3, 2), 2), (date(2026, 3, 8), 3)]

    assert per_week(daily) == [(date(2026, 2, 23), 1), (date(2026, 3, 2), 5)]


def test_a_chart_scales_its_tallest_bar_to_a_readable_top() -> None:
    chart = bar_chart("Scans", [("", "Mon", 3), ("", "Tue", 0), ("", "Wed", 5)])

    assert [nice_ceiling(n) for n in (0, 1, 3, 7, 11, 150)] == [1, 1, 5, 10, 20, 200]
    assert chart.bars[2].height > chart.bars[0].height > chart.bars[1].height == 0
    assert "8 scans" in chart.summary
