"""The listings part of the dashboard, for everyone who keeps listings right.

Drafts waiting for approval; for each watched listing, its recent changes, waiting draft and open
problem reports; and listings not checked for `STALE_AFTER`, grouped by organisation so each
organisation's listings can be checked with one phone call.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.admin.listing_workflow import drafts_waiting
from app.admin.roles import Role
from app.directory.hours import LONDON
from app.models import (
    ListingChange,
    ListingDraft,
    ListingWatch,
    Organization,
    ProblemReport,
    Service,
    User,
)

STALE_AFTER = timedelta(days=180)  # a listing not checked for this long is shown as stale
RECENT = timedelta(days=30)  # how far back a watcher sees changes
SHOWN = 50
STALE_SHOWN = 500
LISTING_ROLES = (Role.ADMIN, Role.EDITOR, Role.APPROVER)


@dataclass
class ListingBoard:
    drafts: list[tuple[ListingDraft, Service]] = field(default_factory=list)
    watched: list[Service] = field(default_factory=list)
    watched_changes: list[tuple[ListingChange, Service]] = field(default_factory=list)
    watched_reports: list[tuple[ProblemReport, Service]] = field(default_factory=list)
    # Organisation name → its listings not checked for STALE_AFTER (never checked first).
    stale: dict[str, list[Service]] = field(default_factory=dict)


def listing_board(db: Session, user: User, now: datetime) -> ListingBoard | None:
    if user.role not in LISTING_ROLES:
        return None
    board = ListingBoard(drafts=drafts_waiting(db, SHOWN))
    watched_ids = select(ListingWatch.service_id).where(ListingWatch.user_id == user.id)
    board.watched = list(
        db.exec(
            select(Service).where(col(Service.id).in_(watched_ids)).order_by(col(Service.name))
        ).all()
    )
    board.watched_changes = list(
        db.exec(
            select(ListingChange, Service)
            .join(Service, col(Service.id) == col(ListingChange.service_id))
            .where(col(ListingChange.service_id).in_(watched_ids), ListingChange.at >= now - RECENT)
            .order_by(col(ListingChange.at).desc(), col(ListingChange.id).desc())
            .limit(SHOWN)
        ).all()
    )
    board.watched_reports = list(
        db.exec(
            select(ProblemReport, Service)
            .join(Service, col(Service.id) == col(ProblemReport.service_id))
            .where(col(ProblemReport.service_id).in_(watched_ids), ProblemReport.status == "open")
            .order_by(col(ProblemReport.created_at).desc())
            .limit(SHOWN)
        ).all()
    )
    board.stale = stale_by_organisation(db, now)
    return board


def stale_by_organisation(db: Session, now: datetime) -> dict[str, list[Service]]:
    """Listings (not archived) whose details were last checked over 180 days ago, or never."""
    cutoff = (now.astimezone(LONDON) - STALE_AFTER).date()
    rows = db.exec(
        select(Service, Organization.name)
        .join(Organization, col(Organization.id) == col(Service.organization_id))
        .where(col(Service.archived).is_(False))
        .where(col(Service.assured_date).is_(None) | (col(Service.assured_date) < cutoff))
        .order_by(
            col(Organization.name),
            col(Service.assured_date).asc().nulls_first(),
            col(Service.name),
        )
        .limit(STALE_SHOWN)
    ).all()
    grouped: dict[str, list[Service]] = defaultdict(list)
    for service, organisation in rows:
        grouped[organisation].append(service)
    return dict(grouped)
