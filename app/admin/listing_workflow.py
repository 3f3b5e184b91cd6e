"""The publishing workflow: a second person approves what the public sees, and staff watch listings.

A change to a live listing (published, not archived) is kept as a `ListingDraft`; the public pages
and the API keep showing the listing as last approved. An admin or an approver publishes the draft
(`approve_draft`), which writes the listing's history naming who proposed and who approved each
field. Putting a listing in front of the public for the first time (publishing it, or confirming
the details of a published one) is an approval too. Nobody approves their own work unless the
one-person-team setting (`APPROVE_OWN_DRAFTS`, on the admin Settings page) allows it.

Watching a listing puts its changes, drafts and problem reports on the watcher's dashboard.
Helpers here never commit: the handler does.
"""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from pydantic import TypeAdapter
from sqlmodel import Session, col, select

from app.admin.access import Staff
from app.admin.listing_store import (
    Proposal,
    describe,
    save_listing,
    values_of,
)
from app.admin.listings import Choices, ListingValues
from app.admin.roles import Role
from app.admin.settings_store import APPROVE_OWN_DRAFTS, get_flag
from app.models import ListingChange, ListingDraft, ListingWatch, Service

# The whole proposed listing, as JSON in `ListingDraft.content`.
DRAFT_CODEC: TypeAdapter[ListingValues] = TypeAdapter(ListingValues)
APPROVERS = (Role.ADMIN, Role.APPROVER)
# History fields that say what happened to a listing rather than what it says.
STATUS_FIELDS = ("published", "archived", "last checked")
NOT_AN_APPROVER = "Only an admin or an approver can put changes in front of the public."
OWN_WORK = (
    "You made these changes, so someone else must approve them. (A team of one can allow this "
    "on the Settings page.)"
)


@dataclass(frozen=True)
class Difference:
    field: str
    old: str
    new: str


def is_live(service: Service) -> bool:
    """Published and not archived: a change to it waits for approval."""
    return service.published and not service.archived


def draft_for(db: Session, service: Service) -> ListingDraft | None:
    return db.get(ListingDraft, service.id)


def draft_values(draft: ListingDraft) -> ListingValues:
    return DRAFT_CODEC.validate_json(draft.content)


def differences(
    before: dict[str, str], after: dict[str, str], *, keep: tuple[str, ...] = ()
) -> list[Difference]:
    """Each field whose readable text differs, in the order the history shows fields."""
    names = dict.fromkeys([*before, *after])
    return [
        Difference(name, before.get(name, ""), after.get(name, ""))
        for name in names
        if before.get(name, "") != after.get(name, "") and (not keep or name in keep)
    ]


def draft_differences(service: Service, draft: ListingDraft, choices: Choices) -> list[Difference]:
    """What publishing the draft would change, field by field."""
    live = describe(values_of(service), choices.organizations)
    return differences(live, describe(draft_values(draft), choices.organizations))


def save_draft(
    db: Session,
    service: Service,
    values: ListingValues,
    choices: Choices,
    staff: Staff,
    at: datetime,
) -> list[Difference]:
    """Keep `values` as the listing's draft (replacing any); the live listing is untouched.

    A draft that would change nothing is dropped instead, so nobody is asked to approve nothing.
    """
    draft = draft_for(db, service)
    changes = differences(
        describe(values_of(service), choices.organizations),
        describe(values, choices.organizations),
    )
    if not changes:
        if draft is not None:
            db.delete(draft)
        staff.audit(
            db, "listing-draft-saved", entity="service", entity_id=service.id, detail="no changes"
        )
        return []
    if draft is None:
        draft = ListingDraft(service_id=service.id, actor=staff.user.email, content="")
    draft.user_id, draft.actor, draft.proposed_at = staff.user.id, staff.user.email, at
    draft.content = DRAFT_CODEC.dump_json(values).decode()
    db.add(draft)
    detail = "proposed: " + ", ".join(change.field for change in changes)
    staff.audit(db, "listing-draft-saved", entity="service", entity_id=service.id, detail=detail)
    return changes


