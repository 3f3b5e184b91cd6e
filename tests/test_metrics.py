"""`/metrics`: Prometheus' text format for allowed addresses only; requests counted by route
template and status; callback requests, texts and the sender's heartbeat as the database has them.
"""

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlmodel import Session

from app.main import create_app
from app.models import utcnow
from app.settings import ConfigurationError, Settings
from app.sms import heartbeat
from tests.app_context import set_clock
from tests.conftest import make_settings
from tests.sms_fake import FakeTwilio
from tests.sms_support import NOW, add_fallback_team, fake, make_sender, request_callback
from tests.sms_support import settings as twilio_settings_fixture

__all__ = ["fake"]  # fixture
settings = twilio_settings_fixture
LOOPBACK = ("127.0.0.1", 50000)


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.status_code
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def requests_counted(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], route: str, status: int
) -> float:
    key = ("card_http_requests_total", (("route", route), ("status", str(status))))
    return samples.get(key, 0.0)


@pytest.fixture
def client(settings: Settings, migrated_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False, client=LOOPBACK) as client:
        yield client


def test_metrics_are_a_404_for_every_address_not_allowed(
    settings: Settings, migrated_engine: Engine
) -> None:
    app = create_app(settings)
    for address in ("203.0.113.9", "10.0.0.5", "2001:db8::1"):
        with TestClient(app, client=(address, 50000)) as outsider:
            response = outsider.get("/metrics")
            assert response.status_code == 404
            assert "card_http_requests" not in response.text
    with TestClient(app, client=LOOPBACK) as local:
        assert local.get("/metrics").status_code == 200


def test_a_network_in_metrics_allow_lets_a_scraper_in_and_replaces_loopback(
    tmp_path: Path, migrated_engine: Engine
) -> None:
    app = create_app(make_settings(tmp_path, metrics_allow="172.30.0.0/24"))

    with TestClient(app, client=("172.30.0.99", 50000)) as scraper:
        assert scraper.get("/metrics").status_code == 200
    with TestClient(app, client=LOOPBACK) as local:
        assert local.get("/metrics").status_code == 404


def test_metrics_allow_that_is_not_an_address_stops_the_service_with_a_reason(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigurationError, match=r"METRICS_ALLOW: .*'everyone' is not an address"):
        make_settings(tmp_path, metrics_allow="127.0.0.1,everyone")


def test_requests_are_counted_by_route_template_and_status_never_by_typed_path(
    client: TestClient,
) -> None:
    before = scrape(client)

    assert client.get("/en/").status_code == 200  # a cached card page
    assert client.get("/pl/").status_code == 200
    assert client.get("/en/callback").status_code == 200
    assert client.get("/ar/callback").status_code == 200
    assert client.get("/no/such/page/07700900982").status_code == 404
    after = scrape(client)

    assert requests_counted(after, "page", 200) - requests_counted(before, "page", 200) == 2
    callback_form = requests_counted(after, "/{lang}/callback", 200)
    assert callback_form - requests_counted(before, "/{lang}/callback", 200) == 2
    assert (
        requests_counted(after, "unmatched", 404) - requests_counted(before, "unmatched", 404) == 1
    )
    assert not any("07700900982" in str(labels) for _name, labels in after)
    assert ("card_http_request_duration_seconds_count", (("route", "/{lang}/callback"),)) in after


def test_callback_requests_texts_and_the_oldest_queued_text_are_read_from_the_database(
    client: TestClient, settings: Settings, migrated_engine: Engine
) -> None:
    add_fallback_team(migrated_engine, "+447700900111")
    created = scrape(client).get(
        ("card_callback_requests_created_total", (("source", "web"),)), 0.0
    )
    request_callback(migrated_engine, settings)  # a team alert and a confirmation, queued
    set_clock(client, NOW + timedelta(seconds=90))

    samples = scrape(client)

    assert samples[("card_callback_requests_created_total", (("source", "web"),))] == created + 1
    assert samples[("card_callback_requests", (("status", "new"),))] == 1
    for purpose in ("team-alert", "confirmation"):
        assert samples[("card_texts", (("purpose", purpose), ("status", "queued")))] == 1
        assert samples[("card_texts", (("purpose", purpose), ("status", "sent")))] == 0
        assert samples[("card_texts", (("purpose", purpose), ("status", "failed")))] == 0
    assert samples[("card_oldest_queued_text_age_seconds", ())] == 90
    assert samples[("card_sender_heartbeat_timestamp_seconds", ())] == 0


def test_sent_texts_and_the_sender_heartbeat_show_once_a_sender_has_ticked(
    client: TestClient, settings: Settings, migrated_engine: Engine, fake: FakeTwilio
) -> None:
    add_fallback_team(migrated_engine, "+447700900111")
    request_callback(migrated_engine, settings, now=NOW - timedelta(minutes=1))
    sender = make_sender(migrated_engine, settings)
    stop = threading.Event()
    ticking = threading.Thread(target=sender.run_forever, args=(stop, 0.05))
    started = time.time()
    ticking.start()
    try:
        deadline = time.monotonic() + 20
        while scrape(client)[("card_sender_heartbeat_timestamp_seconds", ())] == 0:
            assert time.monotonic() < deadline, "the sender never beat"
            time.sleep(0.05)
    finally:
        stop.set()
        ticking.join(10)
    set_clock(client, NOW)

    samples = scrape(client)

    assert samples[("card_sender_heartbeat_timestamp_seconds", ())] >= int(started)
    assert samples[("card_texts", (("purpose", "team-alert"), ("status", "sent")))] == 1
    assert samples[("card_texts", (("purpose", "confirmation"), ("status", "sent")))] == 1
    assert samples[("card_texts", (("purpose", "confirmation"), ("status", "queued")))] == 0
    assert samples[("card_oldest_queued_text_age_seconds", ())] == 0


def test_the_worker_health_check_fails_until_a_sender_has_ticked_recently(
    settings: Settings, migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VAR_DIR", str(settings.var_dir))
    assert heartbeat.main([]) == 1

    sender = make_sender(migrated_engine, settings)
    assert sender.beat_if_due()
    assert not sender.beat_if_due()  # at most one write every 10 s
    assert heartbeat.main([]) == 0

    with Session(migrated_engine) as db:
        heartbeat.beat(db, utcnow() - timedelta(minutes=5))
        db.commit()
    assert heartbeat.main(["60"]) == 1
