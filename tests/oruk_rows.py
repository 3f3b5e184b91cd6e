"""Rows and measurements for the API tests: a service with every kind of child row, locations,
thousands of services inserted in bulk, and a counter of the SQL statements a request runs."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, time
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, insert
from sqlmodel import Session, SQLModel

from app.context import context_of
from app.models import (
    Address,
    Attribute,
    Contact,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    utcnow,
)
from tests.factories import EVERY_DAY, make_service
from tests.helpers import made_by_the_request


def add_location(session: Session, service: Service, name: str = "Youth centre") -> str:
    location = Location(id=uuid.uuid4(), name=name, latitude=51.88, longitude=-0.42)
    session.add(location)
    session.flush()
    address = Address(
        id=uuid.uuid4(),
        location_id=location.id,
        address_1="1 High Street",
        city="Luton",
        state_province="Bedfordshire",
        postal_code="LU1 2AA",
    )
    link = ServiceAtLocation(id=uuid.uuid4(), service_id=service.id, location_id=location.id)
    session.add_all([address, link])
    session.commit()
    return str(link.id)


def add_everything(session: Session) -> Service:
    """A service with every kind of child row, to exercise the whole nested shape."""
    service = make_service(
        session,
        "Street Doctors",
        needs=["hurt-or-robbed", "pressured"],
        areas=["LU1"],
        phones=[("0800 111 2222", "voice"), ("07700 900123", "sms")],
        hours=[
            ("MO,TU,WE,TH,FR", time(9), time(17, 30)),
            ("SA", time(0), time(0)),
            ("FR,SA", time(22), time(2)),
        ],
        minimum_age=11,
        maximum_age=25,
    )
    session.add(Language(id=uuid.uuid4(), service_id=service.id, code="pl", name="Polish"))
    session.commit()
    add_location(session, service)
    return service


@contextmanager
def counted_statements(client: TestClient) -> Iterator[list[str]]:
    app: Any = client.app
    while not isinstance(app, FastAPI):
        app = app.app
    engine: Engine = context_of(app).engine
    statements: list[str] = []

    def count(*args: Any) -> None:
        if made_by_the_request(args[2], args[3]):
            statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def add_many_services(engine: Engine, count: int) -> None:
    """Bulk inserts, not `count` factory calls. Each service gets its own organization, contact
    with a phone, hours, need and location, so a query per row would show in the count."""
    rows: dict[type[SQLModel], list[SQLModel]] = {
        model: []
        for model in (Organization, Service, Contact, Phone, Schedule, Attribute, Location)
    }
    rows[ServiceAtLocation] = []
    with engine.begin() as connection:
        terms = SQLModel.metadata.tables["taxonomy_term"]
        term_ids = [row.id for row in connection.execute(terms.select())]
        for number in range(count):
            organization_id, service_id = uuid.uuid4(), uuid.uuid4()
            contact_id, location_id = uuid.uuid4(), uuid.uuid4()
            rows[Organization].append(Organization(id=organization_id, name=f"Bulk {number}"))
            rows[Service].append(
                Service(
                    id=service_id,
                    organization_id=organization_id,
                    name=f"Bulk service {number:05d}",
                    verified=True,  # confirmed by staff: only confirmed listings are public
                    assured_date=date(2026, 11, 1),
                    last_modified=utcnow(),
                )
            )
            rows[Contact].append(Contact(id=contact_id, service_id=service_id))
            rows[Phone].append(Phone(id=uuid.uuid4(), contact_id=contact_id, number="0800"))
            rows[Schedule].append(
                Schedule(
                    id=uuid.uuid4(),
                    service_id=service_id,
                    byday=EVERY_DAY,
                    opens_at=time(9),
                    closes_at=time(17),
                )
            )
            term_id = term_ids[number % len(term_ids)]
            rows[Attribute].append(
                Attribute(id=uuid.uuid4(), link_id=service_id, taxonomy_term_id=term_id)
            )
            rows[Location].append(Location(id=location_id, name=f"Bulk venue {number}"))
            rows[ServiceAtLocation].append(
                ServiceAtLocation(id=uuid.uuid4(), service_id=service_id, location_id=location_id)
            )
        for model, values in rows.items():
            connection.execute(insert(model), [value.model_dump() for value in values])
