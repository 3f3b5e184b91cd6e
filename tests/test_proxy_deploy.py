"""Proof of the shipped deployment: deploy/nginx/nginx.conf, run by the real nginx (Debian's
package; `.ci/run` installs it), with TLS, in front of two real `python -m app serve` processes
on PostgreSQL.

The card comes from the proxy's cache; a listing change shows on both instances (and through the
proxy) within DIRECTORY_REFRESH_SECONDS; bodies over the limits are refused by the proxy (413);
and killing one instance while callback requests are posted loses none that was accepted.
"""

import json
import os
import re
import signal
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.callbacks.form import form_token
from app.directory.revision import bump_directory_revision
from app.models import CallbackRequest, Service
from app.settings import Settings
from tests.conftest import TEST_DATABASE_URL
from tests.factories import load_shipped_listings
from tests.proxy_helpers import Proxy, nginx_binary
from tests.resilience_helpers import Fleet, free_port

NGINX = nginx_binary()
pytestmark = [
    pytest.mark.skipif(
        NGINX is None, reason="nginx is not installed (apt-get install -y nginx; .ci/run does)"
    ),
    pytest.mark.skipif(
        not TEST_DATABASE_URL.startswith("postgresql"),
        reason="the deployment runs on PostgreSQL: set TEST_DATABASE_URL (.ci/run's second pass)",
    ),
]
REFRESH_SECONDS = 1.0
POSTS = 48
KILL_AFTER = 16


class Deployment:
    def __init__(
        self, fleet: Fleet, proxy: Proxy, base: str, plain: str, instances: list[str]
    ) -> None:
        self.fleet, self.proxy, self.instances = fleet, proxy, instances
        self.base, self.plain = base, plain  # https, and the plain HTTP port
        self.tls = ssl.create_default_context(cafile=proxy.prefix / "fullchain.pem")

    def client(self, source: str = "127.0.0.1") -> httpx.Client:
        """A client of the proxy, connecting from `source` (each its own rate-limit bucket)."""
        transport = httpx.HTTPTransport(verify=self.tls, local_address=source)
        return httpx.Client(base_url=self.base, transport=transport, timeout=10)


@pytest.fixture
def deployment(tmp_path: Path, settings: Settings, migrated_engine: Engine) -> Iterator[Deployment]:
    assert NGINX is not None
    with Session(migrated_engine) as db:
        load_shipped_listings(db)
    https_port, http_port = free_port(), free_port()
    base = f"https://localhost:{https_port}"
    fleet = Fleet(tmp_path, settings)
    proxy = Proxy(NGINX, tmp_path / "nginx")
    ports = [free_port(), free_port()]
    try:
        for name, port in zip(("a", "b"), ports, strict=True):
            fleet.start(
                name,
                *("serve", "--port", str(port)),
                SMS_BACKEND="console",
                PUBLIC_BASE_URL=base,
                FORWARDED_ALLOW_IPS="127.0.0.1",  # the proxy only
                DIRECTORY_REFRESH_SECONDS=str(REFRESH_SECONDS),
                LOG_FORMAT="json",
            )
        instances = [f"http://127.0.0.1:{port}" for port in ports]
        for instance in instances:
            fleet.wait_until(partial(_ready, instance), f"{instance} is ready")
        proxy.start(ports, http_port, https_port)
        deployment = Deployment(fleet, proxy, base, f"http://localhost:{http_port}", instances)
        with deployment.client() as client:
            fleet.wait_until(lambda: _answers(client), "the proxy answers")
        yield deployment
    finally:
        proxy.stop()
        fleet.stop_all()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def card_is_served_from_the_proxy_cache_with_the_app_bytes(deployment: Deployment) -> None:
    with deployment.client() as client:
        for coding in ("gzip", "br"):
            headers = {"Accept-Encoding": coding}
            first = client.get("/en/", headers=headers)
            second = client.get("/en/", headers=headers)
            direct = httpx.get(f"{deployment.instances[1]}/en/", headers=headers)

            assert first.status_code == second.status_code == 200
            assert first.headers["x-cache-status"] in ("MISS", "EXPIRED")
            assert second.headers["x-cache-status"] == "HIT"
            assert second.headers["content-encoding"] == coding
            assert second.content == direct.content  # passed through, not compressed again
            assert "public" in second.headers["cache-control"]
            assert "content-security-policy" in second.headers

        etag = second.headers["etag"]
        unchanged = client.get("/en/", headers={"Accept-Encoding": "br", "If-None-Match": etag})
        assert unchanged.status_code == 304
        assert unchanged.headers["x-cache-status"] == "HIT"

        # Never stored: staff pages, the callback form, POSTs, the metrics.
        for path in ("/admin/login", "/admin/callbacks", "/en/callback"):
            for _ in range(2):
                answer = client.get(path)
                assert answer.headers.get("x-cache-status") is None, path
        assert client.get("/metrics").status_code == 404
    plain = httpx.get(f"{deployment.plain}/en/")  # never the card over plain HTTP
    assert plain.status_code == 301
    assert plain.headers["location"].startswith("https://localhost")
    assert httpx.get(f"{deployment.plain}/nginx-health").text == "ok\n"


