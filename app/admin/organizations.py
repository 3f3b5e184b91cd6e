"""Organisations that run listed services, and problem reports the public sends about listings."""

import uuid
from dataclasses import dataclass

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from app.admin.access import Staff
from app.admin.listing_checks import Errors, check_length
from app.directory.listing import MAX_TEXT, WEB_ADDRESS
from app.directory.revision import bump_directory_revision
from app.models import Organization, ProblemReport, Service

REPORTS_SHOWN = 200


@dataclass(frozen=True)
class OrganizationValues:
    name: str
    description: str
    website: str | None


def check_organization(
    name: str, description: str, website: str
) -> tuple[OrganizationValues | None, Errors]:
    errors: Errors = []
    name, description, website = (
        name.strip(),
        description.replace("\r\n", "\n").strip(),
        website.strip(),
    )
    if not name:
        errors.append(("name", "Enter the name of the organisation"))
    check_length(errors, "name", name, 255, "The name")
    check_length(errors, "description", description, MAX_TEXT, "The description")
    if website and (not WEB_ADDRESS.match(website) or len(website) > 500):
        errors.append(
            ("website", "Enter the website address starting https://, like https://example.org")
        )
    if errors:
        return None, errors
    return OrganizationValues(name, description, website or None), []


def organizations_with_counts(db: Session) -> list[tuple[Organization, int]]:
    counts = (
        select(Service.organization_id, func.count().label("services"))
        .group_by(col(Service.organization_id))
        .subquery()
    )
    rows = db.exec(
        select(Organization, func.coalesce(counts.c.services, 0))
        .outerjoin(counts, counts.c.organization_id == col(Organization.id))
        .order_by(func.lower(Organization.name))
    ).all()
    return [(organization, int(count)) for organization, count in rows]


def _as_text(organization: Organization) -> dict[str, str]:
    return {
        "name": organization.name,
        "description": organization.description,
        "website": organization.website or "",
    }


def save_organization(
    db: Session, organization: Organization | None, values: OrganizationValues, staff: Staff
) -> Organization:
    """Create (organization None) or update an organisation, with an audit entry."""
    action = "organization-updated"
    before = _as_text(organization) if organization else {}
    if organization is None:
        organization = Organization(id=uuid.uuid4(), name=values.name)
        action = "organization-created"
    organization.name = values.name
    organization.description = values.description
    organization.website = values.website
    db.add(organization)
    bump_directory_revision(db)  # the API shows each service's organisation
    changed = [name for name, new in _as_text(organization).items() if before.get(name, "") != new]
    db.flush()
    staff.audit(
        db,
        action,
        entity="organization",
        entity_id=organization.id,
        detail="changed: " + ", ".join(changed) if changed else "no changes",
    )
    return organization


def problem_reports(db: Session) -> list[tuple[ProblemReport, Service]]:
    """Open reports first, newest first within each."""
    still_open = case((col(ProblemReport.status) == "open", 0), else_=1)
    return list(
        db.exec(
            select(ProblemReport, Service)
            .join(Service, col(Service.id) == col(ProblemReport.service_id))
            .order_by(still_open, col(ProblemReport.created_at).desc())
            .limit(REPORTS_SHOWN)
        ).all()
    )


def close_report(db: Session, report: ProblemReport, staff: Staff) -> None:
    report.status = "closed"
    db.add(report)
    staff.audit(
        db,
        "report-closed",
        entity="problem_report",
        entity_id=report.id,
        detail=f"service {report.service_id}",
    )
