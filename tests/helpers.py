"""Plain helpers for reading pages the way a browser would."""

from html.parser import HTMLParser

from app.content import STATEMENT_PAGES, load_content
from app.review.store import REVISION_KEY as TRANSLATIONS_REVISION
from app.settings import PROJECT_ROOT

CONTENT = load_content(PROJECT_ROOT / "content")
LANGUAGES = list(CONTENT.languages)
TOPICS = CONTENT.topic_slugs
PUBLIC_PAGES = (
    [f"/{lang}/" for lang in LANGUAGES]
    + [f"/{lang}/{slug}" for lang in LANGUAGES for slug in TOPICS]
    + [f"/{lang}/{slug}" for lang in LANGUAGES for slug in STATEMENT_PAGES]
)


class PageParts(HTMLParser):
    """Collects the tags and attributes a test needs to look at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.inline_scripts = 0
        self._in_script = False
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attributes for name, attributes in self.tags if name == tag]

    def first(self, tag: str) -> dict[str, str]:
        return self.all(tag)[0]


def made_by_the_request(statement: str, parameters: object) -> bool:
    """Whether a recorded SQL statement is the request's own, when counting a request's queries.

    Two background tasks use the same engine: usage counts (app/impact) are stored every few
    seconds, and the translation review revision is read a few times a second (app/review/live.py).
    One of theirs landing while a request is counted is not that request's work.
    """
    return "usage_count" not in statement and TRANSLATIONS_REVISION not in repr(parameters)
