"""What the admin dashboard shows each role.

A caseworker's dashboard is their team's open callback requests. An admin's shows every team's
counts, open requests sitting with a team that has no duty phone, and SMS problems. Editors and
admins see stale listings and problem reports.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from app.admin.roles import Role
from app.admin.settings_store import needs_two_factor
from app.callbacks.queue import OPEN, QueueItem, TeamCounts, counts_by_team, queue
from app.models import TEAM_ALERT, CallbackRequest, OutboundSms, ProblemReport, Service, Team, User
from app.sms.outbox import paused_until

STALE_AFTER = timedelta(days=180)  # a listing not checked for this long is shown as stale
SHOWN = 50


@dataclass
class Dashboard:
    stale: list[Service] = field(default_factory=list)
    reports: list[tuple[ProblemReport, Service]] = field(default_factory=list)
    open_reports: int = 0
    needs_two_factor: bool = False
    sms_paused: datetime | None = None
    failed_alerts: int | None = None
    queue_items: list[QueueItem] | None = None  # a caseworker's team's open requests
    team_counts: list[TeamCounts] = field(default_factory=list)
    without_duty_phone: int = 0  # open requests routed to a team with no duty phone


def dashboard_for(db: Session, user: User, now: datetime) -> Dashboard:
    board = Dashboard()
    if user.role in (Role.ADMIN, Role.EDITOR):
        cutoff = (now - STALE_AFTER).date()
        board.stale = list(
            db.exec(
                select(Service)
                .where(col(Service.archived).is_(False))
                .where((col(Service.assured_date).is_(None)) | (col(Service.assured_date) < cutoff))
                .order_by(col(Service.assured_date).asc().nulls_first(), col(Service.name))
                .limit(SHOWN)
            ).all()
        )
        board.reports = list(
            db.exec(
                select(ProblemReport, Service)
                .join(Service, col(Service.id) == col(ProblemReport.service_id))
                .where(ProblemReport.status == "open")
                .order_by(col(ProblemReport.created_at).desc())
                .limit(SHOWN)
            ).all()
        )
    board.open_reports = db.exec(
        select(func.count()).select_from(ProblemReport).where(ProblemReport.status == "open")
    ).one()
    if user.role == Role.CASEWORKER:
        board.queue_items = queue(db, user, "open", now)
    if user.role == Role.ADMIN:
        board.team_counts = counts_by_team(db, now)
        board.without_duty_phone = db.exec(
            select(func.count())
            .select_from(CallbackRequest)
            .join(Team, col(Team.id) == col(CallbackRequest.team_id))
            .where(col(CallbackRequest.status).in_(OPEN), Team.duty_phones == "")
        ).one()
        board.needs_two_factor = needs_two_factor(db, user.role) and user.totp_secret is None
        board.sms_paused = paused_until(db, now)
        board.failed_alerts = db.exec(
            select(func.count())
            .select_from(OutboundSms)
            .where(
                OutboundSms.purpose == TEAM_ALERT,
                col(OutboundSms.status).in_(("failed", "undelivered")),
            )
        ).one()
    return board
