"""The rules content must follow, checked by `content-check` and before `serve` starts.

English is the source: it must have every required part. A translation must keep English's sections,
numbers and links, so a translated page can never state a different phone number or fact. Every page
names its `sources` (or says `sources: none`), and shows only phone numbers listed in
`content/facts.yaml`, so no page can send a young person to an unchecked number.
"""

import re
import unicodedata
from collections.abc import Iterator

import yaml

from app.content import (
    ACCESSIBILITY,
    CARD,
    HELP_NOW,
    HELP_TARGETS,
    PLACEHOLDER,
    PLACEHOLDERS,
    PRIVACY,
    SOURCE_LANGUAGE,
    SPECIAL_PAGES,
    STATEMENT_PAGES,
    TEL_PATTERN,
    WHAT_WE_COUNT,
    Content,
    Page,
    Problem,
)
from app.sms.keywords import keyword_problems

REQUIRED_KEYS = {
    CARD: ("title", "description", "reviewed"),
    HELP_NOW: ("title", "lines", "reviewed"),
    PRIVACY: ("title", "description", "reviewed"),
    ACCESSIBILITY: ("title", "description", "reviewed"),
    WHAT_WE_COUNT: ("title", "description", "reviewed"),
}
TOPIC_KEYS = ("title", "summary", "order", "reviewed")
FACTS_FILE = "facts.yaml"
# What a page that states no facts (like the privacy notice) writes instead of a list of sources.
NO_SOURCES = "none"
# Paths a page may link to besides the card and topics.
APP_ROUTES: set[str] = {"help", "callback"}
NUMBER = re.compile(r"\d+")
# Digits a reader could dial: a run of digits, in groups split by single spaces or hyphens, not
# part of a decimal or a thousands figure ("7.62", "10,000"). Five digits or more is a phone number.
PHONE_LIKE = re.compile(r"(?<![\d.,])\+?\d+(?:[ -]\d+)*")
PHONE_DIGITS = 5
LINK_TARGET = re.compile(r"\]\([^)]*\)")


def check_content(content: Content) -> list[Problem]:
    problems: list[Problem] = []
    english = {
        slug: page for (lang, slug), page in content.pages.items() if lang == SOURCE_LANGUAGE
    }
    for slug in (*SPECIAL_PAGES, *STATEMENT_PAGES):
        if slug not in english:
            path = f"content/pages/{SOURCE_LANGUAGE}/{slug}.md"
            problems.append(Problem(path, "required page is missing"))
    if not set(english) - {*SPECIAL_PAGES, *STATEMENT_PAGES}:
        problems.append(Problem(f"content/pages/{SOURCE_LANGUAGE}", "there are no topic pages"))
    languages_file = str(content.directory / "languages.yaml")
    problems.extend(
        Problem(languages_file, message) for message in keyword_problems(content.languages.values())
    )
    linkable = {"", "./", *english, *APP_ROUTES} - {HELP_NOW}
    need_codes = _need_codes(content)
    allowed_numbers = _allowed_numbers(content, problems)
    for page in content.pages.values():
        problems.extend(
            Problem(str(page.path), message) for message in _page_problems(page, linkable)
        )
        problems.extend(
            Problem(str(page.path), message) for message in _unlisted_numbers(page, allowed_numbers)
        )
        need = page.meta.get("need")
        if need is not None and need not in need_codes:
            problems.append(Problem(str(page.path), f"need '{need}' is not in services/needs.yaml"))
        source = english.get(page.slug)
        if page.lang != SOURCE_LANGUAGE:
            if source is None:
                problems.append(Problem(str(page.path), "there is no English page with this name"))
            else:
                problems.extend(
                    Problem(str(page.path), message)
                    for message in _translation_problems(page, source)
                )
    return problems


def _need_codes(content: Content) -> set[str]:
    try:
        needs = yaml.safe_load((content.directory / "services" / "needs.yaml").read_text("utf-8"))
        return {str(term["code"]) for term in needs["terms"]}
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return set()  # needs.yaml itself is checked when the listings are read


def _allowed_numbers(content: Content, problems: list[Problem]) -> set[str]:
    """The phone numbers in content/facts.yaml, digits only."""
    path = content.directory / FACTS_FILE
    try:
        facts = yaml.safe_load(path.read_text(encoding="utf-8"))
        return {str(entry["number"]) for entry in facts["phone_numbers"]}
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        problems.append(Problem(str(path), f"cannot read the list of phone numbers ({error!r})"))
        return set()


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(char)) if char.isdigit() else char for char in text)


def phone_numbers_in(page: Page) -> list[str]:
    """Every number a reader could dial on the page: links, help-now lines, phone-like text."""
    found = [
        link.split(":", 1)[1].lstrip("+")
        for link in page.links
        if link.startswith(("tel:", "sms:"))
    ]
    found += [(line.tel or line.sms).lstrip("+") for line in page.help_lines if not line.url]
    text = _ascii_digits(LINK_TARGET.sub("]", page.markdown) + "\n" + "\n".join(_texts(page.meta)))
    for match in PHONE_LIKE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= PHONE_DIGITS:
            found.append(digits)
    return sorted(set(found))


def _unlisted_numbers(page: Page, allowed: set[str]) -> Iterator[str]:
    for number in phone_numbers_in(page):
        if number not in allowed:
            yield (
                f"phone number {number} is not in content/{FACTS_FILE} "
                "(only numbers from the facts file, with a source, may be shown)"
            )