def refuse_approval(db: Session, staff: Staff, author_id: int | None) -> str | None:
    """Why `staff` may not approve work by `author_id`, or None when they may."""
    if staff.user.role not in APPROVERS:
        return NOT_AN_APPROVER
    if author_id == staff.user.id and not get_flag(db, APPROVE_OWN_DRAFTS):
        return OWN_WORK
    return None


def approve_draft(
    db: Session,
    service: Service,
    draft: ListingDraft,
    choices: Choices,
    staff: Staff,
    at: datetime,
) -> None:
    """Publish the draft: the listing takes its values (bumping the directory revision)."""
    proposal = Proposal(draft.user_id, draft.actor, draft.proposed_at)
    values = draft_values(draft)
    if values.verified and service.verified and service.assured_date and values.assured_date:
        # "Checked today" may have been pressed while the draft waited: keep the newer check.
        values = replace(values, assured_date=max(values.assured_date, service.assured_date))
    save_listing(db, service, values, choices, staff, at, proposal)
    db.delete(draft)


def discard_draft(db: Session, service: Service, draft: ListingDraft, staff: Staff) -> None:
    db.delete(draft)
    detail = f"draft by {draft.actor} discarded"
    staff.audit(
        db, "listing-draft-discarded", entity="service", entity_id=service.id, detail=detail
    )


def may_discard(staff: Staff, draft: ListingDraft) -> bool:
    """Its author may withdraw a draft; an approver may turn it down."""
    return draft.user_id == staff.user.id or staff.user.role in APPROVERS


def last_author(db: Session, service: Service) -> int | None:
    """Who last changed what the listing says (not its status), from its history."""
    return db.exec(
        select(ListingChange.user_id)
        .where(
            ListingChange.service_id == service.id,
            col(ListingChange.field).not_in(STATUS_FIELDS),
        )
        .order_by(col(ListingChange.at).desc(), col(ListingChange.id).desc())
        .limit(1)
    ).first()


def shows_for_first_time(service: Service, action: str) -> bool:
    """The status action would put the listing's content in front of the public."""
    if action == "publish":
        return not is_live(service)
    return action == "checked-today" and is_live(service) and not service.verified


def refuse_status_action(db: Session, staff: Staff, service: Service, action: str) -> str | None:
    """Publishing (or confirming) a listing the public has not seen approves its content."""
    if not shows_for_first_time(service, action):
        return None
    return refuse_approval(db, staff, last_author(db, service))


# --- watching -----------------------------------------------------------------------------------


def is_watching(db: Session, staff: Staff, service: Service) -> bool:
    return db.get(ListingWatch, (staff.user.id, service.id)) is not None


def set_watching(db: Session, staff: Staff, service: Service, wanted: bool, at: datetime) -> None:
    watch = db.get(ListingWatch, (staff.user.id, service.id))
    if wanted and watch is None:
        assert staff.user.id is not None
        db.add(ListingWatch(user_id=staff.user.id, service_id=service.id, since=at))
    elif not wanted and watch is not None:
        db.delete(watch)


def drafts_waiting(db: Session, limit: int) -> list[tuple[ListingDraft, Service]]:
    """Drafts waiting for approval, oldest first (for approvers' dashboards)."""
    return list(
        db.exec(
            select(ListingDraft, Service)
            .join(Service, col(Service.id) == col(ListingDraft.service_id))
            .order_by(col(ListingDraft.proposed_at))
            .limit(limit)
        ).all()
    )


def with_drafts(db: Session) -> set[uuid.UUID]:
    """The listings that have a change waiting for approval."""
    return set(db.exec(select(ListingDraft.service_id)).all())


def history(db: Session, service: Service) -> list[ListingChange]:
    return list(
        db.exec(
            select(ListingChange)
            .where(ListingChange.service_id == service.id)
            .order_by(col(ListingChange.at).desc(), col(ListingChange.id).desc())
        ).all()
    )
