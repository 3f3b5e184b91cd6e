"""Loading the words young people read from `content/`: languages, the card, help-now and topics.

Files are Markdown with YAML front matter (see content/README.md). Loading never raises on bad
content: it collects `Problem`s, so `content-check` can report them all and `serve` can refuse to
start.
"""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import escape

if TYPE_CHECKING:
    from app.operator import Operator

SOURCE_LANGUAGE = "en"
CARD = "card"
HELP_NOW = "help-now"
PRIVACY = "privacy"
ACCESSIBILITY = "accessibility"
WHAT_WE_COUNT = "what-we-count"
SPECIAL_PAGES = (CARD, HELP_NOW)
# Pages every language has that are not topics on the card: the privacy notice and the
# accessibility statement are linked from every footer, what we count from the privacy notice.
STATEMENT_PAGES = (PRIVACY, ACCESSIBILITY, WHAT_WE_COUNT)
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# What a help-now line leads to: exactly one of a number to call, a number to text, a chat page.
HELP_TARGETS = ("tel", "sms", "url")
TEL_PATTERN = re.compile(r"^(tel|sms):\+?[0-9]+$")
# A value the service fills in when it renders a page, like {retention_open_days}: the
# privacy notice states the settings the code enforces, never a number typed by hand.
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDERS = {
    PRIVACY: ("retention_closed_days", "retention_open_days"),
    ACCESSIBILITY: ("operator_name", "operator_email"),  # from content/site.yaml
    # Who runs the service comes from content/site.yaml; the threshold from app/impact/safe.py.
    WHAT_WE_COUNT: ("operator_name", "threshold"),
}


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    dir: str
    # Words a young person may text to ask for a callback, answered in this language.
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None


@dataclass(frozen=True)
class HelpLine:
    """One way to get help now: a number to call, a number to text (with its word) or a chat."""

    label: str
    action: str
    tel: str
    note: str | None
    sms: str = ""
    body: str = ""  # the word to text, like SHOUT
    url: str = ""  # an https:// chat page

    @property
    def kind(self) -> str:
        return "tel" if self.tel else "sms" if self.sms else "chat"

    @property
    def href(self) -> str:
        if self.tel:
            return f"tel:{self.tel}"
        if self.sms:
            # RFC 5724: the phone opens a new text to the number with the word already typed.
            return f"sms:{self.sms}?body={self.body}" if self.body else f"sms:{self.sms}"
        return self.url


@dataclass
class Page:
    """One content file: the card, the help-now box or a topic, in one language."""

    lang: str
    slug: str
    path: Path
    meta: dict[str, Any]
    markdown: str
    html: str = ""
    headings: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.meta.get("title", ""))

    @property
    def summary(self) -> str:
        return str(self.meta.get("summary", ""))

    @property
    def description(self) -> str:
        return str(self.meta.get("description", self.summary))

    @property
    def order(self) -> int:
        order = self.meta.get("order", 0)
        return order if isinstance(order, int) else 0

    @property
    def reviewed(self) -> bool:
        return self.meta.get("reviewed") is True

    @property
    def sources(self) -> list[Source]:
        return [
            Source(str(item.get("title", "")), item.get("url"))
            for item in self.meta.get("sources") or []
            if isinstance(item, dict)
        ]

    @property
    def help_lines(self) -> list[HelpLine]:
        return [
            HelpLine(
                str(line["label"]),
                str(line["action"]),
                str(line.get("tel") or ""),
                line.get("note"),
                sms=str(line.get("sms") or ""),
                body=str(line.get("body") or ""),
                url=str(line.get("url") or ""),
            )
            for line in self.meta.get("lines") or []
            if isinstance(line, dict)
            and {"label", "action"} <= line.keys()
            and sum(key in line for key in HELP_TARGETS) == 1
        ]


@dataclass
class Content:
    directory: Path
    languages: dict[str, Language]
    pages: dict[tuple[str, str], Page]
    problems: list[Problem]
    version: str
    operator: "Operator"
    # Approved reviewer corrections of interface strings, by language: msgid -> msgstr.
    catalog_corrections: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def topic_slugs(self) -> list[str]:
        topics = [
            page
            for (lang, slug), page in self.pages.items()
            if lang == SOURCE_LANGUAGE and slug not in (*SPECIAL_PAGES, *STATEMENT_PAGES)
        ]
        return [page.slug for page in sorted(topics, key=lambda page: (page.order, page.slug))]

    @property
    def page_slugs(self) -> list[str]:
        """Every page a language should have: the card, help-now, the topics, the statements."""
        return [CARD, HELP_NOW, *self.topic_slugs, *STATEMENT_PAGES]

    def page(self, lang: str, slug: str) -> Page | None:
        """The page in `lang`, else the English page (the caller marks it as a fallback)."""
        return self.pages.get((lang, slug)) or self.pages.get((SOURCE_LANGUAGE, slug))

    def required_page(self, lang: str, slug: str) -> Page:
        """A page the service cannot start without (the card, help-now), as `page` finds it."""
        page = self.page(lang, slug)
        if page is None:
            raise KeyError(f"content has no English {slug!r} page")
        return page


def fill_placeholders(html: str, values: dict[str, object]) -> str:
    """`html` with each {name} replaced by its value (escaped); unknown names are left as typed."""
    return PLACEHOLDER.sub(
        lambda match: str(escape(values[match[1]])) if match[1] in values else match[0], html
    )


