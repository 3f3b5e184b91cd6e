"""Rendering public pages once, ahead of time, into compressed bytes ready to send.

Every card and topic page in every language is rendered at start-up (and again whenever the
content or directory changes), gzip- and brotli-compressed once, and given an ETag. Serving is then
a dictionary look-up, which lets an old phone on a slow network get the card in one round trip.
`choose` picks, for every cached response (pages, the directory, the API), the encoding to send
or a 304.
"""

import base64
import gzip
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from app.content import (
    ACCESSIBILITY,
    HELP_NOW,
    PRIVACY,
    SOURCE_LANGUAGE,
    STATEMENT_PAGES,
    WHAT_WE_COUNT,
    Content,
    fill_placeholders,
    ltr_number_parts,
)
from app.i18n import load_translations, marked_gettext
from app.impact import safe
from app.offline import Logo, manifest, service_worker
from app.settings import Settings
from app.sms.keywords import text_offer

APP_DIR = Path(__file__).resolve().parent
STATIC_DIR = APP_DIR / "static"
HTML = "text/html; charset=utf-8"
PAGE_CACHE_CONTROL = "public, max-age=300"
IMMUTABLE = "public, max-age=31536000, immutable"


IDENTITY = b""  # the Content-Encoding of each body we offer; identity sends none
GZIP = b"gzip"
BROTLI = b"br"
_TAG_SUFFIX = {IDENTITY: "", GZIP: "-gz", BROTLI: "-br"}
# One member of If-None-Match's list: an entity-tag, weak or not, between optional commas.
_LIST_MEMBER = re.compile(rb'[ \t,]*((?:W/)?"[^"]*")[ \t]*(?:,|$)')


@dataclass(frozen=True)
class CachedResponse:
    """One response body in every encoding we offer, with the headers that never change.

    `etag` is the body's hash. Pages get a strong ETag per encoding (the bytes differ); a `weak`
    response (the API's JSON) has one weak ETag whichever way it is compressed.
    """

    status: int
    content_type: str
    cache_control: str
    identity: bytes
    gzip: bytes
    brotli: bytes | None  # None: not offered
    etag: str
    weak: bool = False

    @classmethod
    def build(
        cls, body: bytes, content_type: str, cache_control: str, status: int = 200
    ) -> "CachedResponse":
        tag = hashlib.sha256(body).hexdigest()[:20]
        return cls(
            status=status,
            content_type=content_type,
            cache_control=cache_control,
            identity=body,
            gzip=gzip.compress(body, compresslevel=9, mtime=0),
            brotli=brotli.compress(body, quality=10),
            etag=tag,
        )

    def etag_of(self, coding: bytes) -> str:
        """The ETag header value of the body sent with this Content-Encoding."""
        if self.weak:
            return f'W/"{self.etag}"'
        return f'"{self.etag}{_TAG_SUFFIX[coding]}"'


