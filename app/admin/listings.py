"""The listing editor's shapes of a listing, and reading a submitted form.

A listing has three shapes. `ListingForm` is what the page shows, exactly as typed, so a form with
errors comes back with everything the editor wrote. `ListingValues` is the checked, normalised
listing (`listing_checks.validate` turns one into the other, by the rules of
`app.directory.listing.Listing`). The `Service` row and its children are built from
`ListingValues` in `listing_store`, and history compares two `ListingValues`.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Protocol

from app.days import DAY_CODES
from app.directory.listing import ListingAddress

# Without JavaScript a form cannot add rows, so it always offers a couple of empty ones.
BLANK_ROWS = 2
MAX_ROWS = 50  # only bounds the scan for submitted rows


class Submitted(Protocol):
    """A submitted form (Starlette's FormData, or a plain multi-dict in tests)."""

    def getlist(self, key: str) -> list[Any]: ...


@dataclass
class PhoneFields:
    number: str = ""
    type: str = "voice"
    description: str = ""


@dataclass
class HoursFields:
    days: list[str] = field(default_factory=list)
    opens: str = ""
    closes: str = ""
    all_day: bool = False


@dataclass
class TextFields:
    name: str = ""
    summary: str = ""
    description: str = ""


@dataclass
class ListingForm:
    """Everything the listing form shows, as text typed or boxes ticked."""

    organization_id: str = ""
    name: str = ""
    summary: str = ""
    description: str = ""
    url: str = ""
    email: str = ""
    minimum_age: str = ""
    maximum_age: str = ""
    verified: bool = False
    verification_source: str = ""
    needs: list[str] = field(default_factory=list)
    areas: str = ""
    languages: list[str] = field(default_factory=lambda: ["en"])
    other_languages: str = ""
    phones: list[PhoneFields] = field(default_factory=list)
    hours: list[HoursFields] = field(default_factory=list)
    translations: dict[str, TextFields] = field(default_factory=dict)
    chat_url: str = ""
    cost: str = ""
    accessibility: str = ""
    callback: bool = False
    street: str = ""
    town: str = ""
    postcode: str = ""
    address_hidden: bool = False


@dataclass(frozen=True)
class PhoneLine:
    number: str
    type: str
    description: str | None


@dataclass(frozen=True)
class OpeningHours:
    """Days with the same hours; opens == closes means 24 hours, closes < opens past midnight."""

    days: tuple[str, ...]
    opens: time
    closes: time

    @property
    def all_day(self) -> bool:
        return self.opens == self.closes

    @property
    def sort_key(self) -> tuple[int, time, time]:
        first_day = DAY_CODES.index(self.days[0]) if self.days else len(DAY_CODES)
        return (first_day, self.opens, self.closes)


@dataclass(frozen=True)
class TranslatedText:
    name: str
    summary: str
    description: str


@dataclass(frozen=True)
class ListingValues:
    organization_id: uuid.UUID
    name: str
    summary: str
    description: str
    url: str | None
    email: str | None
    minimum_age: int | None
    maximum_age: int | None
    verified: bool
    assured_date: date | None  # the day the details were last checked: only if verified
    verification_source: str | None
    needs: tuple[str, ...]
    areas: tuple[str, ...]
    languages: tuple[str, ...]
    phones: tuple[PhoneLine, ...]
    hours: tuple[OpeningHours, ...]
    translations: dict[str, TranslatedText]
    chat_url: str | None = None
    cost: str | None = None
    accessibility: str | None = None
    callback: bool = False
    address: ListingAddress | None = None


@dataclass(frozen=True)
class Choices:
    """What the form offers: organisations and needs from the database, languages from content."""

    organizations: dict[str, str]  # id → name, in the order shown
    needs: dict[str, str]  # code → name, in the order shown
    spoken: dict[str, str]  # card language code → its own name
    translations: dict[str, tuple[str, str]]  # language code → (name, dir), English left out


def _text(submitted: Submitted, key: str) -> str:
    values = submitted.getlist(key)
    if not values or not isinstance(values[0], str):
        return ""
    # Browsers send line breaks as CRLF; without this every save would "change" the description.
    return values[0].replace("\r\n", "\n").strip()


def _texts(submitted: Submitted, key: str) -> list[str]:
    return [value.strip() for value in submitted.getlist(key) if isinstance(value, str)]


def read_form(submitted: Submitted, choices: Choices) -> ListingForm:
    phones = [
        PhoneFields(
            _text(submitted, f"phone-{i}-number"),
            _text(submitted, f"phone-{i}-type") or "voice",
            _text(submitted, f"phone-{i}-description"),
        )
        for i in range(MAX_ROWS)
        if submitted.getlist(f"phone-{i}-number")
    ]
    hours = [
        HoursFields(
            _texts(submitted, f"hours-{i}-days"),
            _text(submitted, f"hours-{i}-opens"),
            _text(submitted, f"hours-{i}-closes"),
            bool(_text(submitted, f"hours-{i}-all-day")),
        )
        for i in range(MAX_ROWS)
        if submitted.getlist(f"hours-{i}-opens")
    ]
    translations = {
        lang: TextFields(
            _text(submitted, f"translation-{lang}-name"),
            _text(submitted, f"translation-{lang}-summary"),
            _text(submitted, f"translation-{lang}-description"),
        )
        for lang in choices.translations
    }
    return ListingForm(
        organization_id=_text(submitted, "organization_id"),
        name=_text(submitted, "name"),
        summary=_text(submitted, "summary"),
        description=_text(submitted, "description"),
        url=_text(submitted, "url"),
        email=_text(submitted, "email"),
        minimum_age=_text(submitted, "minimum_age"),
        maximum_age=_text(submitted, "maximum_age"),
        verified=bool(_text(submitted, "verified")),
        verification_source=_text(submitted, "verification_source"),
        needs=_texts(submitted, "needs"),
        areas=_text(submitted, "areas"),
        languages=_texts(submitted, "languages"),
        other_languages=_text(submitted, "other_languages"),
        phones=phones,
        hours=hours,
        translations=translations,
        chat_url=_text(submitted, "chat_url"),
        cost=_text(submitted, "cost"),
        accessibility=_text(submitted, "accessibility"),
        callback=bool(_text(submitted, "callback")),
        street=_text(submitted, "street"),
        town=_text(submitted, "town"),
        postcode=_text(submitted, "postcode"),
        address_hidden=bool(_text(submitted, "address_hidden")),
    )


def form_for(values: ListingValues | None, choices: Choices) -> ListingForm:
    """The form for a new listing (None) or showing a saved one, with empty rows to add more."""
    if values is None:
        form = ListingForm(translations={lang: TextFields() for lang in choices.translations})
    else:
        form = ListingForm(
            organization_id=str(values.organization_id),
            name=values.name,
            summary=values.summary,
            description=values.description,
            url=values.url or "",
            email=values.email or "",
            minimum_age="" if values.minimum_age is None else str(values.minimum_age),
            maximum_age="" if values.maximum_age is None else str(values.maximum_age),
            verified=values.verified,
            verification_source=values.verification_source or "",
            needs=list(values.needs),
            areas=", ".join(values.areas),
            languages=[code for code in values.languages if code in choices.spoken],
            other_languages=", ".join(c for c in values.languages if c not in choices.spoken),
            phones=[PhoneFields(p.number, p.type, p.description or "") for p in values.phones],
            hours=[
                HoursFields(
                    list(h.days),
                    "" if h.all_day else h.opens.strftime("%H:%M"),
                    "" if h.all_day else h.closes.strftime("%H:%M"),
                    h.all_day,
                )
                for h in values.hours
            ],
            translations={
                lang: TextFields(*_translated(values.translations.get(lang)))
                for lang in choices.translations
            },
            chat_url=values.chat_url or "",
            cost=values.cost or "",
            accessibility=values.accessibility or "",
            callback=values.callback,
            street=values.address.street if values.address else "",
            town=values.address.town if values.address else "",
            postcode=values.address.postcode if values.address else "",
            address_hidden=values.address.hidden if values.address else False,
        )
    form.phones += [PhoneFields() for _ in range(BLANK_ROWS)]
    form.hours += [HoursFields() for _ in range(BLANK_ROWS)]
    return form


def _translated(text: TranslatedText | None) -> tuple[str, str, str]:
    return (text.name, text.summary, text.description) if text else ("", "", "")
