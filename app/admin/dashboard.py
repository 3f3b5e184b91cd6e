"""What the admin dashboard shows each role: stale listings, problem reports, SMS problems."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from app.admin.roles import Role
from app.admin.settings_store import ADMINS_NEED_TWO_FACTOR, get_flag
from app.models import TEAM_ALERT, OutboundSms, ProblemReport, Service, User
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
    if user.role == Role.ADMIN:
        board.needs_two_factor = get_flag(db, ADMINS_NEED_TWO_FACTOR) and user.totp_secret is None
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
