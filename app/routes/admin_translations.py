"""Admin pages for checking translations: reviewers (their languages) and admins (all of them).

A reviewer reads each item in English beside the translation and says "Reads right" or suggests
a change with a note; an admin approves or rejects suggestions. A check or an approval is seen on
the public pages at once in this instance (`refresh`) and within the refresh time in the others.
"""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from sqlmodel import Session

from app.admin.access import Admin, AdminPost, Reviewer, ReviewerPost, Staff, admin_page, saved
from app.content import MARKDOWN, Content
from app.context import ContextDep, SessionDep
from app.models import TranslationSuggestion, User
from app.review.items import LISTINGS, SMS, STRINGS, Item, group_name, page_groups
from app.review.live import refresh
from app.review.progress import languages_for, progress_of
from app.review.progress import status as item_status
from app.review.store import (
    ReviewError,
    ReviewState,
    all_items,
    approve,
    check,
    find_item,
    open_suggestions,
    reject,
    review_states,
    suggest,
)

router = APIRouter(prefix="/admin/translations")
FormText = Annotated[str, Form(max_length=300)]
LongText = Annotated[str, Form(max_length=20000)]
NoteText = Annotated[str, Form(max_length=1000)]


def _language(staff: Staff, content: Content, lang: str) -> str:
    if lang not in languages_for(staff.user, content):
        raise HTTPException(status_code=404 if lang not in content.languages else 403)
    return lang


def _shown(item: Item, text: str) -> Markup:
    """How a reviewer reads an item: pages as they look on the site, strings as plain text."""
    if item.page_slug is not None:
        return Markup(MARKDOWN.render(text))  # noqa: S704 - our Markdown renderer, raw HTML off
    return Markup("<p>{}</p>").format(escape(text))


def _groups(content: Content) -> list[str]:
    return [*page_groups(content), STRINGS, SMS, LISTINGS]


@router.get("", include_in_schema=False)
def overview(request: Request, db: SessionDep, context: ContextDep, staff: Reviewer) -> Response:
    content = context.content
    langs = languages_for(staff.user, content)
    states = review_states(db)
    rows = []
    for lang in langs:
        items = all_items(db, content, lang)
        rows.append(
            (content.languages[lang], progress_of(items, _state(states, lang), content, lang))
        )
    return admin_page(
        request,
        "admin/translations.html",
        staff,
        rows=rows,
        suggestions=len(open_suggestions(db, langs)),
    )


def _state(states: dict[str, ReviewState], lang: str) -> ReviewState:
    return states.get(lang) or ReviewState()


@router.get("/suggestions", include_in_schema=False)
def suggestions_page(
    request: Request, db: SessionDep, context: ContextDep, staff: Admin
) -> Response:
    return _suggestions(request, db, context.content, staff, [])


def _suggestions(
    request: Request,
    db: Session,
    content: Content,
    staff: Staff,
    errors: list[tuple[str, str]],
    status: int = 200,
) -> Response:
    langs = languages_for(staff.user, content)
    rows = []
    for suggestion in open_suggestions(db, langs):
        items = {item.key: item for item in all_items(db, content, suggestion.lang)}
        item = items.get(suggestion.item)
        author = db.get(User, suggestion.user_id) if suggestion.user_id else None
        rows.append((suggestion, item, author.email if author else "a former reviewer"))
    return admin_page(
        request,
        "admin/translation_suggestions.html",
        staff,
        status,
        rows=rows,
        languages=content.languages,
        errors=errors,
        done=request.query_params.get("done", ""),
    )


def _open_suggestion(db: Session, suggestion_id: int) -> TranslationSuggestion:
    suggestion = db.get(TranslationSuggestion, suggestion_id)
    if suggestion is None:
        raise HTTPException(status_code=404)
    return suggestion


@router.post("/suggestions/{suggestion_id}/approve", include_in_schema=False)
def approve_suggestion(
    request: Request, db: SessionDep, context: ContextDep, staff: AdminPost, suggestion_id: int
) -> Response:
    suggestion = _open_suggestion(db, suggestion_id)
    content = context.content
    try:
        item = find_item(db, content, suggestion.lang, suggestion.item)
        approve(db, content, staff.user, suggestion, item, staff.now)
    except ReviewError as error:
        db.rollback()
        return _suggestions(
            request, db, content, staff, [(f"suggestion-{suggestion_id}", str(error))], 400
        )
    detail = f"{suggestion.lang}: {suggestion.item}"
    response = saved(
        db, staff, "/admin/translations/suggestions?done=approved", "translation-approve",
        entity="translation", entity_id=suggestion_id, detail=detail,
    )  # fmt: skip
    refresh(context)  # the correction is on this instance's pages before the admin looks
    return response