def a_listing_change_shows_on_both_instances_within_the_refresh_time(
    deployment: Deployment, migrated_engine: Engine
) -> None:
    with deployment.client() as client:
        page = client.get("/en/help").text
        with Session(migrated_engine) as db:
            services = db.exec(select(Service).order_by(col(Service.name))).all()
            service = next(s for s in services if s.name.replace("&", "&amp;") in page)
            for instance in deployment.instances:  # both have the page cached now
                assert service.name.replace("&", "&amp;") in httpx.get(f"{instance}/en/help").text
            service.name = "Renamed Youth Line"
            bump_directory_revision(db)
            db.commit()
        changed_at = time.monotonic()

        waiting = {*deployment.instances, "proxy"}
        seen: dict[str, float] = {}
        while waiting and time.monotonic() - changed_at < REFRESH_SECONDS + 5:
            for where in list(waiting):
                if where == "proxy":
                    text = client.get("/en/help").text
                else:
                    text = httpx.get(f"{where}/en/help").text
                if "Renamed Youth Line" in text:
                    seen[where] = time.monotonic() - changed_at
                    waiting.discard(where)
            time.sleep(0.05)

    assert not waiting, f"still the old listing at {waiting}"
    # The refresh time, plus a poll and a page render of slack on a busy, shared machine.
    assert max(seen.values()) < REFRESH_SECONDS + 1.5, seen


def bodies_over_the_limits_are_refused_by_the_proxy(deployment: Deployment) -> None:
    form = {"phone": "07700 900982", "name": "x" * 20_000}

    with deployment.client() as client:
        too_big = client.post("/en/callback", data=form)
        chunked = client.post(
            "/en/callback",
            content=iter([b"name=", b"x" * 10_000, b"y" * 10_000]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        webhook_ok = client.post("/webhooks/twilio/sms", data={"Body": "x" * 30_000})
        webhook_big = client.post("/webhooks/twilio/sms", data={"Body": "x" * 70_000})

    for refused in (too_big, chunked, webhook_big):
        assert refused.status_code == 413
        assert "nginx" in refused.text  # the proxy's page: the app never saw it
    assert webhook_ok.status_code != 413  # reached the app (which checks the signature)
    logs = deployment.fleet.logs()
    assert "x" * 100 not in logs


def killing_one_instance_loses_no_accepted_callback_request(
    deployment: Deployment, settings: Settings, migrated_engine: Engine
) -> None:
    assert settings.secret_key is not None
    secret = settings.secret_key.get_secret_value()
    killed = False

    def post(index: int) -> tuple[int, int, str | None]:
        form = {
            "phone": f"07700 900{index:03d}",
            "name": "Sam",
            "best_time": "any",
            "call_lang": "en",
            "text_ok": "yes",
            "say_who": "no",
            "website": "",
            # Each its own token, filled in a minute ago: older than the minimum fill time.
            "started": form_token(secret, time.time() - 60 - index),
        }
        # Each post from its own loopback address: the per-client limit counts them apart.
        with deployment.client(f"127.0.3.{index + 1}") as client:
            answer = client.post("/en/callback", data=form)
        location = answer.headers.get("location", "")
        reference = re.search(r"ref=([A-Z0-9]+)", location)
        return index, answer.status_code, reference.group(1) if reference else None

    def post_or_kill(index: int) -> tuple[int, int, str | None]:
        nonlocal killed
        if index == KILL_AFTER and not killed:
            killed = True
            process = deployment.fleet.processes["a"]
            os.killpg(process.pid, signal.SIGKILL)  # the instance and its worker, mid-run
        return post(index)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(post_or_kill, range(POSTS)))

    accepted = {reference for _i, status, reference in results if status == 303 and reference}
    failed = [(i, status) for i, status, _reference in results if status != 303]
    with Session(migrated_engine) as db:
        rows = db.exec(select(CallbackRequest.reference, CallbackRequest.phone_hash)).all()
    stored = {reference for reference, _hash in rows}
    assert accepted <= stored, f"accepted but not stored: {accepted - stored}"
    # A post whose instance died after storing it, before answering, may be stored without a
    # 303; but no post is ever stored twice (the proxy never sends a POST to a second instance
    # once it was sent).
    assert len(stored) <= len(accepted) + len(failed)
    assert len({phone_hash for _reference, phone_hash in rows}) == len(rows)
    # At most the posts in flight when the instance died failed; everything after went to b.
    assert len(failed) <= 4, failed
    assert all(status == 303 for i, status, _ in results if i >= KILL_AFTER + 8), results
    # Both instances took posts before one was killed (the proxy spread them).
    for name in ("a", "b"):
        assert '"POST /en/callback 303' in deployment.fleet.log(name), name
    assert deployment.fleet.processes["b"].poll() is None


def test_the_shipped_proxy_caches_the_card_shows_changes_limits_bodies_and_loses_no_request(
    deployment: Deployment, settings: Settings, migrated_engine: Engine
) -> None:
    """One deployment for the four checks (starting two instances takes most of the time); the
    instance is killed last."""
    card_is_served_from_the_proxy_cache_with_the_app_bytes(deployment)
    a_listing_change_shows_on_both_instances_within_the_refresh_time(deployment, migrated_engine)
    bodies_over_the_limits_are_refused_by_the_proxy(deployment)
    killing_one_instance_loses_no_accepted_callback_request(deployment, settings, migrated_engine)
    for name in ("a", "b"):  # LOG_FORMAT=json: every line of both instances is one JSON object
        written = deployment.fleet.log(name)
        # `a` was killed: a line it had half written when it died is not a line.
        for line in written.splitlines() if written.endswith("\n") else written.splitlines()[:-1]:
            assert json.loads(line)["message"], line
            assert "07700" not in line and "Sam" not in line
