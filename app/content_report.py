"""The `content-check` report: completeness and review per language, reading grades, problems."""

import re
from collections.abc import Mapping

import textstat
from babel.messages.pofile import read_po

from app.content import SOURCE_LANGUAGE, Content

MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
READING_GRADE_TARGET = 6.0


def reading_grade(markdown: str) -> float:
    plain = MARKDOWN_LINK.sub(r"\1", markdown).replace("#", "").replace("*", "")
    return float(textstat.flesch_kincaid_grade(plain))


def _strings(content: Content, lang: str) -> str:
    """'73/73': interface strings translated in the language's catalog, of those in the template."""
    locales = content.directory / "locales"
    template = locales / "messages.pot"
    catalog = locales / lang / "LC_MESSAGES" / "messages.po"
    if lang == SOURCE_LANGUAGE or not template.exists():
        return "(source)"
    with template.open("rb") as pot:
        wanted = {message.id for message in read_po(pot) if message.id}
    done: set[object] = set()
    if catalog.exists():
        with catalog.open("rb") as po:
            done = {m.id for m in read_po(po) if m.id and m.string and not m.fuzzy}
    return f"{len(wanted & done)}/{len(wanted)}"


def report(content: Content, review: Mapping[str, object] | None = None) -> str:
    """The report; `review` is each language's items checked in the admin ("120/348")."""
    slugs = content.page_slugs
    operator = content.operator
    lines = [
        f"Run by: {operator.name}"
        + (" (the shipped demo: fill in content/site.yaml)" if operator.demo else ""),
        "Languages (pages translated; pages checked by a fluent speaker):",
    ]
    for lang in content.languages.values():
        present = [
            content.pages[(lang.code, slug)] for slug in slugs if (lang.code, slug) in content.pages
        ]
        reviewed = sum(page.reviewed for page in present)
        missing = [slug for slug in slugs if (lang.code, slug) not in content.pages]
        line = (
            f"  {lang.code:<3} {lang.name:<12} {len(present):>2}/{len(slugs)} pages translated, "
            f"{reviewed:>2}/{len(slugs)} checked; interface strings {_strings(content, lang.code)}"
        )
        if review and lang.code in review:
            line += f"; items checked {review[lang.code]}"
        if missing:
            line += f"; shown in English: {', '.join(missing)}"
        lines.append(line)
    lines.append(
        "Reading grade of English pages "
        f"(Flesch-Kincaid; aim for {READING_GRADE_TARGET:g} or below):"
    )
    for slug in slugs:
        page = content.pages.get((SOURCE_LANGUAGE, slug))
        if page is not None and page.markdown.strip():
            grade = reading_grade(page.markdown)
            flag = "" if grade <= READING_GRADE_TARGET else "  (above target)"
            lines.append(f"  {slug:<24} {grade:4.1f}{flag}")
    if content.problems:
        lines.append(f"{len(content.problems)} problem(s):")
        lines.extend(f"  {problem}" for problem in content.problems)
    else:
        lines.append("No problems found.")
    return "\n".join(lines)
