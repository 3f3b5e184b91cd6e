"""Creating, finding and retiring card batches, and checking what an admin typed for one."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.cards.codes import new_code
from app.directory.search import postcode_district
from app.models import CardBatch, utcnow

# Kinds of distribution point, in the order the form offers them.
KINDS = {
    "school": "School",
    "youth-club": "Youth club",
    "event": "Event",
    "outreach": "Outreach",
    "other": "Other",
}
LABEL_MAX = 200
CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class BatchForm:
    """What the new-batch form holds, cleaned: `errors` are (field id, message) pairs."""

    label: str
    kind: str
    area: str | None
    default_lang: str | None
    errors: list[tuple[str, str]]


def check_batch_form(
    label: str, kind: str, area: str, default_lang: str, languages: list[str]
) -> BatchForm:
    errors: list[tuple[str, str]] = []
    label = " ".join(label.split())
    if not label:
        errors.append(("label", 'Enter a label, for example "Assembly, Year 9, March"'))
    elif len(label) > LABEL_MAX:
        errors.append(("label", f"The label must be {LABEL_MAX} characters or fewer"))
    if kind not in KINDS:
        errors.append(("kind", "Choose the kind of place the cards are for"))
    district = postcode_district(area) if area.strip() else None
    if area.strip() and district is None:
        errors.append(("area", "Enter a postcode district like LU1, or leave the area empty"))
    lang = default_lang.strip() or None
    if lang is not None and lang not in languages:
        errors.append(("default_lang", "Choose a language from the list"))
    return BatchForm(label, kind, district, lang, errors)


def create_batch(
    db: Session,
    form: BatchForm,
    created_by: int | None,
    make_code: Callable[[], str] = new_code,
) -> CardBatch:
    """Add a batch with a fresh code and flush it (the caller records and commits).

    A clash with an existing code is astronomically rare, but the unique constraint is the only
    safe judge across instances: on a clash the transaction is rolled back and a new code tried.
    Call this before changing anything else in the session, as that rollback would undo it.
    """
    attempts = 0
    while True:
        batch = CardBatch(
            code=make_code(),
            label=form.label,
            kind=form.kind,
            area=form.area,
            default_lang=form.default_lang,
            created_at=utcnow(),
            created_by=created_by,
        )
        db.add(batch)
        try:
            db.flush()
        except IntegrityError:
            db.rollback()
            attempts += 1
            if attempts >= CODE_ATTEMPTS:
                raise
        else:
            return batch


def retire_batch(db: Session, batch: CardBatch) -> None:
    """Mark a batch as no longer handed out; its code still counts and still lands on the card."""
    batch.retired = True
    db.add(batch)


def all_batches(db: Session) -> list[CardBatch]:
    return list(
        db.exec(
            select(CardBatch).order_by(col(CardBatch.retired), col(CardBatch.created_at).desc())
        ).all()
    )
