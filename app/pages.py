"""Rendering public pages once, ahead of time, into compressed bytes ready to send.

Every card and topic page in every language is rendered at start-up (and again whenever the
content or directory changes), gzip- and brotli-compressed once, and given an ETag. Serving is then
a dictionary look-up, which lets an old phone on a slow network get the card in one round trip.
"""

import base64
import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from app.content import HELP_NOW, Content, ltr_number_parts
from app.i18n import load_translations, marked_gettext
from app.settings import Settings

APP_DIR = Path(__file__).resolve().parent
STATIC_DIR = APP_DIR / "static"
HTML = "text/html; charset=utf-8"
PAGE_CACHE_CONTROL = "public, max-age=300"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class CachedResponse:
    """One response body in every encoding we offer, with the headers that never change."""

    status: int
    content_type: str
    cache_control: str
    identity: bytes
    gzip: bytes
    brotli: bytes
    etag: str

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


@dataclass
class Site:
    """Everything the public pages serve: responses by path, and the not-found page per language."""

    responses: dict[str, CachedResponse] = field(default_factory=dict)
    not_found: dict[str, CachedResponse] = field(default_factory=dict)
    style_hash: str = ""
    script_path: str = ""


def ltr_numbers(text: str) -> Markup:
    """Escape text and keep spaced phone numbers ("0800 1111") in left-to-right order."""
    return Markup("").join(
        Markup('<span dir="ltr">{}</span>').format(part) if is_number else escape(part)
        for part, is_number in ltr_number_parts(text)
    )


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(APP_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["ltr_numbers"] = ltr_numbers
    return environment


def build_site(content: Content, settings: Settings) -> Site:
    site = Site()
    css = (STATIC_DIR / "card.css").read_text(encoding="utf-8").strip()
    site.style_hash = "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    script = (STATIC_DIR / "exit.js").read_bytes()
    site.script_path = f"/static/exit.{hashlib.sha256(script).hexdigest()[:10]}.js"
    site.responses[site.script_path] = CachedResponse.build(
        script, "text/javascript; charset=utf-8", IMMUTABLE
    )
    languages = list(content.languages.values())
    environment = _environment()
    for lang in languages:
        # Rendering is sequential, so one environment serves every language in turn.
        environment.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=marked_gettext(load_translations(content.directory, lang.code), lang.code),
            ngettext=None,
            newstyle=True,
        )
        common = {
            "lang": lang,
            "languages": languages,
            "css": Markup(css),  # noqa: S704 - our own stylesheet file, not user input
            "script_url": site.script_path,
            "exit_url": settings.exit_url,
            "help_now": content.page(lang.code, HELP_NOW),
        }
        topics = [content.page(lang.code, slug) for slug in content.topic_slugs]
        card = environment.get_template("card.html").render(
            common, page=content.page(lang.code, "card"), topics=topics, switch_path=""
        )
        site.responses[f"/{lang.code}/"] = _page(card)
        for slug in content.topic_slugs:
            html = environment.get_template("topic.html").render(
                common, page=content.page(lang.code, slug), switch_path=slug
            )
            site.responses[f"/{lang.code}/{slug}"] = _page(html)
        not_found = environment.get_template("not_found.html").render(
            common, page=None, switch_path=""
        )
        site.not_found[lang.code] = CachedResponse.build(
            not_found.encode(), HTML, "no-cache", status=404
        )
    return site


def _page(html: str) -> CachedResponse:
    return CachedResponse.build(html.encode("utf-8"), HTML, PAGE_CACHE_CONTROL)
