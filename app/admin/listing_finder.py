"""Finding listings in the admin: the listings page's name search and status filter."""

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, func, select

from app.models import Contact, Service, ServiceAtLocation

LIST_LIMIT = 200
STATUS_FILTERS = ("published", "unpublished", "archived")


def find_listings(db: Session, name: str, status: str) -> list[Service]:
    query = select(Service).options(
        selectinload(Service.organization),  # type: ignore[arg-type]
        # What `listing_gaps.missing` reads, in a fixed number of queries.
        selectinload(Service.contacts).selectinload(Contact.phones),  # type: ignore[arg-type]
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location),  # type: ignore[arg-type]
    )
    if name:
        query = query.where(col(Service.name).icontains(name, autoescape=True))
    if status == "published":
        query = query.where(col(Service.published).is_(True), col(Service.archived).is_(False))
    elif status == "unpublished":
        query = query.where(col(Service.published).is_(False), col(Service.archived).is_(False))
    elif status == "archived":
        query = query.where(col(Service.archived).is_(True))
    return list(
        db.exec(query.order_by(func.lower(Service.name), col(Service.id)).limit(LIST_LIMIT)).all()
    )
