"""Review progress: items checked out of the total, per language and per group of items.

An item counts as checked when a reviewer said "Reads right" to its current English and
translation, or when its page is marked `reviewed: true` in the content files (checked before the
admin review existed, or exported from it). Shown on the admin dashboard, the review pages and
in `content-check`.
"""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlmodel import Session

from app.admin.roles import Role
from app.content import SOURCE_LANGUAGE, Content
from app.models import TranslationCheck, User
from app.review.items import Item, content_items
from app.review.store import CHECKED, ReviewState, open_suggestions, review_states
from app.settings import Settings


@dataclass(frozen=True)
class Progress:
    checked: int
    total: int
    changed: int = 0  # checked once, changed since
    suggested: int = 0  # open suggestions

    def __str__(self) -> str:
        return f"{self.checked}/{self.total}"


def status(item: Item, state: ReviewState, content: Content, lang: str) -> str:
    found = state.status(item)
    if found != CHECKED and item.page_slug is not None:
        page = content.pages.get((lang, item.page_slug))
        if page is not None and page.reviewed:
            return CHECKED
    return found


def progress_of(items: list[Item], state: ReviewState, content: Content, lang: str) -> Progress:
    statuses = [status(item, state, content, lang) for item in items]
    return Progress(
        checked=statuses.count(CHECKED),
        total=len(items),
        changed=sum(1 for s in statuses if s != CHECKED and s != "not checked"),
        suggested=sum(len(state.open.get(item.key, ())) for item in items),
    )


def languages_for(user: User, content: Content) -> list[str]:
    """The translations this person may check: every one for an admin, a reviewer's own."""
    translated = [code for code in content.languages if code != SOURCE_LANGUAGE]
    if user.role == Role.ADMIN:
        return translated
    if user.role != Role.REVIEWER:
        return []
    theirs = {code.strip() for code in user.languages.split(",")}
    return [code for code in translated if code in theirs]


def progress_by_language(
    db: Session, content: Content, langs: list[str], with_listings: bool = True
) -> dict[str, Progress]:
    from app.review.store import listing_items  # the listings are in the database

    states = review_states(db)
    found = {}
    for lang in langs:
        items = content_items(content, lang) + (listing_items(db, lang) if with_listings else [])
        found[lang] = progress_of(items, states.get(lang) or ReviewState(), content, lang)
    return found


def dashboard_progress(db: Session, content: Content, user: User) -> dict[str, Progress]:
    """The dashboard's compact section: the languages this person checks."""
    langs = languages_for(user, content)
    return progress_by_language(db, content, langs) if langs else {}


def open_count(db: Session, langs: list[str]) -> int:
    return len(open_suggestions(db, langs))


def cli_progress(settings: Settings, content: Content) -> dict[str, Progress]:
    """For `content-check`: checks from the database when it has them, else from the files."""
    langs = [code for code in content.languages if code != SOURCE_LANGUAGE]
    empty = {lang: ReviewState() for lang in langs}
    url = settings.database_url
    missing_file = (
        url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()
    )
    states = empty
    if not missing_file:
        from app.database import make_engine

        engine = make_engine(url)
        try:
            if inspect(engine).has_table(TranslationCheck.__tablename__):
                with Session(engine) as db:
                    states = {**empty, **review_states(db)}
        except Exception:  # noqa: S110 - no database here: the files alone say what is checked
            pass
        finally:
            engine.dispose()
    return {
        lang: progress_of(content_items(content, lang), states[lang], content, lang)
        for lang in langs
    }