@router.post("/suggestions/{suggestion_id}/reject", include_in_schema=False)
def reject_suggestion(
    request: Request, db: SessionDep, context: ContextDep, staff: AdminPost, suggestion_id: int
) -> Response:
    suggestion = _open_suggestion(db, suggestion_id)
    detail = f"{suggestion.lang}: {suggestion.item}"
    try:
        reject(db, staff.user, suggestion, staff.now)
    except ReviewError as error:
        return _suggestions(
            request, db, context.content, staff, [(f"suggestion-{suggestion_id}", str(error))], 400
        )
    return saved(
        db, staff, "/admin/translations/suggestions?done=rejected", "translation-reject",
        entity="translation", entity_id=suggestion_id, detail=detail,
    )  # fmt: skip


@router.get("/{lang}", include_in_schema=False)
def language_page(
    request: Request, db: SessionDep, context: ContextDep, staff: Reviewer, lang: str
) -> Response:
    content = context.content
    _language(staff, content, lang)
    state = _state(review_states(db, lang), lang)
    items = all_items(db, content, lang)
    groups = []
    for group in _groups(content):
        members = [item for item in items if item.group == group]
        if members:
            page = content.pages.get((lang, group))
            groups.append(
                (
                    group,
                    group_name(content, group),
                    progress_of(members, state, content, lang),
                    page,
                )
            )
    return admin_page(
        request,
        "admin/translation_language.html",
        staff,
        language=content.languages[lang],
        groups=groups,
        total=progress_of(items, state, content, lang),
    )


def _group_page(
    request: Request,
    db: Session,
    content: Content,
    staff: Staff,
    lang: str,
    group: str,
    errors: dict[str, str] | None = None,
    values: dict[str, tuple[str, str]] | None = None,
    status: int = 200,
) -> Response:
    state = _state(review_states(db, lang), lang)
    items = [item for item in all_items(db, content, lang) if item.group == group]
    if not items:
        raise HTTPException(status_code=404)
    rows = [
        (
            number,
            item,
            item_status(item, state, content, lang),
            _shown(item, item.english),
            _shown(item, item.translation),
            state.open.get(item.key, []),
        )
        for number, item in enumerate(items, start=1)
    ]
    page = content.pages.get((lang, group))
    return admin_page(
        request,
        "admin/translation_group.html",
        staff,
        status,
        language=content.languages[lang],
        group=group,
        name=group_name(content, group),
        rows=rows,
        page=page,
        progress=progress_of(items, state, content, lang),
        errors=errors or {},
        values=values or {},
        done=request.query_params.get("done", ""),
    )


@router.get("/{lang}/{group}", include_in_schema=False)
def group_page(
    request: Request, db: SessionDep, context: ContextDep, staff: Reviewer, lang: str, group: str
) -> Response:
    _language(staff, context.content, lang)
    return _group_page(request, db, context.content, staff, lang, group)


@router.post("/{lang}/{group}/check", include_in_schema=False)
def check_item(
    request: Request,
    db: SessionDep,
    context: ContextDep,
    staff: ReviewerPost,
    lang: str,
    group: str,
    item: FormText = "",
    seen: FormText = "",
    number: FormText = "",
) -> Response:
    content = context.content
    _language(staff, content, lang)
    try:
        found = find_item(db, content, lang, item)
        check(db, staff.user, lang, found, seen, staff.now)
    except ReviewError as error:
        return _group_page(request, db, content, staff, lang, group, {item: str(error)}, status=400)
    response = saved(
        db, staff, f"/admin/translations/{lang}/{group}?done=checked#item-{number}",
        "translation-check", entity="translation", entity_id=f"{lang}:{item}"[:64],
    )  # fmt: skip
    refresh(context)  # a page whose last item was checked loses its notice now
    return response


@router.post("/{lang}/{group}/suggest", include_in_schema=False)
def suggest_change(
    request: Request,
    db: SessionDep,
    context: ContextDep,
    staff: ReviewerPost,
    lang: str,
    group: str,
    item: FormText = "",
    seen: FormText = "",
    number: FormText = "",
    proposed: LongText = "",
    note: NoteText = "",
) -> Response:
    content = context.content
    _language(staff, content, lang)
    try:
        found = find_item(db, content, lang, item)
        suggest(db, content, staff.user, lang, found, seen, proposed, note, staff.now)
    except ReviewError as error:
        return _group_page(
            request, db, content, staff, lang, group, {item: str(error)}, {item: (proposed, note)},
            400,
        )  # fmt: skip
    return saved(
        db, staff, f"/admin/translations/{lang}/{group}?done=suggested#item-{number}",
        "translation-suggest", entity="translation", entity_id=f"{lang}:{item}"[:64],
    )  # fmt: skip