# A phone number with spaces ("0800 1111") would be reordered in a right-to-left line.
SPACED_NUMBER = re.compile(r"\+?\d+(?: \d+)+")


def ltr_number_parts(text: str) -> list[tuple[str, bool]]:
    """Split text into (part, is_spaced_number) so numbers can be isolated left-to-right."""
    parts: list[tuple[str, bool]] = []
    position = 0
    for match in SPACED_NUMBER.finditer(text):
        parts.append((text[position : match.start()], False))
        parts.append((match.group(), True))
        position = match.end()
    parts.append((text[position:], False))
    return [part for part in parts if part[0]]


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})

    def isolate_spaced_numbers(state: Any) -> None:
        for token in state.tokens:
            if token.type != "inline" or not token.children:
                continue
            children: list[Token] = []
            for child in token.children:
                if child.type != "text" or not SPACED_NUMBER.search(child.content):
                    children.append(child)
                    continue
                for part, is_number in ltr_number_parts(child.content):
                    if is_number:
                        children.append(Token("html_inline", "", 0, content='<span dir="ltr">'))
                    children.append(Token("text", "", 0, content=part))
                    if is_number:
                        children.append(Token("html_inline", "", 0, content="</span>"))
            token.children = children

    md.core.ruler.push("isolate_spaced_numbers", isolate_spaced_numbers)
    return md


MARKDOWN = _markdown()


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (front matter, body). Raises ValueError when the front matter is missing or broken."""
    if not text.startswith("---"):
        raise ValueError("missing front matter: the file must start with a line '---'")
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise ValueError("front matter is not closed by a line '---'")
    try:
        meta = yaml.safe_load(parts[0].removeprefix("---"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ValueError(f"front matter is not valid YAML{where}") from None
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a set of 'key: value' lines")
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return meta, body


def _render(page: Page) -> None:
    tokens: list[Token] = MARKDOWN.parse(page.markdown)
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            page.headings.append(token.tag + " " + tokens[index + 1].content)
        for child in token.children or []:
            if child.type == "link_open":
                page.links.append(str(child.attrGet("href")))
    page.html = MARKDOWN.renderer.render(tokens, MARKDOWN.options, {})


def render_page(page: Page) -> Page:
    """Fill in the page's HTML, headings and links from its Markdown."""
    page.html, page.headings, page.links = "", [], []
    _render(page)
    return page


def load_languages(content_dir: Path, problems: list[Problem]) -> dict[str, Language]:
    path = content_dir / "languages.yaml"
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        problems.append(Problem(str(path), f"cannot read the language list ({error})"))
        return {SOURCE_LANGUAGE: Language(SOURCE_LANGUAGE, "English", "ltr")}
    languages: dict[str, Language] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not {"code", "name", "dir"} <= entry.keys():
            problems.append(Problem(str(path), f"each language needs code, name and dir: {entry}"))
            continue
        if entry["dir"] not in ("ltr", "rtl") or not SLUG_PATTERN.match(str(entry["code"])):
            problems.append(Problem(str(path), f"bad code or dir for language {entry['code']}"))
            continue
        keywords = entry.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            problems.append(Problem(str(path), f"keywords of {entry['code']} must be a list"))
            keywords = []
        languages[entry["code"]] = Language(
            entry["code"], entry["name"], entry["dir"], tuple(keywords)
        )
    if SOURCE_LANGUAGE not in languages:
        problems.append(Problem(str(path), "English (en) must be in the language list"))
        languages[SOURCE_LANGUAGE] = Language(SOURCE_LANGUAGE, "English", "ltr")
    return languages


def load_content(content_dir: Path) -> Content:
    from app.content_rules import check_content  # rules need the loaded pages
    from app.operator import SITE_FILE, load_operator  # it reports `Problem`s defined here

    problems: list[Problem] = []
    languages = load_languages(content_dir, problems)
    pages: dict[tuple[str, str], Page] = {}
    digest = hashlib.sha256()
    pages_dir = content_dir / "pages"
    for path in sorted(pages_dir.glob("*/*.md")):
        lang, slug = path.parent.name, path.stem
        text = path.read_text(encoding="utf-8")
        digest.update(str(path.relative_to(content_dir)).encode() + b"\0" + text.encode())
        if lang not in languages:
            problems.append(Problem(str(path), f"language '{lang}' is not in languages.yaml"))
            continue
        if not SLUG_PATTERN.match(slug):
            problems.append(Problem(str(path), "file names use lower-case letters, digits and -"))
            continue
        try:
            meta, body = split_front_matter(text)
        except ValueError as error:
            problems.append(Problem(str(path), str(error)))
            continue
        page = Page(lang=lang, slug=slug, path=path, meta=meta, markdown=body)
        _render(page)
        pages[(lang, slug)] = page
    languages_file = content_dir / "languages.yaml"
    digest.update(languages_file.read_bytes() if languages_file.exists() else b"")
    site_file = content_dir / SITE_FILE
    digest.update(site_file.read_bytes() if site_file.exists() else b"")
    operator = load_operator(content_dir, problems)
    content = Content(content_dir, languages, pages, problems, digest.hexdigest()[:12], operator)
    problems.extend(check_content(content))
    return content
