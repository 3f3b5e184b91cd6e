"""What a translation reviewer checks: every item of a language, English beside the translation.

An item is one piece of text a young person reads, small enough to compare on a phone:

- a page's front-matter text (title, summary, description, each help-now line's words) and each
  section of its body (the text before the first `## ` heading, then each heading with its text).
  Sections line up with English because content-check keeps the same `##` sections in order;
- an interface string of the gettext catalog, with the strings of the texts we send (SMS) apart;
- a listing's summary and description (`ServiceTranslation` rows).

Each item's `text_hash` covers both texts, so a check stays valid only while neither changes.
`with_text` puts a new translation of a page item back into the page (for live corrections and
for `translations export`).
"""

import ast
import copy
import hashlib
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from app.content import CARD, HELP_NOW, SOURCE_LANGUAGE, STATEMENT_PAGES, Content, Page

APP_DIR = Path(__file__).resolve().parent.parent
STRINGS = "strings"
SMS = "sms"
LISTINGS = "listings"
# Front-matter values that are not words to translate (numbers, links, codes, English sources).
NOT_WORDS = {"order", "reviewed", "url", "tel", "need", "sources"}
# The modules that write the texts we send to young people: their strings are "text messages".
SMS_MODULES = ("sms/replies.py", "callbacks/requests.py")
SECTION = re.compile(r"^## ", re.MULTILINE)
GROUP_NAMES = {STRINGS: "Buttons, forms and messages", SMS: "Text messages", LISTINGS: "Listings"}


def text_hash(english: str, translation: str) -> str:
    """The hash a check is kept under: both texts, so a change to either one shows."""
    return hashlib.sha256(f"{english.strip()}\0{translation.strip()}".encode()).hexdigest()


@dataclass(frozen=True)
class Item:
    key: str  # "page/the-law/body/2", "strings/<hash of msgid>", "listing/<id>/summary"
    group: str  # a page slug, STRINGS, SMS or LISTINGS
    label: str
    english: str
    translation: str

    @property
    def text_hash(self) -> str:
        return text_hash(self.english, self.translation)

    @property
    def page_slug(self) -> str | None:
        return self.key.split("/")[1] if self.key.startswith("page/") else None


def sections(markdown: str) -> list[str]:
    """The body cut before each `## ` heading; joined again they give the body back exactly."""
    starts = [0, *(match.start() for match in SECTION.finditer(markdown))]
    parts = [markdown[a:b] for a, b in zip(starts, [*starts[1:], len(markdown)], strict=True)]
    return parts if parts[0].strip() or len(parts) == 1 else ["", *parts[1:]]


def _meta_texts(value: object, path: str = "") -> list[tuple[str, str]]:
    """(path, text) for every translatable text in the front matter: "title", "lines.0.label"."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in NOT_WORDS:
                found += _meta_texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _meta_texts(item, f"{path}.{index}")
    elif isinstance(value, str):
        found.append((path, value))
    return found


def meta_value(meta: object, path: str) -> object:
    for part in path.split("."):
        if isinstance(meta, dict):
            meta = meta.get(part)
        elif isinstance(meta, list) and part.isdigit() and int(part) < len(meta):
            meta = meta[int(part)]
        else:
            return None
    return meta


def _label(path: str) -> str:
    words = path.replace(".", " ").replace("lines", "line").split()
    return " ".join(str(int(word) + 1) if word.isdigit() else word for word in words).capitalize()


def page_items(english: Page, translation: Page | None) -> list[Item]:
    """The items of one page: its front-matter words, then each section of its body."""
    items = []
    for path, text in _meta_texts(english.meta):
        value = meta_value(translation.meta, path) if translation else None
        words = value if isinstance(value, str) else ""
        items.append(
            Item(f"page/{english.slug}/meta/{path}", english.slug, _label(path), text, words)
        )
    theirs = sections(translation.markdown) if translation else []
    for index, part in enumerate(sections(english.markdown)):
        if not part.strip():
            continue
        heading = part.split("\n", 1)[0].removeprefix("## ") if part.startswith("## ") else ""
        label = f"Section: {heading}" if heading else "Opening text"
        words = theirs[index] if index < len(theirs) else ""
        items.append(Item(f"page/{english.slug}/body/{index}", english.slug, label, part, words))
    return [item for item in items if item.english.strip()]


def with_text(page: Page, key: str, text: str) -> tuple[dict[str, Any], str]:
    """The page's (front matter, body) with item `key` reading `text`; the page is not changed."""
    _, _slug, kind, where = key.split("/", 3)
    meta, body = copy.deepcopy(page.meta), page.markdown
    if kind == "meta":
        *parents, last = where.split(".")
        holder = meta_value(meta, ".".join(parents)) if parents else meta
        if isinstance(holder, dict):
            holder[last] = text.strip()
        elif isinstance(holder, list) and last.isdigit():
            holder[int(last)] = text.strip()
        return meta, body
    parts = sections(body)
    index = int(where)
    while len(parts) <= index:
        parts.append("")
    old = parts[index]
    ending = old[len(old.rstrip()) :] or "\n\n"
    if index == len(parts) - 1:
        ending = old[len(old.rstrip()) :] or "\n"
    parts[index] = text.strip() + ending
    return meta, "".join(parts)