def accepts_coding(accept_encoding: bytes, coding: bytes) -> bool:
    """Whether an Accept-Encoding header value accepts `coding` (named, and not with q=0)."""
    for item in accept_encoding.split(b","):
        name, _, params = item.strip().partition(b";")
        if name.strip() == coding:
            return params.replace(b" ", b"") not in (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000")
    return False


def etag_matches(if_none_match: bytes, etag: str) -> bool:
    """Whether If-None-Match names `etag`, by the weak comparison RFC 9110 asks for on GET.

    `*` matches; otherwise one of the listed entity-tags must have the same opaque tag as ours
    (W/ or not on either side). A value that is not a list of entity-tags matches nothing, so
    the full response is sent.
    """
    value = if_none_match.strip(b" \t")
    ours = etag.removeprefix("W/").encode()
    if value == b"*" or value == etag.encode():
        return True  # what browsers send back: no list to read
    if ours not in value:
        return False
    found, position = False, 0
    while value[position:].strip(b" \t,"):
        member = _LIST_MEMBER.match(value, position)
        if member is None:
            return False
        found = found or member[1].removeprefix(b"W/") == ours
        position = member.end()
    return found


@dataclass(frozen=True, slots=True)
class Choice:
    """What one request gets from a cached response: a body in one encoding, or an empty 304."""

    cached: CachedResponse
    status: int
    coding: bytes
    body: bytes

    def headers(self) -> dict[str, str]:
        """The headers that depend on the choice; a 304 does not describe a body it leaves out."""
        headers = {
            "Cache-Control": self.cached.cache_control,
            "ETag": self.cached.etag_of(self.coding),
            "Vary": "Accept-Encoding",
        }
        if self.coding and self.status != 304:
            headers["Content-Encoding"] = self.coding.decode()
        return headers


def choose(cached: CachedResponse, accept_encoding: bytes, if_none_match: bytes) -> Choice:
    """The encoding to send (brotli, then gzip, then none), or a 304 if the client holds it.

    Every cached response is answered through here: public pages, the directory and the API.
    """
    if cached.brotli is not None and accepts_coding(accept_encoding, BROTLI):
        coding, body = BROTLI, cached.brotli
    elif accepts_coding(accept_encoding, GZIP):
        coding, body = GZIP, cached.gzip
    else:
        coding, body = IDENTITY, cached.identity
    if (
        if_none_match
        and cached.status == 200
        and etag_matches(if_none_match, cached.etag_of(coding))
    ):
        return Choice(cached, 304, coding, b"")
    return Choice(cached, cached.status, coding, body)


@dataclass
class Site:
    """Everything the public pages serve: responses by path, and the not-found page per language."""

    renderer: "Renderer"
    responses: dict[str, CachedResponse] = field(default_factory=dict)
    not_found: dict[str, CachedResponse] = field(default_factory=dict)
    # The offline worker of each language: served by a route, with the worker's own policy.
    workers: dict[str, CachedResponse] = field(default_factory=dict)

    def copy(self) -> "Site":
        """A site of its own, sharing these (unchanging) pages: a re-render changes only it."""
        return Site(self.renderer, dict(self.responses), dict(self.not_found), dict(self.workers))


def ltr_numbers(text: str) -> Markup:
    """Escape text and keep spaced phone numbers ("0800 1111") in left-to-right order.

    Text that is already markup (a translated string marked as English) keeps its tags.
    """
    safe = isinstance(text, Markup)

    def as_markup(part: str) -> Markup:
        return Markup(part) if safe else escape(part)  # noqa: S704 - only already-safe markup

    return Markup("").join(
        Markup('<span dir="ltr">{}</span>').format(as_markup(part))
        if is_number
        else as_markup(part)
        for part, is_number in ltr_number_parts(str(text))
    )


class Renderer:
    """Renders public templates in any language, with what every public page shares."""

    def __init__(self, content: Content, settings: Settings) -> None:
        self.content = content
        self.languages = list(content.languages.values())
        # The operator's colour, as a custom property the stylesheet uses for its borders.
        brand = f":root{{--brand:{content.operator.colour}}}"
        css = brand + (STATIC_DIR / "card.css").read_text(encoding="utf-8").strip()
        self.css = Markup(css)  # noqa: S704 - our own stylesheet file, not user input
        self.style_hash = (
            "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        )
        self.script = (STATIC_DIR / "exit.js").read_bytes()
        self.script_path = f"/static/exit.{hashlib.sha256(self.script).hexdigest()[:10]}.js"
        self.exit_url = settings.exit_url
        self.logo = Logo.of(content.operator.logo)
        # "Text HELP to ..." in each language, when texts really reach us.
        self.text_offers = {lang.code: text_offer(settings, lang) for lang in self.languages}
        self.gettext: dict[str, Callable[[str], str]] = {}
        self.plain_gettext: dict[str, Callable[[str], str]] = {}  # for texts outside HTML (SMS)
        self.environments: dict[str, Environment] = {}
        # One environment per language, so pages rendered at the same time never share a catalog.
        for lang in self.languages:
            corrections = content.catalog_corrections.get(lang.code)  # approved by reviewers
            translations = load_translations(content.directory, lang.code, corrections)
            translate = marked_gettext(translations, lang.code)
            self.plain_gettext[lang.code] = translations.gettext
            environment = Environment(
                loader=FileSystemLoader(APP_DIR / "templates"),
                autoescape=select_autoescape(["html"]),
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            environment.filters["ltr_numbers"] = ltr_numbers
            environment.install_gettext_callables(  # type: ignore[attr-defined]
                gettext=translate, ngettext=None, newstyle=True
            )
            self.environments[lang.code] = environment
            self.gettext[lang.code] = translate

    def render(self, lang: str, template: str, switch_path: str, **values: object) -> str:
        context = {
            "lang": self.content.languages[lang],
            "languages": self.languages,
            "css": self.css,
            "script_url": self.script_path,
            "exit_url": self.exit_url,
            "text_offer": self.text_offers[lang],
            "help_now": self.content.page(lang, HELP_NOW),
            "operator": self.content.operator,
            "logo": self.logo,
            "switch_path": switch_path,
            "page": None,
            **values,
        }
        return self.environments[lang].get_template(template).render(context)


def rendered_from(settings: Settings) -> tuple[object, ...]:
    """The settings the prerendered pages show: two apps with equal values can share pages."""
    return (
        settings.exit_url,
        settings.retention_closed_days,  # the privacy notice states them
        settings.retention_open_days,
        settings.sms_backend,  # "Text HELP to ..." only when texts reach us
        settings.twilio_from_number,
    )


def build_site(content: Content, settings: Settings, only: set[str] | None = None) -> Site:
    """Every page; with `only`, the pages of those languages (a reviewer's correction)."""
    renderer = Renderer(content, settings)
    site = Site(renderer)
    site.responses[renderer.script_path] = CachedResponse.build(
        renderer.script, "text/javascript; charset=utf-8", IMMUTABLE
    )
    site.responses[renderer.logo.url] = CachedResponse.build(
        renderer.logo.svg, "image/svg+xml", IMMUTABLE
    )
    needs = {
        slug: content.pages[(SOURCE_LANGUAGE, slug)].meta.get("need")
        for slug in content.topic_slugs
    }
    card_page = content.required_page(SOURCE_LANGUAGE, "card")
    # One list of topics: the card's own text already links some; the list offers the rest.
    more = [slug for slug in content.topic_slugs if slug not in card_page.links]
    for lang in only or content.languages:
        topics = [content.page(lang, slug) for slug in more]
        card = renderer.render(
            lang, "card.html", "", page=content.page(lang, "card"), topics=topics
        )
        site.responses[f"/{lang}/"] = _page(card)
        for slug in content.topic_slugs:
            page = content.page(lang, slug)
            html = renderer.render(lang, "topic.html", slug, page=page, need=needs[slug])
            site.responses[f"/{lang}/{slug}"] = _page(html)
        site.responses[f"/{lang}/{PRIVACY}"] = _page(
            _privacy_page(renderer, content, settings, lang)
        )
        site.responses[f"/{lang}/{ACCESSIBILITY}"] = _page(
            _accessibility_page(renderer, content, lang)
        )
        site.responses[f"/{lang}/{WHAT_WE_COUNT}"] = _page(
            _what_we_count_page(renderer, content, lang)
        )
        site.responses[f"/{lang}/manifest.webmanifest"] = CachedResponse.build(
            manifest(renderer, lang), "application/manifest+json", PAGE_CACHE_CONTROL
        )
        offline = [f"/{lang}/", *(f"/{lang}/{slug}" for slug in content.topic_slugs)]
        offline += [f"/{lang}/{slug}" for slug in STATEMENT_PAGES]
        offline += [renderer.script_path, renderer.logo.url]
        # The kept pages' own hashes: any change to them gives the worker new bytes.
        version = hashlib.sha256("".join(site.responses[path].etag for path in offline).encode())
        site.workers[lang] = CachedResponse.build(
            service_worker(lang, version.hexdigest()[:12], offline),
            "text/javascript; charset=utf-8",
            "no-cache",
        )
        not_found = renderer.render(lang, "not_found.html", "")
        site.not_found[lang] = CachedResponse.build(
            not_found.encode(), HTML, "no-cache", status=404
        )
    return site


def _privacy_page(renderer: Renderer, content: Content, settings: Settings, lang: str) -> str:
    """The privacy notice, stating the retention settings this install really keeps to."""
    page = content.required_page(lang, PRIVACY)
    body = fill_placeholders(
        page.html,
        {
            "retention_closed_days": settings.retention_closed_days,
            "retention_open_days": settings.retention_open_days,
        },
    )
    return renderer.render(lang, "privacy.html", PRIVACY, page=page, body=Markup(body))  # noqa: S704 - rendered from our Markdown, values escaped


def _accessibility_page(renderer: Renderer, content: Content, lang: str) -> str:
    """The accessibility statement, naming the operator and its contact from site.yaml."""
    page = content.required_page(lang, ACCESSIBILITY)
    operator = content.operator
    email = Markup('<a href="mailto:{0}">{0}</a>').format(operator.contact.email)
    body = fill_placeholders(
        page.html,
        {"operator_name": Markup("<bdi>{}</bdi>").format(operator.name), "operator_email": email},
    )
    return renderer.render(lang, "statement.html", ACCESSIBILITY, page=page, body=Markup(body))  # noqa: S704 - rendered from our Markdown, values escaped


def _what_we_count_page(renderer: Renderer, content: Content, lang: str) -> str:
    """What the impact report counts, naming the operator and the threshold the code hides below."""
    page = content.required_page(lang, WHAT_WE_COUNT)
    name = Markup("<bdi>{}</bdi>").format(content.operator.name)
    body = fill_placeholders(page.html, {"operator_name": name, "threshold": safe.THRESHOLD})
    return renderer.render(lang, "statement.html", WHAT_WE_COUNT, page=page, body=Markup(body))  # noqa: S704 - rendered from our Markdown, values escaped


def _page(html: str) -> CachedResponse:
    return CachedResponse.build(html.encode("utf-8"), HTML, PAGE_CACHE_CONTROL)
