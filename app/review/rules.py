"""What a reviewer's suggestion may not change: English, phone numbers, other numbers and links.

A suggestion only ever replaces the translation of one item, never English. Before it is kept it
must pass the rules `content-check` applies to translations (the same numbers and links as English,
only listed phone numbers, the same sections): a page item is put into a copy of its page and the
page is checked with `check_content`; an interface string or listing text, which has no page, is
compared with English by the same measure (`numbers_in`), plus its links and `%(name)s` values.
A suggestion is refused only for a problem it would add, not for one the translation already has.
"""

import re
from dataclasses import replace
from pathlib import Path

from app.content import SOURCE_LANGUAGE, Content, Page, render_page
from app.content_rules import check_content, numbers_in
from app.review.items import Item, with_text

LINK = re.compile(r"(?:https?://|tel:|sms:|www\.)[^\s)\]]+")
VALUE = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}")
REFUSED = (
    "Not saved: phone numbers, other numbers and links must stay exactly as they are in English. "
)


def _page_problems(content: Content, page: Page) -> list[str]:
    return [problem.message for problem in check_content(content) if problem.path == str(page.path)]


def _as_page(text: str) -> Page:
    return render_page(Page(lang="", slug="", path=Path("-"), meta={}, markdown=text))


def _text_problems(english: str, text: str) -> list[str]:
    problems = []
    ours, theirs = numbers_in(_as_page(english)), numbers_in(_as_page(text))
    if ours != theirs:
        missing, extra = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
        problems.append(f"numbers differ from English (missing {missing}, not in English {extra})")
    if sorted(LINK.findall(english)) != sorted(LINK.findall(text)):
        problems.append("links differ from English")
    if sorted(VALUE.findall(english)) != sorted(VALUE.findall(text)):
        values = ", ".join(sorted(set(VALUE.findall(english)))) or "none"
        problems.append(f"keep the values in brackets exactly as in English ({values})")
    return problems


def refusal(content: Content, lang: str, item: Item, proposed: str) -> str | None:
    """Why `proposed` cannot replace the item's translation, or None when it may."""
    if lang == SOURCE_LANGUAGE or lang not in content.languages:
        return "Only a translation can be changed here, never the English."
    if not proposed.strip():
        return "Write the words you suggest, or choose “Reads right”."
    slug = item.page_slug
    if slug is None:
        before = _text_problems(item.english, item.translation)
        after = _text_problems(item.english, proposed)
    else:
        page = content.pages.get((lang, slug))
        if page is None:
            return "This page is not translated yet: ask the team to add it first."
        meta, body = with_text(page, item.key, proposed)
        candidate = render_page(Page(lang, slug, page.path, meta, body))
        changed = replace(content, pages={**content.pages, (lang, slug): candidate})
        # The page's rules, and links in front-matter words (the page's links are its body's).
        before = _page_problems(content, page) + _text_problems(item.english, item.translation)
        after = _page_problems(changed, candidate) + _text_problems(item.english, proposed)
    added = [problem for problem in after if problem not in before]
    return REFUSED + "; ".join(added) + "." if added else None
