"""Prometheus metrics for `/metrics`: what this process counts, and what the database says.

Each process keeps its own counters in `REGISTRY` (requests by route template and status and
their duration, counted by `MeasuredSite` in app/measured_site.py; callback requests created),
so with several `serve` instances Prometheus scrapes each one and adds them up. What every
instance and the sender share (texts by purpose and status, the age of the oldest queued text,
callback requests by status, the sender's heartbeat) is read from the database at scrape time
(`DatabaseCollector`), so any instance answers it the same way.
"""

import ipaddress
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.models import CallbackRequest, OutboundSms
from app.models.callbacks import TEAM_ALERT
from app.sms.heartbeat import last_tick

REGISTRY = CollectorRegistry(auto_describe=False)
ProcessCollector(registry=REGISTRY)  # memory, CPU and open files of this process

REQUESTS = Counter(
    "card_http_requests",
    "HTTP requests answered by this process, by route template and status",
    ["route", "status"],
    registry=REGISTRY,
)
DURATION = Histogram(
    "card_http_request_duration_seconds",
    "Time to answer an HTTP request in this process, by route template",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
CALLBACKS_CREATED = Counter(
    "card_callback_requests_created",
    "Callback requests stored by this process, by source (web form or text)",
    ["source"],
    registry=REGISTRY,
)

# Always reported, even at 0, so an alert on them never sees a missing series.
PURPOSES = (TEAM_ALERT, "confirmation")
TEXT_STATUSES = ("queued", "sending", "sent", "failed")
CALLBACK_STATUSES = ("new", "claimed", "closed")


class DatabaseCollector(Collector):
    """Gauges read from the database when scraped: the same answer from every instance."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine = engine
        self.now = now

    def collect(self) -> Iterator[Metric]:
        with Session(self.engine) as db:
            texts = db.exec(
                select(OutboundSms.purpose, OutboundSms.status, func.count()).group_by(
                    col(OutboundSms.purpose), col(OutboundSms.status)
                )
            ).all()
            oldest = db.exec(
                select(func.min(OutboundSms.created_at)).where(col(OutboundSms.status) == "queued")
            ).one()
            callbacks = db.exec(
                select(CallbackRequest.status, func.count()).group_by(col(CallbackRequest.status))
            ).all()
            heartbeat = last_tick(db)
        by_text = {(purpose, status): 0 for purpose in PURPOSES for status in TEXT_STATUSES}
        by_text.update({(purpose, status): count for purpose, status, count in texts})
        yield _gauge(
            "card_texts",
            "Texts in the outbox, by purpose and status (read from the database)",
            ["purpose", "status"],
            ((list(key), float(count)) for key, count in sorted(by_text.items())),
        )
        age = max((self.now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        yield _gauge(
            "card_oldest_queued_text_age_seconds",
            "How long the oldest queued text has waited (0: none queued)",
            [],
            [([], age)],
        )
        by_status = dict.fromkeys(CALLBACK_STATUSES, 0)
        by_status.update(dict(callbacks))
        yield _gauge(
            "card_callback_requests",
            "Callback requests by status (read from the database)",
            ["status"],
            (([status], float(count)) for status, count in sorted(by_status.items())),
        )
        yield _gauge(
            "card_sender_heartbeat_timestamp_seconds",
            "When an SMS sender last finished a tick without error (Unix time; 0: never)",
            [],
            [([], heartbeat.timestamp() if heartbeat is not None else 0.0)],
        )


def _gauge(
    name: str, documentation: str, labels: list[str], samples: Iterable[tuple[list[str], float]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for values, value in samples:
        family.add_metric(values, value)
    return family


def exposition(engine: Engine, now: datetime) -> bytes:
    """This process's metrics, then the database's, in Prometheus' text format."""
    shared = CollectorRegistry(auto_describe=False)
    shared.register(DatabaseCollector(engine, now))
    return generate_latest(REGISTRY) + generate_latest(shared)


def address_allowed(host: str | None, allowed: str) -> bool:
    """Is `host` (the client's address) in METRICS_ALLOW (addresses and networks, commas)?"""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in allowed_networks(allowed))


def allowed_networks(
    allowed: str,
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """METRICS_ALLOW as networks; raises ValueError on an entry that is neither."""
    return [
        ipaddress.ip_network(item.strip(), strict=False)
        for item in allowed.split(",")
        if item.strip()
    ]