def _page_problems(page: Page, linkable: set[str]) -> Iterator[str]:
    required = REQUIRED_KEYS.get(page.slug, TOPIC_KEYS)
    for key in required:
        if page.meta.get(key) in (None, "", []):
            yield f"front matter needs '{key}'"
    if "reviewed" in page.meta and not isinstance(page.meta["reviewed"], bool):
        yield "'reviewed' must be true or false"
    if page.slug == HELP_NOW:
        yield from _help_now_problems(page)
        yield from _source_problems(page)
        return
    yield from _source_problems(page)
    if page.slug != CARD:
        if "order" in page.meta and not isinstance(page.meta["order"], int):
            yield "'order' must be a whole number"
        if not any(heading.startswith("h2 ") for heading in page.headings):
            yield "the page needs at least one '## ' section"
    yield from _placeholder_problems(page)
    if not page.markdown.strip():
        yield "the page has no text"
    if any(heading.startswith("h1 ") for heading in page.headings):
        yield "do not use '# ' headings: the title is the page heading; use '## '"
    for link in page.links:
        if link.startswith(("tel:", "sms:")):
            if not TEL_PATTERN.match(link):
                yield f"phone link '{link}' must be digits only, like tel:08001111"
        elif link.startswith("https://"):
            continue
        elif link.startswith(("http://", "mailto:", "/", "javascript:")) or ":" in link:
            yield f"link '{link}' must be https://, tel:, sms: or the name of another page"
        elif link.split("#")[0] not in linkable:
            yield f"link '{link}' points to a page that does not exist"


def _placeholder_problems(page: Page) -> Iterator[str]:
    allowed = PLACEHOLDERS.get(page.slug, ())
    used = set(PLACEHOLDER.findall(page.markdown))
    for name in sorted(used - set(allowed)):
        yield f"{{{name}}} is not a value this page can show (it can show: {_braced(allowed)})"
    for name in allowed:
        if name not in used:
            yield f"the page must show {{{name}}}, the setting the service keeps to"


def _braced(names: tuple[str, ...]) -> str:
    return ", ".join(f"{{{name}}}" for name in names) or "none"


def _help_now_problems(page: Page) -> Iterator[str]:
    lines = page.meta.get("lines")
    if not isinstance(lines, list) or not lines:
        return
    for number, line in enumerate(lines, start=1):
        targets = [key for key in HELP_TARGETS if isinstance(line, dict) and key in line]
        if not isinstance(line, dict) or not {"label", "action"} <= line.keys():
            yield f"line {number} needs label and action"
        elif len(targets) != 1:
            yield f"line {number} needs one of tel (to call), sms (to text) or url (to chat)"
        elif targets[0] in ("tel", "sms") and not re.fullmatch(r"\+?[0-9]+", str(line[targets[0]])):
            yield f"line {number}: {targets[0]} must be digits only, like 08001111"
        elif targets[0] == "url" and not str(line["url"]).startswith("https://"):
            yield f"line {number}: url must start with https://"
        elif "body" in line and not re.fullmatch(r"[A-Z0-9]+", str(line["body"])):
            yield f"line {number}: body is the word to text, in capitals, like SHOUT"


def _source_problems(page: Page) -> Iterator[str]:
    sources = page.meta.get("sources")
    if sources == NO_SOURCES:
        return
    if sources in (None, "", []):
        yield (
            "front matter needs 'sources': where its facts come from, "
            f"or 'sources: {NO_SOURCES}' if the page states no facts"
        )
        return
    if not isinstance(sources, list):
        yield f"'sources' must be a list, or '{NO_SOURCES}'"
        return
    for item in sources:
        if not isinstance(item, dict) or not item.get("title"):
            yield f"each source needs a title: {item}"
        elif item.get("url") and not str(item["url"]).startswith("https://"):
            yield f"source address must start with https://: {item['url']}"


def numbers_in(page: Page) -> list[str]:
    """Every distinct number a reader sees, in any script's digits, written in ASCII digits."""
    text = page.markdown + " " + " ".join(_texts(page.meta))
    return sorted(set(NUMBER.findall(_ascii_digits(text))))


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("order", "reviewed", "url", "tel"):
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, str):
        yield value


def _translation_problems(page: Page, source: Page) -> Iterator[str]:
    if [h.split()[0] for h in page.headings] != [h.split()[0] for h in source.headings]:
        yield (
            f"has {len(page.headings)} sections but English has {len(source.headings)}: "
            "keep the same '##' sections in the same order"
        )
    if sorted(page.links) != sorted(source.links):
        missing = sorted(set(source.links) - set(page.links))
        extra = sorted(set(page.links) - set(source.links))
        yield f"links differ from English (missing {missing}, not in English {extra})"
    if numbers_in(page) != numbers_in(source):
        missing = sorted(set(numbers_in(source)) - set(numbers_in(page)))
        extra = sorted(set(numbers_in(page)) - set(numbers_in(source)))
        yield f"numbers differ from English (missing {missing}, not in English {extra})"
    source_targets = [line.href for line in source.help_lines]
    if source.slug == HELP_NOW and [line.href for line in page.help_lines] != source_targets:
        yield "help-now phone numbers, text words or chat pages differ from English"
