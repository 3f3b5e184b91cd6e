"""Reviewers' work on the live site: approved corrections and checked pages, in every instance.

The content files are the text as shipped (`pristine`); the database adds approved corrections and
checks. `corrected` makes the content the public sees: each approved correction replaces its item's
translation while that still reads as it did when the reviewer suggested the change (once exported
and deployed, the file already says it), and a page whose every item is checked in its current text
is marked reviewed, so its "not yet checked" notice goes.

`refresh` re-renders the pages of the languages whose corrections or checked pages changed. It
runs in the request that made the change (seen at once), and in every instance from
`follow_translations`, which reads the translations revision every `directory_refresh_seconds`,
as the directory revision is read (`app/directory/revision.py`).
"""

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app.content import SOURCE_LANGUAGE, Content, Page, render_page
from app.models import AppSetting
from app.pages import build_site
from app.review.items import (
    catalog,
    page_groups,
    page_items,
    string_key,
    template_messages,
    with_text,
)
from app.review.store import CHECKED, REVISION_KEY, ReviewState, review_states

if TYPE_CHECKING:
    from fastapi import FastAPI

    from app.context import AppContext

log = logging.getLogger(__name__)
MIN_INTERVAL = 0.2  # seconds between reads of the revision, however low the refresh setting
# What the public pages show of the review state, per language: pages marked reviewed by
# checks, and corrections applied. Pages are re-rendered only when this changes.
Shown = dict[str, tuple[frozenset[str], frozenset[int]]]


@dataclass
class LiveTranslations:
    """This process's view of the review state: the content as shipped and what it shows now."""

    pristine: Content | None = None
    revision: str | None = None
    shown: Shown = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _corrected_page(english: Page, page: Page, state: ReviewState) -> tuple[Page, set[int]]:
    applied: set[int] = set()
    current = page
    for item in page_items(english, page):
        fix = state.approved.get(item.key)
        if fix is None or fix.id is None or item.translation.strip() != fix.was:
            continue
        meta, body = with_text(current, item.key, fix.proposed)
        current = Page(page.lang, page.slug, page.path, meta, body)
        applied.add(fix.id)
    items = page_items(english, current)
    if not current.reviewed and all(state.status(item) == CHECKED for item in items):
        meta = {**current.meta, "reviewed": True}
        current = Page(page.lang, page.slug, page.path, meta, current.markdown)
    return (render_page(current) if current is not page else page), applied


def corrected(pristine: Content, states: dict[str, ReviewState]) -> tuple[Content, Shown]:
    """The content the public sees, and per language what of it the review state changed."""
    pages = dict(pristine.pages)
    corrections: dict[str, dict[str, str]] = {}
    shown: Shown = {}
    messages = template_messages(pristine)
    for lang in pristine.languages:
        state = states.get(lang)
        if lang == SOURCE_LANGUAGE or state is None:
            continue
        reviewed: set[str] = set()
        applied: set[int] = set()
        for slug in page_groups(pristine):
            english, page = pristine.pages.get((SOURCE_LANGUAGE, slug)), pages.get((lang, slug))
            if english is None or page is None:
                continue
            new, fixes = _corrected_page(english, page, state)
            applied |= fixes
            if new.reviewed and not page.reviewed:
                reviewed.add(slug)
            pages[(lang, slug)] = new
        strings = catalog(pristine, lang)
        for msgid in messages:
            fix = state.approved.get(string_key(msgid))
            if fix is not None and fix.id is not None and strings.get(msgid, "").strip() == fix.was:
                corrections.setdefault(lang, {})[msgid] = fix.proposed
                applied.add(fix.id)
        shown[lang] = (frozenset(reviewed), frozenset(applied))
    return replace(pristine, pages=pages, catalog_corrections=corrections), shown


def read_revision(engine: Engine) -> str:
    with engine.connect() as connection:
        value = connection.execute(
            select(col(AppSetting.value)).where(col(AppSetting.key) == REVISION_KEY)
        ).scalar()
    return value or ""


def refresh(context: "AppContext") -> set[str]:
    """Show the review state now in the database; the languages whose pages were re-rendered."""
    live = context.translations
    with live.lock:
        if live.pristine is None:
            live.pristine = context.content
        with Session(context.engine) as db:
            revision = read_revision(context.engine)
            states = review_states(db)
        content, shown = corrected(live.pristine, states)
        changed = {
            lang
            for lang in content.languages
            if shown.get(lang, (frozenset(), frozenset()))
            != live.shown.get(lang, (frozenset(), frozenset()))
        }
        if changed:
            site = build_site(content, context.settings, only=changed)
            context.site.responses.update(site.responses)
            context.site.not_found.update(site.not_found)
            context.site.workers.update(site.workers)  # new pages: new offline copies
            context.site.renderer = site.renderer
        context.content = content
        live.shown, live.revision = shown, revision
        return changed


async def _follow(context: "AppContext") -> None:
    interval = max(context.settings.directory_refresh_seconds, MIN_INTERVAL)
    while True:
        try:
            revision = await run_in_threadpool(read_revision, context.engine)
            if revision != context.translations.revision:
                await run_in_threadpool(refresh, context)
        except Exception as error:  # the database may be down: keep serving, look again later
            log.warning("could not read the translation review state: %s", type(error).__name__)
        await asyncio.sleep(interval)


@asynccontextmanager
async def follow_translations(app: "FastAPI") -> AsyncIterator[None]:
    """Lifespan: keep this instance's pages in step with reviewers' work in any instance."""
    from app.context import context_of  # the context module imports this one

    task = asyncio.create_task(_follow(context_of(app)))
    try:
        yield
    finally:
        task.cancel()
