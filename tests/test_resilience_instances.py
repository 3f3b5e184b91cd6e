"""Resilience of the web app, against two real `python -m app serve` processes on the suite's
database (see tests/resilience_helpers.py): they share the per-number callback limit, and their
card scan counts add up exactly under concurrent load.
"""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
from sqlalchemy import Engine
from sqlmodel import Session

from app.callbacks.form import form_token
from app.settings import Settings
from tests.card_helpers import PHONE, add_batch, counts
from tests.factories import load_shipped_listings
from tests.resilience_helpers import Fleet, fake, fleet, settings
from tests.sms_support import callback_requests

__all__ = ["fake", "fleet", "settings"]  # fixtures


def callback_form(secret: str) -> dict[str, str]:
    return {
        "phone": "07700 900982",
        "name": "Sam",
        "best_time": "any",
        "call_lang": "en",
        "text_ok": "yes",
        "say_who": "no",
        "website": "",
        # Filled in a minute ago: older than the form's minimum fill time.
        "started": form_token(secret, time.time() - 60),
    }


def is_up(base: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(f"{base}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    return check


def test_two_instances_share_the_callback_limit_and_add_up_scan_counts(
    migrated_engine: Engine, settings: Settings, fleet: Fleet
) -> None:
    """Two `serve` processes on one database: 2 + 2 callback requests for one number make the
    fourth a 429 whichever instance gets it, and 50 + 50 concurrent scans of one card count 100."""
    with Session(migrated_engine) as db:  # seeded once here, not by both instances at once
        load_shipped_listings(db)
    code = add_batch(migrated_engine).code
    instances = [fleet.serve("a"), fleet.serve("b")]
    for base in instances:
        fleet.wait_until(is_up(base), f"{base} serves")
    assert settings.secret_key is not None
    secret = settings.secret_key.get_secret_value()

    answers = [  # the same number each time, each from its own form
        httpx.post(f"{base}/en/callback", data=callback_form(secret)).status_code
        for base in instances * 2
    ]

    assert answers == [303, 303, 303, 429]
    assert len(callback_requests(migrated_engine)) == 3

    def scan(base: str, n: int) -> int:
        # 100 phones (a client's scans are counted ten a day), through the trusted proxy.
        headers = {"User-Agent": PHONE, "X-Forwarded-For": f"203.0.113.{n}"}
        return httpx.get(f"{base}/c/{code}", headers=headers).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        scans = list(pool.map(scan, instances * 50, range(100)))

    assert scans == [302] * 100
    assert sum(n for (bucket, _day), n in counts(migrated_engine).items() if bucket == code) == 100
    assert "scan was not counted" not in fleet.logs()
