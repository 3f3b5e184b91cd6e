"""Checks and suggestions in the database: a language's review state, and what reviewers and
admins do to it. Helpers here add to the caller's transaction and never commit.

Every change bumps the translations revision (`app/review/live.py`), so every instance re-reads
the state and re-renders its pages within the refresh time.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from app.content import Content
from app.directory.revision import bump_directory_revision
from app.models import (
    AppSetting,
    Service,
    ServiceTranslation,
    TranslationCheck,
    TranslationSuggestion,
    User,
)
from app.models.review import APPROVED, OPEN, REJECTED
from app.review.items import LISTINGS, Item, content_items, text_hash
from app.review.rules import refusal

REVISION_KEY = "translations_revision"
LISTING_FIELDS = ("summary", "description")
CHECKED = "checked"
CHANGED = "changed since checked"
NOT_CHECKED = "not checked"


class ReviewError(ValueError):
    """What the reviewer or admin asked cannot be done; the message says why, in plain words."""


@dataclass
class ReviewState:
    """One language's checks (item → hashes checked), open suggestions and approved corrections."""

    checked: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    open: dict[str, list[TranslationSuggestion]] = field(default_factory=lambda: defaultdict(list))
    approved: dict[str, TranslationSuggestion] = field(default_factory=dict)

    def status(self, item: Item) -> str:
        if item.text_hash in self.checked.get(item.key, ()):
            return CHECKED
        return CHANGED if self.checked.get(item.key) else NOT_CHECKED


def bump_translations(db: Session) -> None:
    revision = db.get(AppSetting, REVISION_KEY) or AppSetting(key=REVISION_KEY)
    revision.value = uuid.uuid4().hex
    db.add(revision)


def review_states(db: Session, lang: str | None = None) -> dict[str, ReviewState]:
    """The review state of every language (or of `lang`), by language."""
    states: dict[str, ReviewState] = defaultdict(ReviewState)
    checks = select(TranslationCheck)
    suggestions = select(TranslationSuggestion).where(
        col(TranslationSuggestion.status).in_((OPEN, APPROVED))
    )
    if lang is not None:
        checks = checks.where(TranslationCheck.lang == lang)
        suggestions = suggestions.where(TranslationSuggestion.lang == lang)
    for check in db.exec(checks):
        states[check.lang].checked[check.item].add(check.text_hash)
    for suggestion in db.exec(suggestions.order_by(col(TranslationSuggestion.id))):
        state = states[suggestion.lang]
        if suggestion.status == OPEN:
            state.open[suggestion.item].append(suggestion)
        else:  # the latest approval of an item wins
            state.approved[suggestion.item] = suggestion
    return states


def listing_items(db: Session, lang: str) -> list[Item]:
    """The summary and description of each listing translated into `lang`."""
    rows = db.exec(
        select(Service, ServiceTranslation)
        .join(ServiceTranslation, col(ServiceTranslation.service_id) == col(Service.id))
        .where(ServiceTranslation.lang == lang, col(Service.archived).is_(False))
        .order_by(col(Service.name))
    ).all()
    return [
        Item(
            f"listing/{service.id}/{name}",
            LISTINGS,
            f"{service.name}: {name}",
            getattr(service, name),
            getattr(translation, name),
        )
        for service, translation in rows
        for name in LISTING_FIELDS
        if getattr(service, name).strip()
    ]


def all_items(db: Session, content: Content, lang: str) -> list[Item]:
    return content_items(content, lang) + listing_items(db, lang)


def find_item(db: Session, content: Content, lang: str, key: str) -> Item:
    for item in all_items(db, content, lang):
        if item.key == key:
            return item
    raise ReviewError("That item is no longer there. Go back and reload the page.")


def _seen(item: Item, seen_hash: str) -> None:
    if item.text_hash != seen_hash:
        raise ReviewError(
            "The English or the translation changed while you were reading. Read it again."
        )


def check(db: Session, user: User, lang: str, item: Item, seen_hash: str, now: datetime) -> None:
    """Record "Reads right" for the texts the reviewer saw (refused if they changed since)."""
    _seen(item, seen_hash)
    db.add(TranslationCheck(lang=lang, item=item.key, text_hash=seen_hash, user_id=user.id, at=now))
    bump_translations(db)


def suggest(
    db: Session,
    content: Content,
    user: User,
    lang: str,
    item: Item,
    seen_hash: str,
    proposed: str,
    note: str,
    now: datetime,
) -> TranslationSuggestion:
    """Keep a suggested wording for an admin to approve, if it keeps English's numbers and links."""
    _seen(item, seen_hash)
    proposed = proposed.replace("\r\n", "\n").strip()
    problem = refusal(content, lang, item, proposed)
    if problem:
        raise ReviewError(problem)
    suggestion = TranslationSuggestion(
        lang=lang,
        item=item.key,
        text_hash=seen_hash,
        was=item.translation.strip(),
        proposed=proposed,
        note=note.strip(),
        user_id=user.id,
        created_at=now,
    )
    db.add(suggestion)
    db.flush()
    return suggestion


def approve(
    db: Session,
    content: Content,
    admin: User,
    suggestion: TranslationSuggestion,
    item: Item,
    now: datetime,
) -> None:
    """Make the suggestion the live translation; it counts as checked by its reviewer."""
    if suggestion.status != OPEN:
        raise ReviewError("This suggestion was already decided.")
    if item.translation.strip() != suggestion.was:
        raise ReviewError(
            "The translation changed after this suggestion was made. Reject it and ask the "
            "reviewer to look again."
        )
    # The rules again: the English may have changed since the suggestion was made.
    problem = refusal(content, suggestion.lang, item, suggestion.proposed)
    if problem:
        raise ReviewError(problem)
    suggestion.status, suggestion.decided_by, suggestion.decided_at = APPROVED, admin.id, now
    db.add(suggestion)
    if item.group == LISTINGS:
        _, service_id, name = item.key.split("/")
        row = db.get(ServiceTranslation, (uuid.UUID(service_id), suggestion.lang))
        if row is None:
            raise ReviewError("That listing has no translation any more.")
        setattr(row, name, suggestion.proposed)
        db.add(row)
        bump_directory_revision(db)  # listing pages and the API, in every instance
    new_hash = text_hash(item.english, suggestion.proposed)
    db.add(
        TranslationCheck(
            lang=suggestion.lang,
            item=item.key,
            text_hash=new_hash,
            user_id=suggestion.user_id,
            at=now,
        )
    )
    bump_translations(db)


def reject(db: Session, admin: User, suggestion: TranslationSuggestion, now: datetime) -> None:
    if suggestion.status != OPEN:
        raise ReviewError("This suggestion was already decided.")
    suggestion.status, suggestion.decided_by, suggestion.decided_at = REJECTED, admin.id, now
    db.add(suggestion)


def open_suggestions(db: Session, langs: list[str]) -> list[TranslationSuggestion]:
    return list(
        db.exec(
            select(TranslationSuggestion)
            .where(TranslationSuggestion.status == OPEN, col(TranslationSuggestion.lang).in_(langs))
            .order_by(col(TranslationSuggestion.created_at))
        ).all()
    )
