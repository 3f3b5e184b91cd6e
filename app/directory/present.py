"""Turning a service into what a young person reads: in their language, with plain-words hours,
and every way to reach it (phone, text, chat, website, email, an address with directions)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from app.directory.files import NeedsFile
from app.directory.hours import OpeningState, babel_locale, describe_hours, describe_state
from app.models import Service

Gettext = Callable[[str], str]


@dataclass(frozen=True)
class Need:
    code: str
    label: str
    label_lang: str  # the language the label is in (English when not translated)


@dataclass(frozen=True)
class PhoneLink:
    href: str
    number: str
    is_text: bool


@dataclass(frozen=True)
class Place:
    """A walk-in address, or only the fact that it is kept private (`hidden`)."""

    hidden: bool
    text: str = ""
    directions: str = ""  # a plain link to OpenStreetMap: no map or request on our pages


@dataclass(frozen=True)
class ListingView:
    id: str
    name: str
    name_lang: str
    summary: str
    summary_lang: str
    description: str
    description_lang: str
    open_now: bool
    status: str
    hours: list[tuple[str, str]]
    ages: str
    phones: list[PhoneLink]
    url: str | None
    verified: bool
    checked: str
    needs: list[Need]
    areas: list[str]
    lines: bool  # reached by phone, text or chat: hours are "lines open", not a place's
    chat_url: str | None = None
    email: str | None = None
    place: Place | None = None
    callback: str | None = None  # the callback form's address, on the youth team's listing
    languages: str = ""
    cost: str = ""
    accessibility: str | None = None
    in_english: bool = False  # the reader's language is not English and the text is not in it
    local: bool = False

    @property
    def reachable(self) -> bool:
        shown_place = self.place is not None and not self.place.hidden
        return bool(
            self.phones or self.chat_url or self.url or self.email or shown_place or self.callback
        )


def needs_in(needs: NeedsFile, lang: str) -> list[Need]:
    return [
        Need(term.code, term.names[lang], lang)
        if lang in term.names
        else Need(term.code, term.name, "en")
        for term in needs.terms
    ]


def _ages(service: Service, _: Gettext) -> str:
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None:
        return _("Ages %(low)s to %(high)s") % {"low": low, "high": high}
    if high is not None:
        return _("Up to age %(high)s") % {"high": high}
    if low is not None:
        return _("Age %(low)s and over") % {"low": low}
    return _("Any age")


def _place(service: Service) -> Place | None:
    for link in service.service_at_locations:
        if link.location.address_hidden:
            return Place(hidden=True)
        for address in link.location.addresses:
            text = ", ".join([address.address_1, address.city, address.postal_code])
            query = quote_plus(text)
            return Place(False, text, f"https://www.openstreetmap.org/search?query={query}")
    return None


def _language_names(service: Service, lang: str) -> str:
    names = []
    for row in sorted(service.languages, key=lambda row: row.code):
        try:
            names.append(str(Locale.parse(row.code).get_display_name(babel_locale(lang))))
        except (ValueError, UnknownLocaleError):
            names.append(row.name)
    return ", ".join(names)


def _cost(service: Service, _: Gettext) -> str:
    if service.cost == "free":
        return _("Free")
    if service.cost == "paid":
        return _("There may be a cost")
    return ""


def present(
    service: Service,
    state: OpeningState,
    lang: str,
    _: Gettext,
    now: datetime,
    needs: list[Need],
    local: bool = False,
) -> ListingView:
    translation = next((t for t in service.translations if t.lang == lang), None)
    name = translation.name if translation and translation.name else service.name
    summary = translation.summary if translation and translation.summary else service.summary
    description = (
        translation.description if translation and translation.description else service.description
    )
    phones = [
        PhoneLink(
            href=("sms:" if phone.type == "sms" else "tel:") + phone.number.replace(" ", ""),
            number=phone.number,
            is_text=phone.type == "sms",
        )
        for contact in service.contacts
        for phone in sorted(contact.phones, key=lambda phone: phone.position)
    ]
    if service.verified and service.assured_date:
        when = format_date(service.assured_date, "long", locale=babel_locale(lang))
        checked = _("Details last checked %(date)s") % {"date": when}
    else:
        checked = _("Details not yet confirmed")
    term_codes = {attribute.taxonomy_term.code for attribute in service.attributes}
    place = _place(service)
    # A place's hours say "Open"; anything reached by phone, text or chat says "Lines open".
    lines = not (place is not None and not place.hidden and not phones and not service.chat_url)
    untranslated = not (translation and translation.description) and bool(service.description)
    return ListingView(
        id=str(service.id),
        name=name,
        name_lang=lang if translation and translation.name else "en",
        summary=summary,
        summary_lang=lang if translation and translation.summary else "en",
        description=description,
        description_lang=lang if translation and translation.description else "en",
        open_now=state.open_now,
        status=describe_state(state, now, lang, _, lines),
        hours=describe_hours(service.schedules, lang, _),
        ages=_ages(service, _),
        phones=phones,
        url=service.url,
        verified=service.verified,
        checked=checked,
        needs=[need for need in needs if need.code in term_codes],
        areas=sorted(area.code for area in service.service_areas),
        lines=lines,
        chat_url=service.chat_url,
        email=service.email,
        place=place,
        callback=f"/{lang}/callback" if service.offers_callback else None,
        languages=_language_names(service, lang),
        cost=_cost(service, _),
        accessibility=service.accessibility,
        in_english=lang != "en" and untranslated,
        local=local,
    )