@cache
def sms_messages() -> frozenset[str]:
    """The gettext strings our texts to young people are made of, read from the modules that
    write them, so a new text message is reviewed as one without a list to keep up to date."""
    found: set[str] = set()
    for module in SMS_MODULES:
        tree = ast.parse((APP_DIR / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return frozenset(found)


@lru_cache(maxsize=32)
def _read_catalog(path: Path, _modified: int, lang: str | None) -> tuple[tuple[str, str], ...]:
    with path.open("rb") as po:
        return tuple(
            (str(m.id), str(m.string))
            for m in read_po(po, locale=lang)
            if m.id and isinstance(m.id, str) and isinstance(m.string, str) and not m.fuzzy
        )


def _messages(path: Path, lang: str | None) -> tuple[tuple[str, str], ...]:
    """A catalog's (msgid, msgstr) pairs, parsed again only when the file changes."""
    return _read_catalog(path, path.stat().st_mtime_ns, lang) if path.exists() else ()


def catalog(content: Content, lang: str) -> dict[str, str]:
    """msgid → msgstr of the language's catalog (translated, not fuzzy)."""
    return dict(
        _messages(content.directory / "locales" / lang / "LC_MESSAGES" / "messages.po", lang)
    )


def template_messages(content: Content) -> list[str]:
    return [msgid for msgid, _ in _messages(content.directory / "locales" / "messages.pot", None)]


def string_key(msgid: str) -> str:
    group = SMS if msgid in sms_messages() else STRINGS
    return f"{group}/{hashlib.sha256(msgid.encode()).hexdigest()[:16]}"


def string_items(content: Content, lang: str) -> list[Item]:
    """Interface strings and text messages, with corrections already in `content` applied."""
    translated = {**catalog(content, lang), **content.catalog_corrections.get(lang, {})}
    items = []
    for msgid in template_messages(content):
        key = string_key(msgid)
        group = key.split("/", 1)[0]
        label = "Text message" if group == SMS else "Words on the site"
        items.append(Item(key, group, label, msgid, translated.get(msgid, "")))
    return items


def page_groups(content: Content) -> list[str]:
    return [CARD, HELP_NOW, *content.topic_slugs, *STATEMENT_PAGES]


def content_items(content: Content, lang: str) -> list[Item]:
    """Every item of `lang` that lives in content/: the pages, then the catalog's strings."""
    items: list[Item] = []
    for slug in page_groups(content):
        english = content.pages.get((SOURCE_LANGUAGE, slug))
        if english is not None:
            items += page_items(english, content.pages.get((lang, slug)))
    return items + string_items(content, lang)


def group_name(content: Content, group: str) -> str:
    english = content.pages.get((SOURCE_LANGUAGE, group))
    if english is not None:
        return "The card" if group == CARD else english.title
    return GROUP_NAMES.get(group, group)
