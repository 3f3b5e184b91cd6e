"""Interface strings (gettext catalogs under `content/locales/`) and choosing a language.

Catalogs are the `.po` files translators edit; they are compiled in memory at start-up, so there is
no build step to forget. A string missing from a catalog falls back to English.
"""

import gettext
import re
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from markupsafe import Markup

from app.content import SOURCE_LANGUAGE

LANGUAGE_RANGE = re.compile(r"^([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*$")


def load_translations(
    content_dir: Path, lang: str, corrections: dict[str, str] | None = None
) -> gettext.NullTranslations:
    """The language's catalog, with a reviewer's approved `corrections` (msgid -> msgstr)."""
    po_path = content_dir / "locales" / lang / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    for msgid, msgstr in (corrections or {}).items():
        if msgid in catalog:
            catalog[msgid].string = msgstr
            catalog[msgid].flags.discard("fuzzy")
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def marked_gettext(translations: gettext.NullTranslations, lang: str) -> Callable[[str], str]:
    """A gettext that shows a string missing from the catalog in English, marked as English."""

    def translate(message: str) -> str:
        translated = translations.gettext(message)
        if translated == message and lang != SOURCE_LANGUAGE:
            return Markup('<span lang="en" dir="ltr">{}</span>').format(message)
        return translated

    return translate


def negotiate(
    accept_language: str | None, available: list[str], default: str = SOURCE_LANGUAGE
) -> str:
    """The best of `available` for an Accept-Language header (q-values honoured, `pt-BR` → `pt`)."""
    choices: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        match = LANGUAGE_RANGE.match(tag.strip())
        if not match:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if 0 < quality <= 1:
            choices.append((-quality, position, match.group(1).lower()))
    for _quality, _position, base in sorted(choices):
        if base in available:
            return base
    return default
