"""Usage counts from two real `python -m app serve` processes on one database (see
tests/resilience_helpers.py): one adds its counts every half second while it runs, the other only
when it stops; after a normal stop (SIGTERM) the two add up exactly, and nothing was lost."""

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import UsageCount
from app.settings import Settings
from tests.card_helpers import PHONE
from tests.factories import load_shipped_listings
from tests.resilience_helpers import Fleet, fake, fleet, free_port, settings
from tests.test_resilience_instances import is_up

__all__ = ["fake", "fleet", "settings"]  # fixtures


def card_views(engine: Engine) -> int:
    with Session(engine) as db:
        rows = db.exec(select(UsageCount).where(UsageCount.kind == "page")).all()
        return sum(row.count for row in rows if (row.subject, row.detail) == ("card", "en"))


def test_two_instances_count_card_views_that_add_up_exactly_after_a_normal_stop(
    migrated_engine: Engine, settings: Settings, fleet: Fleet
) -> None:
    with Session(migrated_engine) as db:  # seeded once here, not by both instances at once
        load_shipped_listings(db)
    ports = {"often": free_port(), "at-stop": free_port()}
    seconds = {"often": "0.5", "at-stop": "3600"}
    processes = {
        name: fleet.start(name, "serve", "--port", str(port), IMPACT_FLUSH_SECONDS=seconds[name])
        for name, port in ports.items()
    }
    bases = [f"http://127.0.0.1:{port}" for port in ports.values()]
    for base in bases:
        fleet.wait_until(is_up(base), f"{base} serves")

    def read_card(base: str) -> int:
        return httpx.get(f"{base}/en/", headers={"User-Agent": PHONE}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(read_card, bases * 60))
    robots = [httpx.get(f"{base}/en/", headers={"User-Agent": "curl/8.5"}) for base in bases]

    assert answers == [200] * 120
    assert [robot.status_code for robot in robots] == [200, 200]
    fleet.wait_until(lambda: card_views(migrated_engine) == 60, "the first adds its 60 views")

    for process in processes.values():
        os.kill(process.pid, signal.SIGTERM)
    for process in processes.values():
        assert process.wait(30) == 0, fleet.logs()

    assert card_views(migrated_engine) == 120
    assert "usage counts stored at shutdown: 60" in fleet.log("at-stop")
    assert "not stored yet" not in fleet.logs()
